'use strict';
// Zero copy on the direct path (issue 11): every kernel that js/declare.js
// declares runs on arrays in the shared memory (js/shared-memory.js) through
// the shared-memory build's export of the same name, with no copy of its
// 'in' arrays, and gives bit for bit what the copy path gives on the same
// values in an ordinary SharedArrayBuffer; 'in' arrays stay untouched, and
// the path taken is counted (declare.js `paths`) and logged (NODE_DEBUG=sabre).

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { root, faultPool } = require('./helpers');

const dist = path.join(root, 'dist');
const sabre = require(dist);
const { createSharedMemory } = require(path.join(dist, 'shared-memory.js'));
const { paths } = require(path.join(dist, 'declare.js'));
const { MAP_GRAIN, BYTE_GRAIN } = require(path.join(dist, 'kernels', 'grains.js'));
const { kernels: specs } = require(path.join(dist, 'kernels'));

/** Values of both signs, fractional, a few zeros (and so NaN from sqrt). */
function fillFloats(view, seed) {
  for (let i = 0; i < view.length; i++) view[i] = (((i * 7919 + seed * 104729) % 2001) - 1000) / 37;
  return view;
}
function fillBytes(view, seed) {
  for (let i = 0; i < view.length; i++) view[i] = (i * 31 + seed * 17 + (i >> 9)) & 255;
  return view;
}

const FLOAT_SIZES = [0, 1, 7, 1000, 2 * MAP_GRAIN + 5];
const BYTE_SIZES = [0, 1, 7, 1000, 2 * BYTE_GRAIN + 5];

// Each declared kernel: its arrays ({ name, bytes?, units? }, in order), how
// it is called, and which arrays are only read.
const F = { floats: true };
const CASES = {
  scale: { arrays: ['x'], call: (k, [x]) => k.scale(x, 1.7), ...F },
  axpy: { arrays: ['y', 'x'], reads: ['x'], call: (k, [y, x]) => k.axpy(y, -0.3, x), ...F },
  axpby: { arrays: ['y', 'x'], reads: ['x'], call: (k, [y, x]) => k.axpby(y, 0.7, x, -1.25), ...F },
  clamp: { arrays: ['x'], call: (k, [x]) => k.clamp(x, -10, 12.5), ...F },
  abs: { arrays: ['x'], call: (k, [x]) => k.abs(x), ...F },
  sqrt: { arrays: ['x'], call: (k, [x]) => k.sqrt(x), ...F },
  sum: { arrays: ['x'], reads: ['x'], call: (k, [x]) => k.sum(x), ...F },
  dot: { arrays: ['x', 'y'], reads: ['x', 'y'], call: (k, [x, y]) => k.dot(x, y), ...F },
  min: { arrays: ['x'], reads: ['x'], call: (k, [x]) => k.min(x), ...F },
  max: { arrays: ['x'], reads: ['x'], call: (k, [x]) => k.max(x), ...F },
  meanVariance: { arrays: ['x'], reads: ['x'], call: (k, [x]) => k.meanVariance(x), ...F },
  linearRegression: { arrays: ['x', 'y'], reads: ['x', 'y'], min: 2, call: (k, [x, y]) => k.linearRegression(x, y), ...F },
  invert: { arrays: ['bytes'], call: (k, [b]) => k.invert(b) },
  grayscale: { arrays: ['rgba'], align: 4, call: (k, [b]) => k.grayscale(b) },
  brightnessContrast: { arrays: ['rgba'], align: 4, call: (k, [b]) => k.brightnessContrast(b, -20, 1.3) },
  threshold: { arrays: ['bytes'], call: (k, [b]) => k.threshold(b, 100) },
  histogram: { arrays: ['bytes'], reads: ['bytes'], call: (k, [b]) => k.histogram(b) },
};

const bytesOf = (v) => new Uint8Array(v.buffer, v.byteOffset, v.byteLength).slice();

/** The same values twice: in `shared`'s memory (zc) and in ordinary SharedArrayBuffers (cp). */
function arraysFor(shared, c, Type, units) {
  const n = units * (c.align ?? 1);
  const fill = c.floats ? fillFloats : fillBytes;
  const zc = c.arrays.map((_, i) => fill(shared.alloc(Type, n), i + 1));
  const cp = c.arrays.map((_, i) => fill(new Type(new SharedArrayBuffer(n * Type.BYTES_PER_ELEMENT)), i + 1));
  return { n, zc, cp, before: zc.map(bytesOf) };
}

