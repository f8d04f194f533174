'use strict';
// Kernel specs: a parallel sort in place, in exactly the order of
// TypedArray.prototype.sort() without a comparator. See js/kernels/index.js
// for the spec fields.
//
// An array of at most SORT_GRAIN elements is one chunk: radix-sorted in wasm
// (src/kernels/sort.rs) and written straight back to x. A bigger one is
// sample-sorted, in four passes, all on the workers:
//   sort            one chunk draws a sample of `buckets * OVERSAMPLE`
//                   elements (one at a pseudo-random place in each of as
//                   many equal strata of x), sorts it in wasm and takes
//                   every OVERSAMPLE-th as a splitter: `buckets - 1` of them;
//   _sortPartition  each chunk of SORT_GRAIN elements of x: its elements'
//                   order keys grouped by bucket (a table of cells linear
//                   in the value, then a short search among the splitters
//                   that share a cell) into the same range of scratch
//                   buffer `a`; its value is the chunk's bucket counts;
//   _sortBuckets    each chunk is a run of buckets: it gathers each one's
//                   parts from every partition chunk, radix-sorts each in
//                   wasm (its keys share their high bits, so few digits are
//                   left) and writes the sorted elements to their final
//                   place in scratch buffer `b`;
//   _sortCommit     one chunk copies b into x with a single TypedArray#set.
// So the data crosses memory twice (and once more for the commit), where a
// merge sort of SORT_GRAIN runs took a pass per doubling (six at 1e7).
// Buckets hold ~2^15-2^16 elements on average (~0.6 MB with their working
// space at 1e7, within the 1 MiB of a core's L2 here), at most MAX_BUCKETS
// of them; a bucket chunk holds about SORT_GRAIN elements. Measured in wasm
// on 1e7 doubles (partition / bucket kernels, ms), buckets of ~2^12: 74 /
// 91, 2^13: 76 / 83, 2^14: 56 / 83, 2^15: 56 / 86, 2^16: 58 / 88; of ~2^17
// and 2^18 the partition gains nothing and the buckets outgrow L2. The
// sample and so every boundary depend only on x, never on threads or
// timing. Many equal values all land in one bucket: a bucket chunk may be
// bigger than the others (its keys all equal, its sort is a read pass).
//
// x is written only by the one-chunk sort or by the commit, never piecewise:
// a call that is aborted, times out or fails leaves x either unchanged or
// completely sorted (either way a permutation of its values). The price is
// 2 * x.byteLength of scratch memory per call (SharedArrayBuffers on a pool,
// ArrayBuffers directly; kept for a second after it, see takeScratch) and
// the commit copy on one thread.

const v = require('../validate');
const { Continuation } = require('../chunks');
const { SORT_GRAIN } = require('./grains');
const { exportFor } = require('../declare');

const TYPES = [Float64Array, Float32Array, Int32Array, Uint32Array];
/** Sample elements per bucket: a bucket's size is then within ~±50 % of n / buckets. */
const OVERSAMPLE = 16;
/** Buckets of at most about 2^BUCKET_BITS elements (on average). */
const BUCKET_BITS = 16;
/** Huge arrays get bigger buckets rather than a cell table beyond L2 (8 cells of 4 bytes per bucket). */
const MAX_BUCKETS = 1 << 12;

/** The bucket count of an n-element sample sort: a power of two from 2 to MAX_BUCKETS. */
function bucketsOf(n) {
  let b = 2;
  while (b < MAX_BUCKETS && b * 2 ** BUCKET_BITS < n) b *= 2;
  return b;
}

/** Buckets per bucket chunk: about SORT_GRAIN elements in all. */
const bucketGrain = (n, buckets) => Math.max(1, Math.floor((SORT_GRAIN * buckets) / n));

/** The order keys' array type of x's elements (scratch buffer `a`). */
const keyType = (T) => (T.BYTES_PER_ELEMENT === 8 ? BigUint64Array : Uint32Array);

/**
 * Where the sample is drawn: one place in each of `count` equal strata of
 * [0, n), pseudo-random within it (a 32-bit LCG seeded by n), so sorted,
 * periodic and clustered inputs are all sampled evenly, and the same x
 * always gives the same sample.
 */
function samplePlaces(n, count) {
  const at = new Float64Array(count);
  let s = (n * 2654435761) >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    at[i] = Math.floor(((i + s / 2 ** 32) * n) / count);
  }
  return at;
}

