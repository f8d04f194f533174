'use strict';
// Chunk sizes ("grains") of the kernels, and small helpers the specs share.
//
// Grains, measured on a 2-core x86-64 VM (npm run bench, Node 20, 2026-11):
// a pool round trip costs ~56 us on that (shared) VM, and each chunk in a
// worker ~0.15 ms more than on the direct path, so a chunk should run for a
// millisecond or more. A 2^18-element f32 scale chunk takes ~1 ms with its
// copy in and out. Crossover, pool x2 against the direct call: memory-bound
// maps 0.35x at 1e5 elements (one chunk: only the event loop gains), ~1.0x
// at 1e6 (4 chunks), 0.9-1.7x at 1e7 (the copies, 56-62 % of a direct call,
// cap it); compute-bound kernels 1.5-1.9x from a few chunks up. A call of at
// most one grain runs as one chunk. Read-all kernels (matmul, n-body,
// k-means) would gain from coarser chunks (they re-copy shared inputs per
// chunk; bench: 5-21 % behind piscina's one-chunk-per-thread split).
const MAP_GRAIN = 1 << 18;
const BYTE_GRAIN = 1 << 20;
// Sieve chunks of 2^24 numbers take ~10-20 ms, and huge ranges are capped at
// 4096 chunks so the bookkeeping stays small.
const PRIME_GRAIN = 1 << 24;
const MAX_PRIME_CHUNKS = 4096;
// ...but never more than 2^32 numbers (~5 s near 10^10, longer higher up): a
// chunk cannot be stopped once it runs, so this bounds how long an abort or
// close() waits for one.
const MAX_PRIME_GRAIN = 2 ** 32;
// Mandelbrot bands hold ~2^15 pixels: a few ms at maxIter 256.
const MANDEL_PIXELS = 1 << 15;

// Sort: an array of at most SORT_GRAIN elements is one chunk, radix-sorted
// in wasm (2^18 f64: ~9 ms, i32: ~4 ms); a bigger one is sample-sorted
// (js/kernels/sort.js), its partition chunks SORT_GRAIN elements and its
// bucket chunks about as many. The merge sort this replaced measured, on
// 1e7 elements (direct path, ms, f64 / i32): sort/merge grains 2^16/2^16:
// 1627 / 1017 (8 merge rounds); 2^18/2^16: 1284 / 782; 2^18/2^18: 1541 /
// 809 (6 rounds); 2^20/2^18: 1307 / 657 (4 rounds).
const SORT_GRAIN = 1 << 18;

module.exports = { MAP_GRAIN, BYTE_GRAIN, PRIME_GRAIN, MAX_PRIME_CHUNKS, MAX_PRIME_GRAIN, MANDEL_PIXELS, SORT_GRAIN };