/** The zero-copy call gave the copy path's result and arrays, bit for bit, and left 'in' arrays alone. */
function sameAsCopy(label, c, { zc, cp, before }, got, expected) {
  if (ArrayBuffer.isView(expected) && c.reads === undefined) assert.equal(got, zc[0], `${label}: returns the caller's array`);
  else assert.deepStrictEqual(got, expected, `${label}: result`);
  c.arrays.forEach((a, i) => {
    assert.deepStrictEqual(bytesOf(zc[i]), bytesOf(cp[i]), `${label}: ${a} bit for bit`);
    if (c.reads?.includes(a)) assert.deepStrictEqual(bytesOf(zc[i]), before[i], `${label}: ${a} untouched`);
  });
}

describe('zero copy on the direct path', () => {
  let shared;
  before(() => {
    shared = createSharedMemory();
  });

  it('covers every kernel that declare.js declares', () => {
    const declared = Object.entries(specs)
      .filter(([name, spec]) => !name.startsWith('_') && spec.contract?.slots)
      .map(([name]) => name);
    assert.deepEqual(Object.keys(CASES).sort(), declared.sort());
  });

  for (const [name, c] of Object.entries(CASES)) {
    const types = c.floats ? [Float32Array, Float64Array] : [Uint8Array];
    for (const Type of types) {
      it(`${name} (${Type.name}): zero copy gives the copy path's bits, 'in' arrays untouched`, () => {
        for (const units of c.floats ? FLOAT_SIZES : BYTE_SIZES) {
          if (units < (c.min ?? 0)) continue;
          const arrays = arraysFor(shared, c, Type, units);
          const { n, zc, cp } = arrays;

          const [copy0, zero0] = [paths.copy, paths.zeroCopy];
          const expected = c.call(sabre.kernels, cp);
          const [copy1, zero1] = [paths.copy, paths.zeroCopy];
          const got = c.call(sabre.kernels, zc);
          const [copy2, zero2] = [paths.copy, paths.zeroCopy];
          const label = `${name} ${Type.name} n=${n}`;
          assert.ok(copy1 > copy0 && zero1 === zero0, `${label}: the ordinary arrays took the copy path`);
          assert.ok(zero2 - zero1 === copy1 - copy0 && copy2 === copy1, `${label}: every chunk on the shared arrays was zero-copy`);

          sameAsCopy(label, c, arrays, got, expected);
          for (const v of zc) shared.free(v);
        }
      });
    }
  }

  it('aliased arrays (dot(x, x), axpy(y, a, y), linearRegression(x, x)) give the copy path\'s bits', () => {
    const n = MAP_GRAIN + 3;
    for (const Type of [Float32Array, Float64Array]) {
      const zc = fillFloats(shared.alloc(Type, n), 9);
      const cp = fillFloats(new Type(new SharedArrayBuffer(n * Type.BYTES_PER_ELEMENT)), 9);
      assert.deepStrictEqual(sabre.kernels.dot(zc, zc), sabre.kernels.dot(cp, cp));
      assert.deepStrictEqual(sabre.kernels.linearRegression(zc, zc), sabre.kernels.linearRegression(cp, cp));
      const zero = paths.zeroCopy;
      sabre.kernels.axpy(zc, 0.5, zc);
      sabre.kernels.axpy(cp, 0.5, cp);
      assert.equal(paths.zeroCopy, zero + 2);
      assert.deepStrictEqual(bytesOf(zc), bytesOf(cp));
      shared.free(zc);
    }
  });

  it('an ordinary array among the arguments keeps the whole call on the copy path', () => {
    const y = fillFloats(shared.alloc(Float64Array, 100), 1);
    const x = fillFloats(new Float64Array(100), 2);
    const [copy, zero] = [paths.copy, paths.zeroCopy];
    sabre.kernels.axpy(y, 2, x);
    sabre.kernels.dot(x, y);
    sabre.kernels.sum(y.subarray(1)); // not the array alloc returned
    assert.equal(paths.zeroCopy, zero);
    assert.equal(paths.copy, copy + 3);
    shared.free(y);
  });

  it('a freed array is ERR_SABRE_FREED, directly and on a pool, wherever it is among the arguments', async () => {
    const z = fillFloats(shared.alloc(Float64Array, 10), 3);
    const y = fillFloats(shared.alloc(Float64Array, 10), 4);
    shared.free(z);
    assert.throws(() => sabre.kernels.sum(z), { code: 'ERR_SABRE_FREED', message: /"x" was freed/ });
    assert.throws(() => sabre.kernels.dot(y, z), { code: 'ERR_SABRE_FREED', message: /"y" was freed/ });
    const pool = new sabre.Pool({ threads: 1 });
    try {
      await assert.rejects(pool.kernels.scale(z, 2), { code: 'ERR_SABRE_FREED' });
    } finally {
      await pool.close();
    }
    shared.free(y);
  });

  it('an error the shared export reports comes back as the wasm-bindgen build throws it', () => {
    // sumF64 on a pointer 4 bytes off: the shared slot refuses it (the
    // engine never passes one; this reaches the export's error path).
    const x = shared.alloc(Float32Array, 9);
    const misaligned = { x: new Float32Array(x.buffer, x.byteOffset + 4, 8) };
    assert.throws(() => shared.runChunk('sumF64', [{ name: 'x', split: 'in' }], misaligned, 0, 4, []), {
      name: 'Error',
      code: 'ERR_SABRE_INTERNAL',
      message: /not aligned for 4 elements/,
    });
    // The instance is still usable.
    assert.deepStrictEqual(shared.runChunk('sumF32', [{ name: 'x', split: 'in' }], { x: fillFloats(x, 1) }, 0, 0, []), { value: { sum: 0, comp: 0 } });
    shared.free(x);
  });

  it('NODE_DEBUG=sabre logs each zero-copy chunk', () => {
    const script = `const s = require(${JSON.stringify(path.join(dist, 'shared-memory.js'))}).createSharedMemory();
      const x = s.alloc(Float32Array, 10); require(${JSON.stringify(dist)}).kernels.scale(x, 2);
      require(${JSON.stringify(dist)}).kernels.scale(new Float32Array(10), 2);`;
    const { status, stderr: out } = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, NODE_DEBUG: 'sabre' } });
    assert.equal(status, 0, out.toString());
    const lines = out.toString().split('\n').filter((l) => /zero-copy chunk/.test(l));
    assert.equal(lines.length, 1, out.toString());
    assert.match(lines[0], /scaleF32: zero-copy chunk \[0, 10\)/);
  });
});

