'use strict';
// Kernel specs: a parallel sort in place, in exactly the order of
// TypedArray.prototype.sort() without a comparator. See js/kernels/index.js
// for the spec fields.
//
// Three kinds of pass, all on the workers:
//   sort         each chunk of SORT_GRAIN elements is sorted in wasm (a radix
//                sort, src/kernels/sort.rs) and written to scratch buffer `a`
//                (or, when the whole array is one chunk, straight back to x);
//   _sortMerge   log2(chunks) rounds; round r merges pairs of sorted runs of
//                `width` = SORT_GRAIN * 2^r elements, ping-ponging between
//                scratch buffers `a` and `b`. Every round, the last ones too,
//                is split into chunks of MERGE_GRAIN output elements: a chunk
//                finds by binary search (merge path, or co-rank) which
//                windows of its pair's two runs produce its output range,
//                loads them and merges them in wasm;
//   _sortCommit  one chunk copies the sorted result into x with a single
//                TypedArray#set.
//
// x is written only by the one-chunk sort or by the commit, never piecewise:
// a call that is aborted, times out or fails leaves x either unchanged or
// completely sorted (either way a permutation of its values). That is why
// there are two scratch buffers rather than one ping-ponging with x: a merge
// round writing into x and stopped half-way would leave some values
// duplicated and others lost. The price is 2 * x.byteLength of scratch
// memory per call (SharedArrayBuffers on a pool, ArrayBuffers directly) and
// a commit copy on one thread.

const v = require('../validate');
const { Continuation } = require('../chunks');
const { SORT_GRAIN, MERGE_GRAIN } = require('./grains');
const { exportFor } = require('../declare');

const TYPES = [Float64Array, Float32Array, Int32Array, Uint32Array];
const isFloat = (x) => x instanceof Float64Array || x instanceof Float32Array;

/**
 * x strictly before y in the JS float order: -0 before +0, NaN (any) after
 * everything. Mirrors the key order of src/kernels/sort.rs.
 */
function floatBefore(x, y) {
  if (x < y) return true;
  if (x === y) return x === 0 && 1 / x < 0 && 1 / y > 0;
  return x === x && y !== y; // eslint-disable-line no-self-compare
}
const intBefore = (x, y) => x < y;

/**
 * Co-rank (merge path), as `co_rank` in src/kernels/sort.rs: how many of the
 * first k elements of the merge of the sorted runs arr[a0, a1) and
 * arr[a1, b1) come from the first run (equal elements: first run first).
 */
function coRank(arr, a0, a1, b1, k, before) {
  let lo = Math.max(0, k - (b1 - a1));
  let hi = Math.min(k, a1 - a0);
  while (lo < hi) {
    const i = (lo + hi) >>> 1;
    if (before(arr[a1 + k - i - 1], arr[a0 + i])) hi = i;
    else lo = i + 1;
  }
  return lo;
}

module.exports = {
  sort: {
    params: ['x'],
    contract: { exports: TYPES.map((T) => exportFor('sort', { constructor: T })) },
    prepare([raw], shared) {
      const x = v.typedArray('x', raw, TYPES, shared);
      const T = x.constructor; // canonical views are of the built-in classes
      // Scratch runs for the merge rounds, allocated once per call.
      const Buf = shared ? SharedArrayBuffer : ArrayBuffer;
      const scratch = () => new T(new Buf(x.length * T.BYTES_PER_ELEMENT));
      return x.length > SORT_GRAIN ? { x, a: scratch(), b: scratch() } : { x, a: null, b: null };
    },
    units: (c) => c.x.length,
    grain: () => SORT_GRAIN,
    // The sort pass, a merge round per doubling of the run width up to the
    // length, and the commit: as combine chains them below.
    plan(c) {
      const n = c.x.length;
      const passes = [[n, SORT_GRAIN]];
      if (c.a === null) return passes;
      for (let width = SORT_GRAIN; ; width *= 2) {
        passes.push([n, MERGE_GRAIN]);
        if (2 * width >= n) break;
      }
      passes.push([1, 1]);
      return passes;
    },
    run(e, c, s, t) {
      const k = e.kernel(exportFor('sort', c.x));
      k.load('x', c.x, s, t);
      k.reserve('tmp', c.x, t - s);
      k.call(t - s);
      return { writes: [k.write('x', c.a ?? c.x, s, t)] };
    },
    combine(c) {
      if (c.a === null) return c.x;
      return new Continuation('_sortMerge', { x: c.x, src: c.a, dst: c.b, width: SORT_GRAIN });
    },
  },

  // One merge round: sorted runs of `width` in src, pairs merged into dst.
  _sortMerge: {
    params: ['call'],
    contract: { exports: TYPES.map((T) => exportFor('merge', { constructor: T })) },
    prepare: ([call]) => call,
    units: (c) => c.src.length,
    // SORT_GRAIN is a multiple of MERGE_GRAIN, so no chunk spans two pairs.
    grain: () => MERGE_GRAIN,
    run(e, c, s, t) {
      const { src, dst, width } = c;
      const n = src.length;
      const p = s - (s % (2 * width)); // the pair: runs src[p, m) and src[m, q)
      const m = Math.min(p + width, n);
      const q = Math.min(p + 2 * width, n);
      const before = isFloat(src) ? floatBefore : intBefore;
      const k = e.kernel(exportFor('merge', src));
      const i0 = coRank(src, p, m, q, s - p, before);
      const i1 = coRank(src, p, m, q, t - p, before);
      const [j0, j1] = [s - p - i0, t - p - i1];
      if (i0 === i1 || j0 === j1) {
        // One run only (the odd last run, or already-ordered data): a copy.
        if (i0 === i1) k.load('out', src, m + j0, m + j1);
        else k.load('out', src, p + i0, p + i1);
      } else {
        k.load('a', src, p + i0, p + i1);
        k.load('b', src, m + j0, m + j1);
        k.reserve('out', src, t - s);
        k.call(i1 - i0, j1 - j0);
      }
      return { writes: [k.write('out', dst, s, t)] };
    },
    combine(c) {
      const { x, src, dst, width } = c;
      if (2 * width >= x.length) return new Continuation('_sortCommit', { x, sorted: dst });
      return new Continuation('_sortMerge', { x, src: dst, dst: src, width: 2 * width });
    },
  },

  // The sorted data into x, all at once: one memcpy, which neither an abort
  // (the chunk runs whole once started) nor a terminate() (no interrupt
  // check inside TypedArray#set) stops half-way.
  _sortCommit: {
    params: ['call'],
    contract: { exports: [] }, // a copy in JS
    prepare: ([call]) => call,
    units: () => 1,
    grain: () => 1,
    run(e, c) {
      return { writes: [[c.sorted, c.x, 0, c.x.length]] };
    },
    combine: (c) => c.x,
  },
};
