'use strict';
// What the benchmark runs: for each public kernel, its sizes and how to make
// its arguments. Adding a kernel to the benchmark is one entry here plus one
// plain-JavaScript function in js-reference.js. The native mode is
// optional: a kernel that bench/native does not know is reported in a note
// (`native: null` skips it silently).
//
// Entry fields:
//   sizes    { small, medium, large }: the number `n` each args(n) gets
//   quick    the `n` of --quick (default: sizes.small)
//   unit     what n counts, for the table ('elements', 'px', ...)
//   what     one line saying the work, for the table's group header
//   bound    'compute' or 'memory': the scaling goal applies to 'compute'
//   args(n)  fresh arguments; arrays are on a SharedArrayBuffer, so every
//            mode (direct, pool, piscina) runs on the very same arrays
//   native(n, call)  extra key=value parameters of bench/native (units and
//            grain come from the kernel's spec); data is made there by the
//            same generator and seeds as here
//   check    true if the call's result (a number, or check(result)) should
//            equal the native build's on the same data
//   flops(n)  optional: floating-point operations of one call, for GFLOP/s
//   fused    true if the kernel has a fused mode ({ fused: true }): measured
//            beside the exact one (modes wasm-fused, fused:T) where the
//            runtime has relaxed SIMD
//   reset(args)  optional: restores inputs a call changed in place, untimed,
//            before every run (sort: it would otherwise time sorted input
//            after the first run). The other kernels need none: a second
//            run does the same work as the first.
//
// Sizes: "large" takes ~50-500 ms in plain JS on one core of a 2-core x86-64
// VM, "medium" about a tenth of it, "small" is around one chunk (grain) or
// below, where the pool has little to gain.

const path = require('node:path');
const sabre = require(path.join(__dirname, '..', 'dist'));

/** Floats in [-0.5, 0.5) from a 32-bit LCG (bench/native/src/main.rs has the same). */
function floats(Type, n, seed, map = (v) => v) {
  const out = new Type(new SharedArrayBuffer(n * Type.BYTES_PER_ELEMENT));
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = map(s / 2 ** 32 - 0.5);
  }
  return out;
}

/**
 * A zeroed array on a plain SharedArrayBuffer: every case's arguments take
 * the copy path; the zero-copy modes copy them into sabre.shared (run.js).
 */
const sab = (Type, n) => new Type(new SharedArrayBuffer(n * Type.BYTES_PER_ELEMENT));