describe('zero copy on a pool', () => {
  let shared;
  let pool;
  before(() => {
    shared = createSharedMemory();
    pool = new sabre.Pool({ threads: 2 });
  });
  after(async () => {
    await pool.close();
    assert.equal(shared.workerContexts(), 0, 'every worker released its context on exit');
  });

  for (const [name, c] of Object.entries(CASES)) {
    const types = c.floats ? [Float32Array, Float64Array] : [Uint8Array];
    for (const Type of types) {
      it(`${name} (${Type.name}): the pool's chunks on the shared memory give the copy path's bits`, async () => {
        for (const units of c.floats ? [1, 1000, 2 * MAP_GRAIN + 5] : [1000, 2 * BYTE_GRAIN + 5]) {
          if (units < (c.min ?? 0)) continue;
          const arrays = arraysFor(shared, c, Type, units);
          const { n, zc, cp } = arrays;
          const expected = await c.call(pool.kernels, cp);
          const [sent, ran] = [paths.poolZeroCopy, shared.workerChunks()];
          const got = await c.call(pool.kernels, zc);
          const label = `${name} ${Type.name} n=${n}`;
          // histogram's export returns a Vec (it allocates): never zero-copy on a worker.
          const chunks = Math.ceil(units / (c.floats ? MAP_GRAIN : c.align ? BYTE_GRAIN / 4 : BYTE_GRAIN));
          // Sent: at least once each (a chunk queued behind a slow one may be
          // sent again to an idle worker; the first copy is then skipped, not run).
          if (name === 'histogram') assert.equal(paths.poolZeroCopy - sent, 0, `${label}: chunks sent zero-copy`);
          else assert.ok(paths.poolZeroCopy - sent >= chunks, `${label}: chunks sent zero-copy`);
          assert.equal(shared.workerChunks() - ran, name === 'histogram' ? 0 : chunks, `${label}: chunks the workers ran zero-copy`);
          sameAsCopy(label, c, arrays, got, expected);
          for (const v of zc) shared.free(v);
        }
      });
    }
  }

  it('an array a pool call runs on cannot be freed until the call settles (ERR_SABRE_IN_USE), aborted or not', async () => {
    const n = 8 * MAP_GRAIN;
    const x = fillFloats(shared.alloc(Float64Array, n), 8);
    const y = fillFloats(shared.alloc(Float64Array, n), 9);
    const pending = pool.kernels.axpy(y, 0.5, x);
    for (const v of [x, y]) assert.throws(() => shared.free(v), { code: 'ERR_SABRE_IN_USE', message: /in use by 1 pool call/ });
    await pending;
    const ac = new AbortController();
    const aborted = pool.kernels.sum(x, { signal: ac.signal });
    assert.throws(() => shared.free(x), { code: 'ERR_SABRE_IN_USE' });
    ac.abort();
    await assert.rejects(aborted, { name: 'AbortError' });
    shared.free(x); // settled: unpinned
    shared.free(y);
    assert.throws(() => shared.free(x), { code: 'ERR_SABRE_FREED' });
  });

  it('a worker that dies mid-call: its chunk runs again, the result is the copy path\'s, its context is released', async () => {
    const crashPool = new sabre.Pool({ threads: 2 });
    const n = 8 * MAP_GRAIN;
    const x = fillFloats(shared.alloc(Float64Array, n), 7);
    const ref = fillFloats(new Float64Array(new SharedArrayBuffer(n * 8)), 7);
    const contexts = shared.workerContexts();
    const warm = shared.alloc(Float64Array, 4 * MAP_GRAIN);
    await crashPool.kernels.sum(warm); // the workers are up, with contexts on the memory
    assert.ok(shared.workerContexts() > contexts);
    shared.free(warm);
    const pending = crashPool.kernels.scale(x, 1.5);
    assert.notEqual(crashPool.simulateCrash(), null, 'a busy worker was ended');
    await pending;
    await crashPool.kernels.scale(ref, 1.5);
    assert.deepStrictEqual(bytesOf(x), bytesOf(ref));
    await crashPool.close();
    assert.equal(shared.workerContexts(), contexts, 'the dead and the closed workers released theirs');
    shared.free(x);
  });
});

