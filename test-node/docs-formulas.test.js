'use strict';
// The formulas README.md gives are the ones the kernels compute: each is
// transcribed here in plain JS from the README's words (not from the
// package's code) and compared with the kernel, bit for bit.

const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const { kernels } = require('./helpers').sabre;
const { rng: seeded } = require('./helpers');

describe('README: float map rounding', () => {
  const fr = Math.fround;
  const next = seeded(10);
  const n = 1000;
  const xs = Array.from({ length: n }, () => next() * 200 - 100);
  const ys = Array.from({ length: n }, () => next() * 200 - 100);
  const [a, b] = [0.1, 1 / 3]; // not f32 values: rounding them first matters

  it('Float32Array: a, b rounded to f32, every multiply and add rounded to f32', () => {
    const x = Float32Array.from(xs);
    const y0 = Float32Array.from(ys);
    const [A, B] = [fr(a), fr(b)];
    assert.deepEqual(kernels.axpby(y0.slice(), a, x, b), Float32Array.from(y0, (y, i) => fr(fr(A * x[i]) + fr(B * y))));
    assert.deepEqual(kernels.axpy(y0.slice(), a, x), Float32Array.from(y0, (y, i) => fr(fr(A * x[i]) + y)));
    assert.deepEqual(kernels.scale(x.slice(), a), Float32Array.from(x, (v) => fr(A * v)));
    // Rounding in f64 instead would differ: the check can fail.
    assert.notDeepEqual(kernels.axpby(y0.slice(), a, x, b), Float32Array.from(y0, (y, i) => a * x[i] + b * y));
    const lo = 0.1;
    const clamped = kernels.clamp(Float32Array.of(fr(lo), 0, 1), lo, 1);
    assert.equal(clamped[0], fr(lo), 'an element equal to fround(lo) is not below the bound');
  });

  it('Float64Array: exactly the JS expression', () => {
    const x = Float64Array.from(xs);
    const y0 = Float64Array.from(ys);
    assert.deepEqual(kernels.axpby(y0.slice(), a, x, b), Float64Array.from(y0, (y, i) => a * x[i] + b * y));
    assert.deepEqual(kernels.axpy(y0.slice(), a, x), Float64Array.from(y0, (y, i) => a * x[i] + y));
  });
});

describe('README: countPrimes and markPrimes bounds', () => {
  const top = 2 ** 53; // 2^53 - 111 is the largest prime below 2^53
  it('hi may be 2^53, not more', () => {
    assert.equal(kernels.countPrimes(top - 111, top), 1);
    assert.equal(kernels.countPrimes(top - 110, top), 0);
    assert.throws(() => kernels.countPrimes(0, top + 2), { name: 'RangeError', message: /<= 9007199254740992/ });
  });
  it('markPrimes: lo ≤ 2^53 − out.length', () => {
    const out = new Uint8Array(111);
    assert.equal(kernels.markPrimes(out, top - 111), 1);
    assert.equal(out[0], 1);
    assert.throws(() => kernels.markPrimes(out, top - 110), { name: 'RangeError' });
  });
});

