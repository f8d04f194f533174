'use strict';
// The shared-memory build: js/shared-memory.js allocating typed arrays in one
// shared WebAssembly.Memory, its errors, kernels run in place on them (the
// declared path, js/declare.js), and a worker_threads instance on the same
// memory working on half of an array while the main thread does the other,
// through the export's pointer ABI itself.

const { describe, it, before } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { Worker } = require('node:worker_threads');
const { root } = require('./helpers');

const sabre = require(path.join(root, 'dist'));
const { createSharedMemory } = require(path.join(root, 'dist', 'shared-memory.js'));

const SIZES = [0, 1, 2, 7, 31, 1000, 4097];

/** Deterministic values of both signs with fractional parts. */
function fill(view, seed) {
  for (let i = 0; i < view.length; i++) view[i] = (((i * 7919 + seed * 104729) % 2001) - 1000) / 37;
  return view;
}

describe('shared memory', () => {
  let shared;
  before(() => {
    shared = createSharedMemory();
  });

  it('alloc returns ordinary typed arrays over the memory\'s SharedArrayBuffer', () => {
    for (const Type of [Float32Array, Float64Array, Int32Array, Uint8Array]) {
      const v = shared.alloc(Type, 10);
      assert.ok(v instanceof Type);
      assert.equal(v.length, 10);
      assert.ok(v.buffer instanceof SharedArrayBuffer);
      assert.equal(v.byteOffset % Math.max(Type.BYTES_PER_ELEMENT, 8), 0);
      assert.ok(v.byteOffset + v.byteLength <= shared.memory.buffer.byteLength);
      shared.free(v);
    }
  });

  it('growth: arrays made before the memory grew keep their values', () => {
    const small = fill(shared.alloc(Float64Array, 100), 1);
    const before = shared.memory.buffer.byteLength;
    const big = shared.alloc(Float64Array, 4 * 1024 * 1024); // 32 MiB: grows
    assert.ok(shared.memory.buffer.byteLength > before, 'the memory grew');
    assert.equal(big.length, 4 * 1024 * 1024);
    big[big.length - 1] = 42;
    assert.deepEqual(Array.from(small), Array.from(fill(new Float64Array(100), 1)));
    shared.free(big);
    shared.free(small);
  });

  it('free: double free, foreign arrays, hand-made views, use after free', () => {
    const v = shared.alloc(Float32Array, 8);
    const count = shared.liveCount();
    shared.free(v);
    assert.equal(shared.liveCount(), count - 1);
    assert.throws(() => shared.free(v), { code: 'ERR_SABRE_FREED', message: /freed/ });
    assert.throws(() => sabre.kernels.scale(v, 2), { code: 'ERR_SABRE_FREED' });
    assert.throws(() => shared.free(new Float32Array(8)), { name: 'TypeError', code: 'ERR_SABRE_NOT_SHARED' });
    assert.throws(() => shared.free(new Float32Array(new SharedArrayBuffer(32))), { code: 'ERR_SABRE_NOT_SHARED' });
    assert.throws(() => shared.free({}), { code: 'ERR_SABRE_NOT_SHARED' });
    const w = shared.alloc(Float32Array, 8);
    assert.throws(() => shared.free(w.subarray(2)), { code: 'ERR_SABRE_NOT_SHARED' });
    assert.throws(() => shared.free(new Float32Array(w.buffer, w.byteOffset, 8)), { code: 'ERR_SABRE_NOT_SHARED', message: /by hand/ });
    w.fill(1);
    sabre.kernels.scale(w.subarray(2), 2); // a subarray is no allocation: the copy path, same result
    assert.deepEqual(Array.from(w), [1, 1, 2, 2, 2, 2, 2, 2]);
    // A new allocation at the freed address is not the freed array.
    shared.free(w);
    const again = shared.alloc(Float32Array, 8);
    assert.throws(() => sabre.kernels.scale(w, 2), { code: 'ERR_SABRE_FREED' });
    shared.free(again);
  });

  it('alloc: bad arguments and exhaustion are errors, not traps', () => {
    assert.throws(() => shared.alloc(Float32Array, -1), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => shared.alloc(Float32Array, 1.5), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => shared.alloc(Array, 1), { name: 'TypeError' });
    assert.throws(() => shared.alloc(Float64Array, 2 ** 28), { name: 'RangeError', code: 'ERR_SABRE_SHARED_MEMORY_FULL', message: /2147483648 bytes/ });
    // Still usable afterwards.
    const v = fill(shared.alloc(Float32Array, 3), 2);
    sabre.kernels.scale(v, 2);
    shared.free(v);
  });

  for (const [Type, name] of [[Float32Array, 'f32'], [Float64Array, 'f64']]) {
    it(`scale, axpy, sum (${name}) in place, exact against a JS reference, sizes ${SIZES}`, () => {
      for (const n of SIZES) {
        const x = fill(shared.alloc(Type, n), 3);
        const y = fill(shared.alloc(Type, n), 4);
        // Each operation rounded to the element type, as the kernel does.
        const r = Type === Float32Array ? Math.fround : (v) => v;
        const a = r(1.7);

        const refScale = Type.from(x, (v) => a * v);
        sabre.kernels.scale(x, a);
        assert.deepEqual(Array.from(x), Array.from(refScale), `scale n=${n}`);

        const refAxpy = Type.from(y, (v, i) => r(r(a * x[i]) + v));
        sabre.kernels.axpy(y, a, x);
        assert.deepEqual(Array.from(y), Array.from(refAxpy), `axpy n=${n}`);

        const refSame = Type.from(x, (v) => r(r(a * v) + v));
        sabre.kernels.axpy(x, a, x);
        assert.deepEqual(Array.from(x), Array.from(refSame), `axpy x === y n=${n}`);

        // The values are k/37 for integers |k| <= 1000 (scaled): a plain f64
        // sum is exact enough to compare within rounding of the total.
        const ref = Array.from(y).reduce((s, v) => s + v, 0);
        assert.ok(Math.abs(sabre.kernels.sum(y) - ref) <= 1e-9 * (1 + Math.abs(ref)), `sum n=${n}`);
        shared.free(x);
        shared.free(y);
      }
    });
  }

  it('axpy rejects arrays of different types (distinct allocations never overlap)', () => {
    const x = shared.alloc(Float64Array, 4);
    const y = shared.alloc(Float32Array, 4);
    assert.throws(() => sabre.kernels.axpy(x, 1, y), { name: 'TypeError', message: /"x"/ });
    shared.free(x);
    shared.free(y);
  });

  it('a worker instance on the same memory scales one half while the main thread scales the other', async () => {
    const n = 100_001; // odd: the halves differ in length
    const x = fill(shared.alloc(Float32Array, n), 5);
    const ref = Float32Array.from(x, (v) => Math.fround(3) * v);
    const ctl = shared.alloc(Int32Array, 2); // [0]: worker done, [1]: worker attached
    const results = shared.alloc(Float64Array, 2 * 256); // each instance's result buffer (shared.rs RESULT_F64S)
    const ctx = shared.threadContext();
    const half = n >> 1;
    const worker = new Worker(
      `const { workerData: d } = require('node:worker_threads');
       const { attach } = require(${JSON.stringify(path.join(root, 'dist', 'shared-memory.js'))});
       const t = attach(d.module, d.memory, d.ctx);
       const ctl = new Int32Array(d.memory.buffer, d.ctl, 2);
       Atomics.store(ctl, 1, 1);
       if (t.exports.scaleF32(d.result, d.ptr, d.len, 3) !== 0) throw new Error('scaleF32 failed');
       Atomics.store(ctl, 0, 1);
       Atomics.notify(ctl, 0);`,
      {
        eval: true,
        workerData: { module: shared.module, memory: shared.memory, ctx, ctl: ctl.byteOffset, result: results.byteOffset + 256 * 8, ptr: x.byteOffset + half * 4, len: n - half },
      },
    );
    const exited = new Promise((resolve, reject) => {
      worker.once('error', reject);
      worker.once('exit', resolve);
    });
    assert.equal(shared.exports.scaleF32(results.byteOffset, x.byteOffset, half, 3), 0); // the main thread's half, in place
    const waited = Atomics.waitAsync(ctl, 0, 0);
    if (waited.async) await waited.value;
    assert.equal(Atomics.load(ctl, 0), 1, 'the worker finished');
    assert.equal(Atomics.load(ctl, 1), 1, 'the worker attached');
    assert.equal(await exited, 0);
    assert.deepEqual(Array.from(x), Array.from(ref));
    shared.releaseThreadContext(ctx);
    shared.free(ctl);
    shared.free(results);
    shared.free(x);
  });
});