describe('a worker that dies right after it wrote a chunk in place', () => {
  it('transactional: the pool puts the range back from the undo log and runs it again, exactly once', async () => {
    const pool = faultPool({ threads: 2 });
    try {
      for (const deaths of [1, 2]) {
        const x = sabre.shared.float64(8 * MAP_GRAIN + 3).fill(1);
        const budget = new Int32Array(new SharedArrayBuffer(4)).fill(deaths);
        const got = pool.kernels.scaleExitInPlace(x, 3, budget);
        if (deaths === 1) {
          assert.equal(await got, x);
          assert.ok(x.every((v) => v === 3), 'every element scaled once');
        } else {
          // Two deaths on one chunk fail the call (MAX_ATTEMPTS), with its range as it was.
          await assert.rejects(got, { code: 'ERR_SABRE_WORKER_CRASHED' });
          assert.ok(x.subarray(0, MAP_GRAIN).every((v) => v === 1), 'the dead chunk was put back');
        }
        assert.ok(Atomics.load(budget, 0) <= 0, 'the fault fired');
        sabre.shared.free(x);
      }
    } finally {
      await pool.close();
    }
  });

  it('transactional: false: the call fails with ERR_SABRE_COMMIT_INTERRUPTED, nothing applied twice', async () => {
    const pool = faultPool({ threads: 2 });
    try {
      const x = sabre.shared.float64(8 * MAP_GRAIN + 3).fill(1);
      const budget = new Int32Array(new SharedArrayBuffer(4)).fill(1);
      await assert.rejects(pool.kernels.scaleExitInPlace(x, 3, budget, { transactional: false }), { code: 'ERR_SABRE_COMMIT_INTERRUPTED', message: /may be partly written/ });
      assert.ok(x.every((v) => v === 1 || v === 3));
      sabre.shared.free(x);
    } finally {
      await pool.close();
    }
  });
});

