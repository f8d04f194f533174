'use strict';
// Every kernel against a wasm memory that grows under it.
//
// A kernel's JavaScript side makes views of the instance's memory
// (`new T(e.memory.buffer, ptr, n)`); any `reserve` or kernel call may grow
// that memory, which detaches the old buffer (or, for a shared memory,
// leaves it shorter than the new addresses). A view made before such a step
// is a bug that shows only when that step happens to grow the memory: on a
// pool, when a chunk is the first one a fresh worker runs (a worker
// restarted after a crash, or the second worker's first chunk). xorKey's
// wrapping key window had exactly that bug (it read `memory.buffer` before
// its `reserve`), and it failed in CI only when the scheduling fell that way.
//
// So here every chunk of every pass runs first on a fresh instance, in
// reverse order, and the memory grows by a page after every reserve and
// every kernel call: a stale view is then always detached (or too short),
// and the result must still be the direct call's, bit for bit.

const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { sabre, rng, assertSameBytes } = require('./helpers');

const dist = path.resolve(__dirname, '..', 'dist');
const { Engine, compileModule } = require(path.join(dist, 'engine'));
const { kernels: table } = require(path.join(dist, 'kernels'));
const { Execution } = require(path.join(dist, 'executor'));
const { MAP_GRAIN, BYTE_GRAIN, SORT_GRAIN, MANDEL_PIXELS } = require(path.join(dist, 'kernels', 'grains'));

const relaxed = require(path.join(dist, 'relaxed'));

const module_ = compileModule();

/**
 * A fresh instance (of sabre's module, or of `fused`: the relaxed-SIMD one)
 * whose memory grows a page after every reserve and every kernel call.
 */
function growingEngine(fused = false) {
  const e = fused ? new Engine({ module: relaxed.relaxedModule(), gluePath: path.join(dist, 'wasm', 'sabre_relaxed.js') }) : new Engine({ module: module_ });
  let grown = 0;
  const grow = () => {
    e.memory.grow(1);
    grown++;
  };
  const reserve = e.reserve.bind(e);
  e.reserve = (slot, view, len) => {
    const ptr = reserve(slot, view, len);
    grow();
    return ptr;
  };
  const kernel = e.kernel.bind(e);
  const wrapped = new Set();
  e.kernel = (name) => {
    const bound = kernel(name);
    if (!wrapped.has(bound)) {
      const call = bound.call;
      bound.call = (...args) => {
        const out = call(...args);
        grow();
        return out;
      };
      wrapped.add(bound);
    }
    return bound;
  };
  return { engine: e, grown: () => grown };
}

/**
 * Runs a whole call as the direct path does (js/executor.js), but each
 * chunk of each pass, last first, on its own growing instance. Returns the
 * call's value, the most chunks a pass had, and how often memory grew.
 */
function runGrowing(kernel, args, fused = false) {
  const execution = new Execution(table, kernel, table[kernel].prepare(args, false));
  let chunks = 0;
  let grown = 0;
  for (;;) {
    const { pass } = execution;
    chunks = Math.max(chunks, pass.chunks);
    const partials = new Array(pass.chunks);
    for (let i = pass.chunks - 1; i >= 0; i--) {
      const [s, t] = pass.range(i);
      const g = growingEngine(fused);
      partials[i] = g.engine.runChunk(pass.spec, pass.args, s, t);
      grown += g.grown();
    }
    const out = execution.finishPass(partials);
    if (out) return { value: out.value, chunks, grown };
  }
}

const r = rng(20261202);
const floats = (Type, n) => Type.from({ length: n }, () => Math.round((r() - 0.5) * 4096) / 16);
const bytes = (n) => Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
const MAP = 2 * MAP_GRAIN + 7;
const BYTES = 2 * BYTE_GRAIN + 5;

