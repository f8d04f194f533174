'use strict';
// Kernel specs: dense matrix product in f32. See js/kernels/index.js for the spec fields.
//
// C = A · B is split into bands of rows of C; a band reads its rows of A and
// all of B. B is the same for every band of a call, so each wasm instance
// copies it once per call into a cache (src/bindings/matmul.rs) rather than
// once per chunk: `bCache` remembers, per instance, the call whose B it
// holds. The key is per call, so a B modified between two calls is copied
// again; a new instance (after a trap) starts with an empty cache.
//
// The fused mode (`{ fused: true }`, js/relaxed.js) is the spec `_matmulFused`:
// the same prepare, split and combine, its run on the fused module's engine
// (wasm/sabre_relaxed_bg.wasm, `matmulFusedF32`: f32x4.relaxed_madd). Not
// bit-identical to the naive loop: each element is within k * 2^-23 *
// sum |a||b| of the exact product (the exact mode too), and its bits depend
// on whether this machine's engine fuses relaxed_madd (x86 with FMA3 and
// Arm do; it may also run mul then add). Bands still give the bits of the
// whole product on one machine: every element is summed in p order.

const v = require('../validate');
const { outOfRange } = require('../errors');

// Grain, measured on a 2-core x86-64 VM (Node 20, +simd128): the blocked
// kernel ran at 11-14 GFlop/s on one thread, and a band of ~2^22
// multiply-adds (rows * k * n; 16 rows of a 512x512 B) took 0.8-1.4 ms. The
// packed micro-kernel (44-52 GFlop/s direct) takes about a third of that,
// too little for a pool chunk: pool x2 over direct was 1.11 / 1.44 / 1.47x
// at n = 384 / 768 / 1024 with 2^22, and 1.15 / 1.72 / 1.64x with 2^24
// multiply-adds per band (~1 ms; 2^26 was no better and splits 384 too
// coarsely). Measured on a quiet 2-core VM, interleaved, medians of 14.
//
// The first band of a call on an instance also packs the cached B into
// panels for the micro-kernel (src/bindings/matmul.rs); `matmulReserveB`
// invalidates that, so B is packed once per call and instance, like the copy.
//
// The B cache, measured the same way: copying a 1 MiB B (512x512) from a
// SharedArrayBuffer into wasm memory takes 0.08 ms, 6-9 % of such a chunk;
// a 16 MiB B (2048x2048) takes 3.5 ms, 50 % of its (4-row) chunk. With the
// cache each instance copies B once per call instead of once per chunk.
const MATMUL_WORK = 1 << 24;
const MR = 4; // rows of the micro-kernel: bands are whole multiples of it

/** wasm instance (the glue's exports object) -> key of the call whose B it holds. */
const bCache = new WeakMap();
const RUN = Math.random().toString(36).slice(2);
let calls = 0;

function loadB(e, call) {
  if (bCache.get(e.wasm) !== call.key) {
    const ptr = e.kernel('matmulReserveB').call(call.b.length);
    new Float32Array(e.memory.buffer, ptr, call.b.length).set(call.b);
    bCache.set(e.wasm, call.key);
  }
}

const specs = {
  matmul: {
    params: ['c', 'a', 'b', 'm', 'k', 'n'],
    contract: { exports: ['matmulF32', 'matmulReserveB'] },
    prepare([rawC, rawA, rawB, m, k, n], shared) {
      const c = v.typedArray('c', rawC, [Float32Array], shared);
      const a = v.typedArray('a', rawA, [Float32Array], shared);
      const b = v.typedArray('b', rawB, [Float32Array], shared);
      v.integer('m', m, 0, 2 ** 32 - 1);
      v.integer('k', k, 0, 2 ** 32 - 1);
      v.integer('n', n, 0, 2 ** 32 - 1);
      if (c.length !== m * n) throw outOfRange('c.length', `m * n = ${m * n}`, c.length);
      if (a.length !== m * k) throw outOfRange('a.length', `m * k = ${m * k}`, a.length);
      if (b.length !== k * n) throw outOfRange('b.length', `k * n = ${k * n}`, b.length);
      v.noOverlap('a', a, 'c', c);
      v.noOverlap('b', b, 'c', c);
      return { c, a, b, m, k, n, key: `${RUN}:${++calls}` };
    },
    units: (c) => c.m, // rows of C
    grain(c) {
      const rows = Math.max(1, Math.floor(MATMUL_WORK / Math.max(1, c.k * c.n)));
      return Math.ceil(rows / MR) * MR;
    },
    run: runWith('matmulF32'),
    combine: (c) => c.c,
    fused: '_matmulFused', // options.fused (js/relaxed.js variantOf)
  },
};

/** A band of rows of C through `name`: A's rows into its slot, B through the cache. */
function runWith(name) {
  return (e, c, s, t) => {
    const x = e.kernel(name);
    x.load('a', c.a, s * c.k, t * c.k);
    loadB(e, c);
    x.reserve('c', c.c, (t - s) * c.n);
    x.call(t - s, c.k, c.n);
    return { writes: [x.write('c', c.c, s * c.n, t * c.n)] };
  };
}

// The fused mode: same slots and arguments, the fused module's export. Its
// label in stats and errors stays 'matmul'.
const { fused: _, ...exact } = specs.matmul;
specs._matmulFused = {
  ...exact,
  displayName: 'matmul',
  wasm: 'relaxed', // runs on the fused module's engine (js/relaxed.js)
  contract: { exports: ['matmulFusedF32', 'matmulReserveB'] },
  run: runWith('matmulFusedF32'),
};

module.exports = specs;