describe('transactional: false (in-place maps write straight into the shared arrays)', () => {
  let shared;
  let pool;
  before(() => {
    shared = createSharedMemory();
    pool = new sabre.Pool({ threads: 2 });
  });
  after(() => pool.close());
  const NT = { transactional: false };
  const writing = Object.entries(CASES).filter(([, c]) => c.reads?.length !== c.arrays.length);

  for (const [name, c] of writing) {
    const Type = c.floats ? Float64Array : Uint8Array;
    for (const on of ['direct', 'pool']) {
      it(`${name} (${on}): the copy path's bits, one chunk per thread, with no undo copy`, async () => {
        const grain = c.floats ? MAP_GRAIN : c.align ? BYTE_GRAIN / 4 : BYTE_GRAIN;
        for (const units of [1, 1000, 9 * grain + 5, 130 * grain + 1]) {
          const arrays = arraysFor(shared, c, Type, units);
          const { zc, cp } = arrays;
          const k = on === 'direct' ? sabre.kernels : pool.kernels;
          const expected = await c.call(k, cp);
          const [zero, sent] = [paths.zeroCopy, paths.poolZeroCopy];
          const got = await c.call(Object.fromEntries(Object.keys(k).map((m) => [m, (...args) => k[m](...args, NT)])), zc);
          const label = `${name} ${on} n=${zc[0].length}`;
          sameAsCopy(label, c, arrays, got, expected);
          // One chunk per thread (1 direct, 2 on the pool), at most 64 grains each (declare.js).
          const threads = on === 'direct' ? 1 : 2;
          const per = Math.max(grain, Math.min(Math.ceil(units / threads), 64 * grain));
          const chunks = Math.max(1, Math.ceil(units / per));
          if (on === 'direct') assert.equal(paths.zeroCopy - zero, chunks, `${label}: chunks`);
          else assert.ok(paths.poolZeroCopy - sent >= chunks, `${label}: chunks`);
          for (const v of zc) shared.free(v);
        }
      });
    }
  }

  it('a bad value is a TypeError naming it, before anything is written (direct and pool)', async () => {
    const x = shared.alloc(Float64Array, 10).fill(1);
    for (const bad of [0, 'false', null, {}]) {
      assert.throws(() => sabre.kernels.scale(x, 2, { transactional: bad }), { name: 'TypeError', message: /"options\.transactional" argument must be a boolean/ });
      await assert.rejects(pool.kernels.scale(x, 2, { transactional: bad }), { name: 'TypeError', message: /options\.transactional/ });
    }
    assert.throws(() => sabre.kernels.scale(x, 2, 5), { name: 'TypeError', message: /"options"/ });
    assert.ok(x.every((v) => v === 1));
    assert.equal(sabre.kernels.scale(x, 2, { transactional: true }), x);
    assert.ok(x.every((v) => v === 2));
    shared.free(x);
  });

  it('a worker ended mid-call: no chunk runs twice; the call resolves exact (or rejects ERR_SABRE_COMMIT_INTERRUPTED)', async () => {
    // Each element is 1 before and 1.5 after: any other value is a chunk
    // applied twice (2.25) or a torn write. (An in-place chunk's whole run is
    // its write-back: the pool cancels a running one before it begins, or
    // waits for it; only a real death inside it is ERR_SABRE_COMMIT_INTERRUPTED.)
    const crashPool = new sabre.Pool({ threads: 2 });
    const n = 64 * MAP_GRAIN;
    const outcomes = { exact: 0, interrupted: 0 };
    for (let trial = 0; trial < 12; trial++) {
      const x = shared.alloc(Float32Array, n).fill(1);
      // Ended when a chunk reports done: the other worker is mid-chunk then.
      const at = 1 + (trial % 4);
      const onProgress = (p) => p.chunksDone === at && crashPool.simulateCrash();
      const pending = crashPool.kernels.scale(x, 1.5, { ...NT, onProgress });
      try {
        assert.equal(await pending, x);
        assert.ok(x.every((v) => v === 1.5), `trial ${trial}: every element scaled once`);
        outcomes.exact++;
      } catch (err) {
        assert.equal(err.code, 'ERR_SABRE_COMMIT_INTERRUPTED', `trial ${trial}: ${err.message}`);
        assert.match(err.message, /may be partly written/);
        assert.ok(x.every((v) => v === 1 || v === 1.5), `trial ${trial}: nothing applied twice`);
        outcomes.interrupted++;
      }
      shared.free(x);
    }
    assert.equal(outcomes.exact + outcomes.interrupted, 12);
    await crashPool.close();
  });
});