/**
 * The scratch buffers of a sample sort, kept for the next call: first
 * writes to fresh memory fault its pages in, which costs more than the sort's
 * copies (80 MB: ~40 ms against ~4 ms for a copy into touched memory, on a
 * 2-core x86-64 VM), twice per call. One pair per kind (SharedArrayBuffers
 * for pools, ArrayBuffers for direct calls) is kept, the bigger one, and
 * only for SPARE_MS after the call that gave it back: a sort run now and then
 * holds no memory. Only a call that completed gives its buffers back (in its
 * commit's combine, when nothing writes them any more); a failed or aborted
 * call leaves them to the garbage collector, so a worker still busy on them
 * never shares them with the next call.
 */
const SPARE_MS = 1000;
const spare = { shared: null, plain: null };

/** A `slices` entry (js/declare.js): an array this pass's chunks never read. */
const UNREAD = Object.freeze({ read: false });

function takeScratch(shared, bytes) {
  const kind = shared ? 'shared' : 'plain';
  const s = spare[kind];
  if (s && s.buffers[0].byteLength >= bytes) {
    spare[kind] = null;
    clearTimeout(s.timer);
    return s.buffers;
  }
  const Buf = shared ? SharedArrayBuffer : ArrayBuffer;
  return [new Buf(bytes), new Buf(bytes)];
}

function giveBack(shared, buffers) {
  const kind = shared ? 'shared' : 'plain';
  const s = spare[kind];
  if (s && s.buffers[0].byteLength >= buffers[0].byteLength) return;
  if (s) clearTimeout(s.timer);
  const timer = setTimeout(() => {
    if (spare[kind]?.buffers === buffers) spare[kind] = null;
  }, SPARE_MS);
  timer.unref();
  spare[kind] = { buffers, timer };
}

