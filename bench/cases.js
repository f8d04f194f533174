'use strict';
// What the benchmark runs: for each kernel, its sizes and how to make its
// arguments. Arrays are SharedArrayBuffer-backed so every mode can use them.

const path = require('node:path');
const sabre = require(path.join(__dirname, '..', 'dist'));

function randomFloats(Type, n, seed) {
  const out = sabre.shared.from(new Type(n), Type);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32 - 0.5;
  }
  return out;
}

function randomBytes(n, seed) {
  const out = sabre.shared.uint8(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

/** size: a label's number (elements, pixels, or the prime range's end). */
const cases = {
  scale: { sizes: { small: 1e5, large: 1e7 }, args: (n) => [randomFloats(Float32Array, n, 1), 1.0001] },
  axpy: { sizes: { small: 1e5, large: 1e7 }, args: (n) => [randomFloats(Float32Array, n, 2), 0.5, randomFloats(Float32Array, n, 3)] },
  invert: { sizes: { small: 1e5, large: 3e7 }, args: (n) => [randomBytes(n, 4)] },
  grayscale: { sizes: { small: 1e5, large: 1e7 }, unit: 'px', args: (n) => [randomBytes(4 * n, 5)] },
  sum: { sizes: { small: 1e5, large: 1e7 }, args: (n) => [randomFloats(Float64Array, n, 6)] },
  linearRegression: { sizes: { small: 1e5, large: 1e7 }, args: (n) => [randomFloats(Float64Array, n, 7), randomFloats(Float64Array, n, 8)] },
  countPrimes: { sizes: { small: 1e6, large: 2e9 }, unit: 'range', args: (n) => [0, n] },
  mandelbrot: {
    sizes: { small: 200, large: 2000 },
    unit: 'side',
    args: (n) => [sabre.shared.uint8(n * n), { width: n, height: n, xMin: -2, xMax: 0.6, yMin: -1.3, yMax: 1.3, maxIter: 256 }],
  },
};

module.exports = { sabre, cases };