describe('README: mandelbrot pixel formula', () => {
  /** The pixel out[row * width + col], as the README writes it. */
  function pixel(view, col, row) {
    const { width, height, xMin = -2, xMax = 1, yMin = -1.5, yMax = 1.5, maxIter = 256 } = view;
    const dx = (xMax - xMin) / width;
    const dy = (yMax - yMin) / height;
    const cx = xMin + col * dx;
    const cy = yMin + row * dy;
    let x = 0;
    let y = 0;
    let k = 0;
    while (k < maxIter && !(x * x + y * y > 4)) {
      [x, y] = [x * x - y * y + cx, 2 * x * y + cy];
      k += 1;
    }
    return Math.floor((255 * k) / maxIter);
  }

  for (const view of [
    { width: 37, height: 23 }, // the defaults
    { width: 40, height: 30, xMin: -0.75, xMax: -0.73, yMin: 0.1, yMax: 0.12, maxIter: 300 },
    { width: 16, height: 9, xMin: -2.5, xMax: 1.5, yMin: -1, yMax: 1.25, maxIter: 7 },
  ]) {
    it(`every pixel of ${JSON.stringify(view)}`, () => {
      const out = kernels.mandelbrot(new Uint8Array(view.width * view.height), view);
      const want = new Uint8Array(out.length);
      for (let r = 0; r < view.height; r++) for (let c = 0; c < view.width; c++) want[r * view.width + c] = pixel(view, c, r);
      assert.deepEqual(out, want);
    });
  }

  it('samples the top-left corner, not the centre', () => {
    // A 1x1 image of [-2, 2]²: its corner (-2, -2) escapes at once (k = 0),
    // its centre (0, 0) never does.
    const out = kernels.mandelbrot(new Uint8Array(1), { width: 1, height: 1, xMin: -2, xMax: 2, yMin: -2, yMax: 2 });
    assert.equal(out[0], 0);
  });
});

describe('README: gaussianBlur weights and passes', () => {
  /** The integer taps w[0..r], as the README writes them. */
  function weights(sigma) {
    if (sigma === 0) return [65536];
    const r = Math.ceil(3 * sigma);
    const f = [1];
    for (let i = 1; i <= r; i++) f.push(Math.exp(-(i * i) / (2 * sigma * sigma)));
    let T = f[0];
    for (let i = 1; i <= r; i++) T += 2 * f[i];
    const g = f.map((fi) => (fi * 65536) / T);
    const w = g.map(Math.floor);
    let L = 65536 - w.reduce((s, wi, i) => s + (i === 0 ? wi : 2 * wi), 0);
    if (L % 2 === 1) {
      w[0] += 1;
      L -= 1;
    }
    const frac = (i) => g[i] - Math.floor(g[i]);
    const order = [...Array(r).keys()].map((i) => i + 1).sort((i, j) => frac(j) - frac(i) || i - j);
    for (const i of order.slice(0, L / 2)) w[i] += 1;
    return w;
  }

  function blur(input, width, height, sigma) {
    const w = weights(sigma);
    const r = w.length - 1;
    const clamp = (v, size) => Math.min(Math.max(v, 0), size - 1);
    const v = new Float64Array(input.length);
    const out = new Uint8Array(input.length);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        for (let ch = 0; ch < 4; ch++) {
          let s = 0;
          for (let j = -r; j <= r; j++) s += w[Math.abs(j)] * input[4 * (clamp(y + j, height) * width + x) + ch];
          v[4 * (y * width + x) + ch] = Math.floor((s + 128) / 2 ** 8);
        }
      }
    }
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        for (let ch = 0; ch < 4; ch++) {
          let s = 0;
          for (let i = -r; i <= r; i++) s += w[Math.abs(i)] * v[4 * (y * width + clamp(x + i, width)) + ch];
          out[4 * (y * width + x) + ch] = Math.floor((s + 2 ** 23) / 2 ** 24);
        }
      }
    }
    return out;
  }

  it('the taps sum to 65536 over both sides', () => {
    for (const sigma of [0, 0.2, 0.5, 1, 1.3, 2.7, 10, 100]) {
      const w = weights(sigma);
      assert.equal(w[0] + 2 * w.slice(1).reduce((a, b) => a + b, 0), 65536, `sigma ${sigma}`);
    }
  });

  const next8 = seeded(11);
  for (const [width, height, sigma] of [[13, 7, 0], [13, 7, 0.4], [9, 11, 1], [20, 6, 1.7], [5, 5, 3.3]]) {
    it(`every byte of a ${width}x${height} image, sigma ${sigma}`, () => {
      const input = Uint8Array.from({ length: 4 * width * height }, () => Math.floor(next8() * 256));
      const out = kernels.gaussianBlur(new Uint8Array(input.length), input, width, height, sigma);
      assert.deepEqual(out, blur(input, width, height, sigma));
    });
  }
});
