'use strict';
// The compute ceiling of wasm SIMD on this machine: f32x4 multiply-adds in
// a loop with no memory traffic, on one thread and on N at once. No wasm
// matmul can beat it, so it says how far OpenBLAS (or any anchor using
// wider vectors: AVX-512 has 16 f32 lanes, wasm SIMD 4) can be reached at
// all, and how close sabre's matmul is to what wasm allows.
//
// The module is assembled here, from its instructions, rather than shipped
// as bytes: two functions `exact(iters, a, b)` (f32x4.mul then f32x4.add,
// as sabre's exact matmul) and `fused(iters, a, b)` (f32x4.relaxed_madd,
// only where the runtime has relaxed SIMD), each running ACCUMULATORS
// independent chains per iteration so that the SIMD units, not one
// chain's latency, set the pace (12 v128 accumulators plus the two splats
// fit x86-64's 16 xmm registers).

const { Worker } = require('node:worker_threads');

const ACCUMULATORS = 12;
const FLOPS_PER_ITER = ACCUMULATORS * 4 * 2; // 4 lanes, a multiply and an add each
const ITERS = 2e7; // ~20-40 ms a run here
const ATTEMPTS = 3;

const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;
const op = {
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  end: [0x0b],
  br: (depth) => [0x0c, depth],
  brIf: (depth) => [0x0d, depth],
  get: (i) => [0x20, i],
  set: (i) => [0x21, i],
  i32Const: (v) => [0x41, v],
  i32Eqz: [0x45],
  i32Sub: [0x6b],
  splat: [0xfd, 0x13], // f32x4.splat
  extractLane0: [0xfd, 0x1f, 0], // f32x4.extract_lane 0
  add: [0xfd, 0xe4, 0x01], // f32x4.add (228)
  mul: [0xfd, 0xe6, 0x01], // f32x4.mul (230)
  madd: [0xfd, 0x85, 0x02], // f32x4.relaxed_madd (261): a * b + c
};

/** A function body: `iters` rounds of ACCUMULATORS chains acc = step(acc), then the lanes' sum's lane 0. */
function body(fused) {
  // Locals: 0 iters, 1 a, 2 b (parameters), 3 va, 4 vb, 5.. the accumulators (zero to start).
  const acc = (j) => 5 + j;
  const code = [...op.get(1), ...op.splat, ...op.set(3), ...op.get(2), ...op.splat, ...op.set(4), ...op.block, ...op.loop];
  code.push(...op.get(0), ...op.i32Eqz, ...op.brIf(1));
  for (let j = 0; j < ACCUMULATORS; j++) {
    if (fused) code.push(...op.get(acc(j)), ...op.get(3), ...op.get(4), ...op.madd, ...op.set(acc(j)));
    else code.push(...op.get(acc(j)), ...op.get(3), ...op.mul, ...op.get(4), ...op.add, ...op.set(acc(j)));
  }
  code.push(...op.get(0), ...op.i32Const(1), ...op.i32Sub, ...op.set(0), ...op.br(0), ...op.end, ...op.end);
  code.push(...op.get(acc(0)));
  for (let j = 1; j < ACCUMULATORS; j++) code.push(...op.get(acc(j)), ...op.add);
  code.push(...op.extractLane0, ...op.end);
  const locals = [1, 2 + ACCUMULATORS, V128]; // one group of v128 locals
  return withSize([...locals, ...code]);
}

/** LEB128 of a small unsigned number (every size here is < 2^14). */
const leb = (n) => (n < 0x80 ? [n] : [(n & 0x7f) | 0x80, n >> 7]);
const withSize = (bytes) => [...leb(bytes.length), ...bytes];
const section = (id, bytes) => [id, ...withSize(bytes)];
const name = (s) => withSize([...Buffer.from(s)]);

/** The module: `exact`, and `fused` when `fused` (it needs relaxed SIMD to compile). */
function peakModule(fused) {
  const fns = fused ? [false, true] : [false];
  const bytes = [
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, [1, 0x60, 3, I32, F32, F32, 1, F32]), // (i32, f32, f32) -> f32
    ...section(3, [fns.length, ...fns.map(() => 0)]),
    ...section(7, [fns.length, ...fns.flatMap((f, i) => [...name(f ? 'fused' : 'exact'), 0x00, i])]),
    ...section(10, [fns.length, ...fns.flatMap((f) => body(f))]),
  ];
  return new WebAssembly.Module(new Uint8Array(bytes));
}

/** GFLOP/s of `fn` on this thread: the best of `reps` runs after a warm-up. */
function gflopsHere(module, fn, reps) {
  const { exports } = new WebAssembly.Instance(module);
  exports[fn](ITERS / 10, 0.999, 0.001);
  let best = Infinity;
  for (let r = 0; r < reps; r++) {
    const t0 = process.hrtime.bigint();
    exports[fn](ITERS, 0.999, 0.001);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return (ITERS * FLOPS_PER_ITER) / best / 1e9;
}

// A worker says 'ready' once, then answers each 'go' with its GFLOP/s.
const WORKER = `
  const { parentPort, workerData } = require('node:worker_threads');
  const { gflopsHere } = require(workerData.file);
  parentPort.on('message', () => parentPort.postMessage(gflopsHere(workerData.module, workerData.fn, workerData.reps)));
  parentPort.postMessage('ready');
`;

/**
 * GFLOP/s of `fn` on `threads` threads at once (each its own instance),
 * summed; the best of ATTEMPTS rounds, as a ceiling should be: one round
 * that shares a core with another process (the anchors' start, a busy VM)
 * measured half the peak here.
 */
async function gflopsOn(module, fn, threads, reps) {
  const workers = Array.from({ length: threads }, () => new Worker(WORKER, { eval: true, workerData: { file: __filename, module, fn, reps } }));
  const next = (w) => new Promise((resolve, reject) => w.once('message', resolve).once('error', reject));
  try {
    await Promise.all(workers.map(next)); // 'ready'
    let best = 0;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const results = workers.map(next);
      for (const w of workers) w.postMessage('go'); // all start together
      best = Math.max(best, (await Promise.all(results)).reduce((a, b) => a + b, 0));
    }
    return best;
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/**
 * `{ exact: { 1: GFLOP/s, [t]: ... }, fused: {...} | null }`: the peak on one
 * thread and on each count of `threads`; fused is null without relaxed SIMD.
 */
async function measureSimdPeak(threads, { relaxedSimd, reps = 5 }) {
  const module = peakModule(relaxedSimd);
  const out = { accumulators: ACCUMULATORS, exact: {}, fused: relaxedSimd ? {} : null };
  for (const fn of relaxedSimd ? ['exact', 'fused'] : ['exact']) {
    out[fn][1] = gflopsHere(module, fn, ATTEMPTS * reps);
    for (const t of threads) if (t > 1) out[fn][t] = await gflopsOn(module, fn, t, reps);
  }
  return out;
}

module.exports = { measureSimdPeak, gflopsHere }; // gflopsHere: for the workers, which require this file