describe('a memory too full for a worker\'s context', () => {
  it('the call rejects with the RangeError naming the bytes; the pool and the memory keep working', async () => {
    const shared = createSharedMemory({ maximum: 512 }); // 32 MiB
    const pool = new sabre.Pool({ threads: 1 });
    try {
      const x = fillFloats(shared.alloc(Float64Array, 1000), 3);
      const fillers = [];
      for (;;) {
        try {
          fillers.push(shared.alloc(Uint8Array, 1 << 20));
        } catch (err) {
          assert.equal(err.code, 'ERR_SABRE_SHARED_MEMORY_FULL');
          break;
        }
      }
      await assert.rejects(pool.kernels.sum(x), { name: 'RangeError', code: 'ERR_SABRE_SHARED_MEMORY_FULL', message: /cannot allocate \d+ bytes/ });
      assert.ok(Number.isFinite(await pool.kernels.sum(new Float64Array(new SharedArrayBuffer(80)).fill(1))), 'the pool still works');
      for (const f of fillers.splice(0, 8)) shared.free(f);
      assert.equal(await pool.kernels.sum(x), sabre.kernels.sum(fillFloats(new Float64Array(1000), 3)), 'with room again, zero copy');
      for (const f of fillers) shared.free(f);
      shared.free(x);
    } finally {
      await pool.close();
    }
  });
});

describe('worker stacks (no guard page below them)', () => {
  it('every zero-copy export runs in a small part of a worker\'s stack: its high-water mark, measured', () => {
    // A worker's context on a fresh memory, its stack painted; each declared
    // kernel then runs there as a pool worker runs it (attach + the spec's
    // run), at sizes up to a chunk. The lowest painted byte overwritten is
    // the deepest the stack went: an overflow would write below the stack,
    // into the heap, with nothing to stop it, so the margin must be wide.
    const shared = createSharedMemory();
    const { attach } = require(path.join(dist, 'shared-memory.js'));
    const ctx = shared.workerContext();
    const paint = new Uint8Array(shared.memory.buffer, ctx.stack, ctx.stackSize);
    paint.fill(0xa5);
    const worker = attach(shared.module, shared.memory, ctx);
    const engine = { zeroCopy: worker };
    for (const [name, c] of Object.entries(CASES)) {
      const types = c.floats ? [Float32Array, Float64Array] : [Uint8Array];
      for (const Type of types) {
        for (const units of [1, 1000, c.floats ? MAP_GRAIN : BYTE_GRAIN / (c.align ?? 1)]) {
          if (units < (c.min ?? 0)) continue;
          const arrays = c.arrays.map((_, i) => (c.floats ? fillFloats : fillBytes)(shared.alloc(Type, units * (c.align ?? 1)), i + 1));
          const spec = specs[name];
          // The arguments as c.call passes them, through a recorder.
          let args;
          c.call(new Proxy({}, { get: () => (...a) => (args = a) }), arrays);
          const call = spec.prepare(args, false);
          if (name !== 'histogram') spec.run(engine, call, 0, spec.units(call));
          for (const a of arrays) shared.free(a);
        }
      }
    }
    const deepest = paint.findIndex((b) => b !== 0xa5);
    const used = deepest === -1 ? 0 : ctx.stackSize - deepest;
    assert.ok(used > 0, 'the kernels ran on this stack');
    assert.ok(used <= ctx.stackSize / 8, `deepest stack use ${used} bytes of ${ctx.stackSize}`);
    shared.releaseWorkerContext(ctx);
  });
});