module.exports = {
  sort: {
    params: ['x'],
    contract: { exports: TYPES.map((T) => exportFor('sort', { constructor: T })) },
    prepare([raw], shared) {
      const x = v.typedArray('x', raw, TYPES, shared);
      const T = x.constructor; // canonical views are of the built-in classes
      if (x.length <= SORT_GRAIN) return { x, a: null, b: null };
      // Scratch for the two sample-sort passes (kept between calls, above).
      const [bufA, bufB] = takeScratch(shared, x.length * T.BYTES_PER_ELEMENT);
      const [a, b] = [new (keyType(T))(bufA, 0, x.length), new T(bufB, 0, x.length)];
      return { x, a, b, shared: Boolean(shared), buckets: bucketsOf(x.length) };
    },
    // What each pass's chunks read (a cluster worker fetches no more, see
    // js/declare.js `slices`): the sample reads x anywhere; a and b are
    // scratch, read only by the pass after the one that wrote them.
    slices: (c) => (c.a === null ? {} : { a: UNREAD, b: UNREAD }),
    // One chunk: the whole sort (small x) or the sample (a sample sort).
    units: (c) => (c.a === null ? c.x.length : 1),
    grain: (c) => (c.a === null ? SORT_GRAIN : 1),
    // The passes that combine chains below.
    plan(c) {
      const n = c.x.length;
      if (c.a === null) return [[n, SORT_GRAIN]];
      return [[1, 1], [n, SORT_GRAIN], [c.buckets, bucketGrain(n, c.buckets)], [1, 1]];
    },
    run(e, c, s, t) {
      const { x } = c;
      const T = x.constructor;
      const k = e.kernel(exportFor('sort', x));
      if (c.a === null) {
        k.load('x', x, s, t);
        k.reserve('tmp', x, t - s);
        k.call(t - s);
        return { writes: [k.write('x', x, s, t)] };
      }
      const count = Math.min(x.length, c.buckets * OVERSAMPLE);
      const sample = new T(count);
      const at = samplePlaces(x.length, count);
      for (let i = 0; i < count; i++) sample[i] = x[at[i]];
      k.load('x', sample, 0, count);
      const ptr = k.reserve('x', sample, count);
      k.reserve('tmp', sample, count);
      k.call(count);
      const sorted = new T(e.memory.buffer, ptr, count);
      const splitters = new T(c.buckets - 1);
      for (let i = 1; i < c.buckets; i++) splitters[i - 1] = sorted[Math.floor((i * count) / c.buckets)];
      return { value: splitters };
    },
    combine(c, [splitters]) {
      if (c.a === null) return c.x;
      return new Continuation('_sortPartition', { x: c.x, a: c.a, b: c.b, shared: c.shared, buckets: c.buckets, splitters });
    },
  },

  // Each chunk of x: its keys grouped by bucket into a[s, t), its counts as value.
  _sortPartition: {
    params: ['call'],
    contract: { exports: TYPES.map((T) => exportFor('partition', { constructor: T })) },
    prepare: ([call]) => call,
    slices: () => ({ x: { align: 1 }, a: UNREAD, b: UNREAD }),
    units: (c) => c.x.length,
    grain: () => SORT_GRAIN,
    run(e, c, s, t) {
      const { x, a, buckets, splitters } = c;
      const k = e.kernel(exportFor('partition', x));
      k.load('x', x, s, t);
      k.reserve('out', a, t - s);
      const at = k.reserve('splitters', x, buckets); // buckets - 1 splitters in, buckets u32 counts out
      new x.constructor(e.memory.buffer, at, buckets - 1).set(splitters);
      k.call(t - s, buckets);
      const counts = new Uint32Array(e.memory.buffer, at, buckets).slice();
      return { value: counts, writes: [k.write('out', a, s, t)] };
    },
    combine(c, partials) {
      const { x, a, b, shared, buckets } = c;
      const sources = partials.length;
      // offsets[i * (buckets + 1) + j]: where bucket j starts in source chunk
      // i's range of a (from that range's start); starts[j]: where bucket j
      // starts in the sorted array.
      const offsets = new Uint32Array(sources * (buckets + 1));
      const starts = new Float64Array(buckets + 1);
      for (let i = 0; i < sources; i++) {
        const row = partials[i];
        let sum = 0;
        for (let j = 0; j < buckets; j++) {
          offsets[i * (buckets + 1) + j] = sum;
          sum += row[j];
          starts[j + 1] += row[j];
        }
        offsets[i * (buckets + 1) + buckets] = sum;
      }
      for (let j = 0; j < buckets; j++) starts[j + 1] += starts[j];
      return new Continuation('_sortBuckets', { x, a, b, shared, buckets, sources, offsets, starts });
    },
  },

  // Each chunk, buckets [s, t): their parts gathered from every partition
  // chunk, sorted, written to b at their final place.
  _sortBuckets: {
    params: ['call'],
    contract: { exports: TYPES.map((T) => exportFor('sortBuckets', { constructor: T })) },
    prepare: ([call]) => call,
    slices: () => ({ x: UNREAD, b: UNREAD }), // x: only its type
    units: (c) => c.buckets,
    grain: (c) => bucketGrain(c.x.length, c.buckets),
    run(e, c, s, t) {
      const { x, a, b, buckets, sources, offsets, starts } = c;
      const len = starts[t] - starts[s];
      if (len === 0) return { writes: [] };
      const k = e.kernel(exportFor('sortBuckets', x));
      const keysAt = k.reserve('keys', a, len);
      k.reserve('out', x, len);
      const sizesAt = k.reserve('sizes', offsets, t - s);
      const mem = e.memory.buffer; // after the last reserve: it may grow the memory
      const keys = new a.constructor(mem, keysAt, len);
      const sizes = new Uint32Array(mem, sizesAt, t - s);
      // Bucket after bucket, each from its part in every partition chunk.
      let at = 0;
      for (let j = s; j < t; j++) {
        for (let i = 0; i < sources; i++) {
          const from = i * SORT_GRAIN + offsets[i * (buckets + 1) + j];
          const to = i * SORT_GRAIN + offsets[i * (buckets + 1) + j + 1];
          if (to > from) keys.set(a.subarray(from, to), at);
          at += to - from;
        }
        sizes[j - s] = starts[j + 1] - starts[j];
      }
      k.call(len, t - s);
      return { writes: [k.write('out', b, starts[s], starts[t])] };
    },
    combine: (c) => new Continuation('_sortCommit', { x: c.x, sorted: c.b, a: c.a, shared: c.shared }),
  },

  // The sorted data into x, all at once: one memcpy, which neither an abort
  // (the chunk runs whole once started) nor a terminate() (no interrupt
  // check inside TypedArray#set) stops half-way.
  _sortCommit: {
    params: ['call'],
    contract: { exports: [] }, // a copy in JS
    prepare: ([call]) => call,
    slices: () => ({ x: UNREAD, a: UNREAD }),
    units: () => 1,
    grain: () => 1,
    run(e, c) {
      return { writes: [[c.sorted, c.x, 0, c.x.length]] };
    },
    combine(c) {
      giveBack(c.shared, [c.a.buffer, c.sorted.buffer]);
      return c.x;
    },
  },
};
