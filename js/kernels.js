'use strict';
// The kernel table: for each kernel, how its arguments are checked, how a
// call splits into chunks, how one chunk runs on an Engine, and how partial
// results combine. Both the direct path and the pool's workers use it.
//
// Spec fields:
//   params            argument names (the arity; a pool call may add options)
//   prepare(args, shared)  checks arguments, returns the call's plain-data form
//   units(call)       total units of work; grain(call): units per chunk
//   run(engine, call, start, end) -> { value, writes }
//   combine(call, partials)  the call's result from chunk results in order

const v = require('./validate');
const { outOfRange } = require('./errors');
const { compensatedSum, mergeMoments } = require('./chunks');

// Grains, measured on a 2-core x86-64 VM (bench/, Node 20): a pool dispatch
// costs 20-100 us, so a chunk should run for about a millisecond or more.
// Memory-bound maps move ~1-2 GB/s through the copy in and out, so 2^18
// elements (1-2 MiB) is ~1 ms; below that the pool gains nothing (measured:
// no gain at 1e5 elements) and a call of at most one grain runs as one chunk.
const MAP_GRAIN = 1 << 18;
const BYTE_GRAIN = 1 << 20;
// Sieve chunks of 2^24 numbers take ~10-20 ms, and huge ranges are capped at
// 4096 chunks so the bookkeeping stays small.
const PRIME_GRAIN = 1 << 24;
const MAX_PRIME_CHUNKS = 4096;
// Mandelbrot bands hold ~2^15 pixels: a few ms at maxIter 256.
const MANDEL_PIXELS = 1 << 15;

const suffix = (arr) => (arr instanceof Float32Array ? 'F32' : 'F64');
const MAX_HI = 2 ** 53 + 1;