// kernel -> arguments (plain arrays: the direct path's), each cut into 2+ chunks.
const calls = {
  scale: () => [floats(Float64Array, MAP), 3],
  axpy: () => [floats(Float32Array, MAP), 2, floats(Float32Array, MAP)],
  axpby: () => [floats(Float64Array, MAP), 0.5, floats(Float64Array, MAP), -2],
  clamp: () => [floats(Float32Array, MAP), -10, 10],
  abs: () => [floats(Float64Array, MAP)],
  sqrt: () => [floats(Float32Array, MAP).map(Math.abs)],
  invert: () => [bytes(BYTES)],
  grayscale: () => [bytes(4 * (BYTE_GRAIN / 2 + 3))],
  brightnessContrast: () => [bytes(4 * (BYTE_GRAIN / 2 + 3)), 17, 1.25],
  threshold: () => [bytes(BYTES), 100],
  xorKey: () => [bytes(BYTES), bytes(BYTE_GRAIN + BYTE_GRAIN / 2)], // a key window that wraps inside a chunk
  'xorKey (short key)': () => [bytes(BYTES), bytes(4097)],
  sum: () => [floats(Float64Array, MAP)],
  linearRegression: () => [floats(Float64Array, MAP), floats(Float64Array, MAP)],
  dot: () => [floats(Float32Array, MAP), floats(Float32Array, MAP)],
  min: () => [floats(Float64Array, MAP)],
  max: () => [floats(Float32Array, MAP)],
  meanVariance: () => [floats(Float64Array, MAP)],
  histogram: () => [bytes(BYTES)],
  countPrimes: () => [1e9, 1e9 + 5e7],
  markPrimes: () => [new Uint8Array(BYTES), 1e9],
  mandelbrot: () => [new Uint8Array(3 * MANDEL_PIXELS), { width: 256, height: (3 * MANDEL_PIXELS) / 256, maxIter: 50 }],
  gaussianBlur: () => [new Uint8Array(4 * 300 * 200), bytes(4 * 300 * 200), 300, 200, 2.5],
  matmul: () => [new Float32Array(200 * 512), floats(Float32Array, 200 * 384), floats(Float32Array, 384 * 512), 200, 384, 512],
  nbodyStep: () => [floats(Float64Array, 3 * 3000), floats(Float64Array, 3 * 3000), floats(Float64Array, 3000).map(Math.abs), 0.01, 0.1],
  kmeansStep: () => [floats(Float32Array, 4 * 150_000), 4, floats(Float32Array, 4 * 8), new Int32Array(150_000).fill(-1)],
  sort: () => [floats(Float64Array, 3 * SORT_GRAIN + 11)],
  'sort (int32)': () => [Int32Array.from({ length: 3 * SORT_GRAIN + 11 }, () => Math.floor((r() - 0.5) * 2 ** 32))],
};

describe('kernels on a wasm memory that grows under them, each chunk first on a fresh instance', () => {
  it('the table covers every kernel', () => {
    const named = new Set(Object.keys(calls).map((k) => k.split(' ')[0]));
    assert.deepEqual(Object.keys(sabre.kernels).filter((k) => !named.has(k)), []);
  });

  it('matmul fused (relaxed SIMD, where this runtime has it)', { skip: !relaxed.supported && 'no relaxed SIMD here' }, () => {
    const args = calls.matmul();
    const copy = args[0].slice();
    const want = sabre.kernels.matmul(copy, ...args.slice(1), { fused: true });
    const got = runGrowing(relaxed.variantOf(table, 'matmul', true), args, true);
    assert.ok(got.chunks >= 2 && got.grown > 0);
    assertSameBytes(got.value, want, 'fused matmul');
  });

  for (const [label, make] of Object.entries(calls)) {
    const kernel = label.split(' ')[0];
    it(`${label}: the direct call's result, bit for bit`, () => {
      const args = make();
      const copies = args.map((a) => (ArrayBuffer.isView(a) ? a.slice() : a));
      const want = sabre.kernels[kernel](...copies);
      const got = runGrowing(kernel, args);
      assert.ok(got.chunks >= 2, `${label}: ${got.chunks} chunk(s), so no chunk ran first on a fresh instance but the first`);
      assert.ok(got.grown > 0);
      for (let i = 0; i < args.length; i++) {
        if (ArrayBuffer.isView(args[i])) assertSameBytes(args[i], copies[i], `${label}: argument ${i}`);
      }
      if (ArrayBuffer.isView(want)) assertSameBytes(got.value, want, `${label}: the value`);
      else assert.deepEqual(got.value, want);
    });
  }
});