/** Bytes: the LCG's top 8 bits. */
function bytes(n, seed) {
  const out = sab(Uint8Array, n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

const f32 = (n, seed) => floats(Float32Array, n, seed);
const f64 = (n, seed) => floats(Float64Array, n, seed);

const MAP = { small: 1e5, medium: 1e6, large: 1e7 };
/** sort's inputs -> their unsorted data, to restore between runs. */
const SORT_DATA = new WeakMap();
const BYTES = { small: 1e6, medium: 4e6, large: 4e7 };
const PIXELS = { small: 2.5e5, medium: 1e6, large: 8e6 };

const VIEW = { xMin: -2, xMax: 0.6, yMin: -1.3, yMax: 1.3, maxIter: 256 };
const BLUR_SIGMA = 3;
const KMEANS = { dims: 8, k: 16 };
const XOR_KEY = 37;

const cases = {
  scale: {
    sizes: MAP,
    what: 'x = a·x, f32',
    bound: 'memory',
    args: (n) => [f32(n, 1), 1.0001],
  },
  axpy: {
    sizes: MAP,
    what: 'y = a·x + y, f32',
    bound: 'memory',
    args: (n) => [f32(n, 2), 0.5, f32(n, 3)],
  },
  axpby: {
    sizes: MAP,
    what: 'y = a·x + b·y, f32',
    bound: 'memory',
    args: (n) => [f32(n, 2), 0.5, f32(n, 3), 0.5],
  },
  clamp: {
    sizes: MAP,
    what: 'x = clamp(x, lo, hi), f32',
    bound: 'memory',
    args: (n) => [f32(n, 4), -0.25, 0.25],
  },
  abs: {
    sizes: MAP,
    what: 'x = |x|, f32',
    bound: 'memory',
    args: (n) => [f32(n, 5)],
  },
  sqrt: {
    sizes: MAP,
    what: 'x = √x, f32',
    bound: 'memory',
    args: (n) => [floats(Float32Array, n, 28, Math.abs)],
    native: false, // not in bench/native
  },
  sort: {
    sizes: { small: 1e5, medium: 1e6, large: 1e7 },
    what: 'x.sort() in place, f64',
    bound: 'compute',
    // The same shuffled data every run: restored untimed (reset) from a copy.
    args(n) {
      const x = f64(n, 29);
      SORT_DATA.set(x, x.slice());
      return [x];
    },
    reset: ([x]) => x.set(SORT_DATA.get(x)),
    native: false, // not in bench/native
  },
  invert: {
    sizes: BYTES,
    unit: 'bytes',
    what: 'b = 255 − b',
    bound: 'memory',
    args: (n) => [bytes(n, 6)],
  },
  threshold: {
    sizes: BYTES,
    unit: 'bytes',
    what: 'b = b ≥ 128 ? 255 : 0',
    bound: 'memory',
    args: (n) => [bytes(n, 7), 128],
  },
  xorKey: {
    sizes: BYTES,
    unit: 'bytes',
    what: `b ^= key[i mod ${XOR_KEY}]`,
    bound: 'memory',
    args: (n) => [bytes(n, 8), bytes(XOR_KEY, 9)],
    native: () => ({ keylen: XOR_KEY }),
  },
  grayscale: {
    sizes: PIXELS,
    unit: 'px',
    what: 'RGBA to BT.601 luma',
    bound: 'memory',
    args: (n) => [bytes(4 * n, 10)],
  },
  brightnessContrast: {
    sizes: PIXELS,
    unit: 'px',
    what: 'RGBA brightness +10, contrast 1.2 (table lookup)',
    bound: 'memory',
    args: (n) => [bytes(4 * n, 11), 10, 1.2],
    native: (n, call) => ({ brightness: call.brightness, contrastq8: call.contrastQ8 }),
  },
  sum: {
    sizes: MAP,
    what: 'compensated Σx, f64',
    bound: 'memory',
    args: (n) => [f64(n, 12)],
    check: true,
  },
  dot: {
    sizes: MAP,
    what: 'compensated Σx·y, f64',
    bound: 'memory',
    args: (n) => [f64(n, 13), f64(n, 14)],
    check: true,
  },
  min: {
    sizes: MAP,
    what: 'Math.min over x, f64',
    bound: 'memory',
    args: (n) => [f64(n, 15)],
    check: true,
  },
  max: {
    sizes: MAP,
    what: 'Math.max over x, f64',
    bound: 'memory',
    args: (n) => [f64(n, 16)],
    check: true,
  },
  meanVariance: {
    sizes: MAP,
    what: 'mean and variance (two passes), f64',
    bound: 'memory',
    args: (n) => [f64(n, 17)],
    check: (r) => r.variance,
  },
  histogram: {
    sizes: BYTES,
    unit: 'bytes',
    what: '256-bin byte histogram',
    bound: 'memory',
    args: (n) => [bytes(n, 18)],
    check: (r) => r[0],
  },
  linearRegression: {
    sizes: MAP,
    what: 'least-squares line through (x, y), f64',
    bound: 'memory',
    args: (n) => [f64(n, 19), f64(n, 20)],
    check: (r) => r.slope,
  },
  countPrimes: {
    sizes: { small: 1e6, medium: 5e7, large: 5e8 },
    quick: 2e7,
    unit: 'numbers',
    what: 'primes below n (segmented sieve)',
    bound: 'compute',
    args: (n) => [0, n],
    native: () => ({ lo: 0 }),
    check: true,
  },
  markPrimes: {
    sizes: { small: 1e6, medium: 1e7, large: 6e7 },
    unit: 'bytes',
    what: 'out[i] = isPrime(i)',
    bound: 'compute',
    args: (n) => [sab(Uint8Array, n), 0],
    native: () => ({ lo: 0 }),
    check: true,
  },
  mandelbrot: {
    sizes: { small: 160, medium: 500, large: 1200 },
    unit: 'px side',
    what: 'escape times, maxIter 256',
    bound: 'compute',
    args: (n) => [sab(Uint8Array, n * n), { width: n, height: n, ...VIEW }],
    native: (n) => ({
      width: n, xmin: VIEW.xMin, xmax: VIEW.xMax, ymin: VIEW.yMin, ymax: VIEW.yMax, maxiter: VIEW.maxIter,
    }),
  },
  gaussianBlur: {
    sizes: { small: 256, medium: 768, large: 2048 },
    unit: 'px side',
    what: `RGBA Gaussian blur, sigma ${BLUR_SIGMA}`,
    bound: 'compute',
    args: (n) => [sab(Uint8Array, 4 * n * n), bytes(4 * n * n, 21), n, n, BLUR_SIGMA],
    native: (n, call) => ({ width: n, weights: Array.from(call.weights).join(',') }),
  },
  matmul: {
    sizes: { small: 96, medium: 288, large: 768 },
    unit: 'n (n×n)',
    what: 'C = A·B, f32, n×n',
    bound: 'compute',
    args: (n) => [sab(Float32Array, n * n), f32(n * n, 22), f32(n * n, 23), n, n, n],
    native: (n) => ({ k: n, n }),
    flops: (n) => 2 * n ** 3,
    fused: true,
  },
  nbodyStep: {
    sizes: { small: 400, medium: 1500, large: 6000 },
    unit: 'bodies',
    what: 'one leapfrog step of direct-sum gravity',
    bound: 'compute',
    args: (n) => [f64(n * 3, 24), floats(Float64Array, 3 * n, 25, (v) => v * 0.01), floats(Float64Array, n, 26, (v) => v + 1), 1e-3, 1e-2],
  },
  kmeansStep: {
    sizes: { small: 1e4, medium: 1e5, large: 1e6 },
    unit: 'points',
    what: `one Lloyd iteration, ${KMEANS.dims} dims, k = ${KMEANS.k}`,
    bound: 'compute',
    args(n) {
      const points = f32(n * KMEANS.dims, 27);
      const centroids = sab(Float32Array, KMEANS.k * KMEANS.dims);
      centroids.set(points.subarray(0, KMEANS.k * KMEANS.dims));
      return [points, KMEANS.dims, centroids, sab(Int32Array, n).fill(-1)];
    },
    native: () => ({ dims: KMEANS.dims, k: KMEANS.k }),
  },
};

// Kernels whose native parameters are only units and grain.
for (const c of Object.values(cases)) if (c.native === undefined) c.native = () => ({});

module.exports = { sabre, cases };