const kernels = {
  scale: {
    params: ['x', 'a'],
    prepare([x, a], shared) {
      v.typedArray('x', x, v.FLOATS, shared);
      return { x, a: v.number('a', a) };
    },
    units: (c) => c.x.length,
    grain: () => MAP_GRAIN,
    run(e, c, s, t) {
      e.load(0, c.x, s, t);
      e.wasm[`scale${suffix(c.x)}`](t - s, c.a);
      return { writes: [[0, c.x, s, t]] };
    },
    combine: (c) => c.x,
  },

  axpy: {
    params: ['y', 'a', 'x'],
    prepare([y, a, x], shared) {
      v.typedArray('y', y, v.FLOATS, shared);
      v.number('a', a);
      v.typedArray('x', x, v.FLOATS, shared);
      v.sameType('x', x, y);
      v.sameLength('x', x, y);
      v.noPartialOverlap('x', x, y);
      return { y, a, x };
    },
    units: (c) => c.y.length,
    grain: () => MAP_GRAIN,
    run(e, c, s, t) {
      e.load(0, c.y, s, t);
      e.load(1, c.x, s, t);
      e.wasm[`axpy${suffix(c.y)}`](t - s, c.a);
      return { writes: [[0, c.y, s, t]] };
    },
    combine: (c) => c.y,
  },

  invert: {
    params: ['bytes'],
    prepare([bytes], shared) {
      return { bytes: v.typedArray('bytes', bytes, v.BYTES, shared) };
    },
    units: (c) => c.bytes.length,
    grain: () => BYTE_GRAIN,
    run(e, c, s, t) {
      e.load(0, c.bytes, s, t);
      e.wasm.invert(t - s);
      return { writes: [[0, c.bytes, s, t]] };
    },
    combine: (c) => c.bytes,
  },

  grayscale: {
    params: ['rgba'],
    prepare([rgba], shared) {
      v.typedArray('rgba', rgba, v.BYTES, shared);
      if (rgba.length % 4 !== 0) {
        const err = new RangeError(`The "rgba" argument must hold whole RGBA pixels (length a multiple of 4). Received length ${rgba.length}`);
        err.code = 'ERR_OUT_OF_RANGE';
        throw err;
      }
      return { rgba };
    },
    units: (c) => c.rgba.length / 4, // pixels: a chunk never cuts a pixel
    grain: () => BYTE_GRAIN / 4,
    run(e, c, s, t) {
      e.load(0, c.rgba, 4 * s, 4 * t);
      e.wasm.grayscaleRgba(4 * (t - s));
      return { writes: [[0, c.rgba, 4 * s, 4 * t]] };
    },
    combine: (c) => c.rgba,
  },

  sum: {
    params: ['x'],
    prepare([x], shared) {
      return { x: v.typedArray('x', x, v.FLOATS, shared) };
    },
    units: (c) => c.x.length,
    grain: () => MAP_GRAIN,
    run(e, c, s, t) {
      e.load(0, c.x, s, t);
      return { value: e.wasm[`sum${suffix(c.x)}`](t - s) };
    },
    combine: (c, partials) => compensatedSum(partials),
  },

  linearRegression: {
    params: ['x', 'y'],
    prepare([x, y], shared) {
      v.typedArray('x', x, v.FLOATS, shared);
      v.typedArray('y', y, v.FLOATS, shared);
      v.sameType('y', y, x);
      v.sameLength('y', y, x);
      if (x.length < 2) throw outOfRange('x.length', 'at least 2 (a line needs two points)', x.length);
      return { x, y };
    },
    units: (c) => c.x.length,
    grain: () => MAP_GRAIN,
    run(e, c, s, t) {
      e.load(0, c.x, s, t);
      e.load(1, c.y, s, t);
      return { value: e.wasm[`linreg${suffix(c.x)}`](t - s) };
    },
    combine(c, partials) {
      const m = partials.reduce(mergeMoments);
      // slope = Sxy / Sxx; a constant x (Sxx = 0) gives NaN, as the formula does.
      const slope = m.cxy / m.m2x;
      return {
        slope,
        intercept: m.meanY - slope * m.meanX,
        r2: (m.cxy * m.cxy) / (m.m2x * m.m2y),
        n: m.n,
      };
    },
  },

  countPrimes: {
    params: ['lo', 'hi'],
    prepare([lo, hi]) {
      v.integer('lo', lo, 0, MAX_HI);
      v.integer('hi', hi, lo, MAX_HI);
      return { lo, hi };
    },
    units: (c) => c.hi - c.lo,
    grain: (c) => Math.max(PRIME_GRAIN, Math.ceil((c.hi - c.lo) / MAX_PRIME_CHUNKS)),
    run(e, c, s, t) {
      return { value: e.wasm.countPrimes(c.lo + s, c.lo + t) };
    },
    combine: (c, partials) => partials.reduce((a, b) => a + b, 0),
  },

  markPrimes: {
    params: ['out', 'lo'],
    prepare([out, lo], shared) {
      v.typedArray('out', out, [Uint8Array], shared);
      v.integer('lo', lo, 0, MAX_HI - out.length);
      return { out, lo };
    },
    units: (c) => c.out.length,
    grain: () => BYTE_GRAIN,
    run(e, c, s, t) {
      e.reserve(0, c.out, t - s);
      const value = e.wasm.markPrimes(t - s, c.lo + s);
      return { value, writes: [[0, c.out, s, t]] };
    },
    combine: (c, partials) => partials.reduce((a, b) => a + b, 0),
  },

  mandelbrot: {
    params: ['out', 'view'],
    prepare([out, view], shared) {
      v.typedArray('out', out, [Uint8Array], shared);
      v.object('view', view);
      const p = {
        width: v.integer('view.width', view.width, 0, 2 ** 31 - 1),
        height: v.integer('view.height', view.height, 0, 2 ** 31 - 1),
        xMin: v.finite('view.xMin', view.xMin ?? -2),
        xMax: v.finite('view.xMax', view.xMax ?? 1),
        yMin: v.finite('view.yMin', view.yMin ?? -1.5),
        yMax: v.finite('view.yMax', view.yMax ?? 1.5),
        maxIter: v.integer('view.maxIter', view.maxIter ?? 256, 1, 2 ** 32 - 1),
      };
      if (out.length !== p.width * p.height) {
        throw outOfRange('out.length', `view.width * view.height = ${p.width * p.height}`, out.length);
      }
      return { out, view: p };
    },
    units: (c) => c.view.height, // rows
    grain: (c) => Math.max(1, Math.floor(MANDEL_PIXELS / Math.max(1, c.view.width))),
    run(e, c, s, t) {
      const w = c.view.width;
      e.reserve(0, c.out, (t - s) * w);
      e.wasm.mandelbrot((t - s) * w, c.view, s);
      return { writes: [[0, c.out, s * w, t * w]] };
    },
    combine: (c) => c.out,
  },
};

/** The built-in kernels plus those of `kernelsModule` (its `kernels` export). */
function kernelTable(kernelsModule) {
  return kernelsModule ? { ...kernels, ...require(kernelsModule).kernels } : kernels;
}

module.exports = { kernels, kernelTable };
