'use strict';
// Batches (js/protocol.js, js/pool/scheduler.js): short chunks of a call go
// to a worker several in one message. Each chunk must still be what it was
// alone: the same bits as the direct call at any thread count, its own fate
// when its worker dies mid-batch (written once, rerun if not), cancelled on
// abort, and counted by onProgress one by one.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { root, sabre, faultPool, rng } = require('./helpers');

const { MAP_GRAIN, BYTE_GRAIN } = require(path.join(root, 'dist', 'kernels', 'grains.js'));
const { kInternal } = require(path.join(root, 'dist', 'internal.js'));
const FAULT_GRAIN = 1 << 10; // test-node/fixtures/fault-kernels.js

/** Floats of mixed signs and magnitudes (so that summation order shows in the bits), seeded. */
function floats(n, seed, shared = false) {
  const r = rng(seed);
  const out = shared ? sabre.shared.float64(n) : new Float64Array(new SharedArrayBuffer(n * 8));
  for (let i = 0; i < n; i++) out[i] = (r() - 0.5) * 10 ** Math.floor(r() * 12 - 4);
  return out;
}

function bytes(n, seed) {
  const r = rng(seed);
  const out = new Uint8Array(new SharedArrayBuffer(n));
  for (let i = 0; i < n; i++) out[i] = Math.floor(r() * r() * 256);
  return out;
}

/** Sizes around chunk boundaries of `grain`, over calls of 1 to 17 chunks. */
const around = (grain) => [1, 2, 4, 9, 17].flatMap((k) => [k * grain - 1, k * grain, k * grain + 1]);

const REDUCTIONS = {
  sum: (k, x) => k.sum(x),
  dot: (k, x, y) => k.dot(x, y),
  min: (k, x) => k.min(x),
  max: (k, x) => k.max(x),
  meanVariance: (k, x) => k.meanVariance(x),
  linearRegression: (k, x, y) => k.linearRegression(x, y),
};

describe('batches: every reduction has the direct call\'s bits at 1, 2 and 3 threads', () => {
  // 1 thread with the pool's own batch sizing (it follows measured chunk
  // times, so how it cuts depends on the machine), 2 and 3 with fixed
  // sizes, so batches surely form and end on different chunks.
  const pools = [
    { threads: 1, batchChunks: undefined, pool: null },
    { threads: 2, batchChunks: 3, pool: null },
    { threads: 3, batchChunks: 5, pool: null },
  ];
  const big = 17 * MAP_GRAIN + 1;
  let x;
  let y;
  let zx;
  before(() => {
    for (const p of pools) p.pool = new sabre.Pool({ threads: p.threads, [kInternal]: { batchChunks: p.batchChunks } });
    x = floats(big, 1);
    y = floats(big, 2);
    zx = floats(big, 3, true);
  });
  after(async () => {
    await Promise.all(pools.map((p) => p.pool.close()));
    sabre.shared.free(zx);
  });

  for (const [name, call] of Object.entries(REDUCTIONS)) {
    it(`${name}, around chunk boundaries`, async () => {
      for (const { pool } of pools) await call(pool.kernels, x, y); // each pool learns the kernel's cost
      for (const n of around(MAP_GRAIN)) {
        const [xs, ys] = [x.subarray(0, n), y.subarray(0, n)];
        const expected = call(sabre.kernels, xs, ys);
        for (const { threads, pool } of pools) {
          // Twice: the batches are cut by timing, the bits must not be.
          for (let rep = 0; rep < 2; rep++) assert.deepEqual(await call(pool.kernels, xs, ys), expected, `${name} of ${n} on ${threads} threads`);
        }
      }
      for (const { threads, pool, batchChunks } of pools) {
        const s = pool.stats().sinceStart.kernels[name];
        if (batchChunks) assert.ok(s.batches < s.chunks, `${threads} threads: chunks went in batches (${s.batches} messages for ${s.chunks} chunks)`);
      }
    });
  }

  it('sum on sabre.shared arrays (zero copy in the workers), around chunk boundaries', async () => {
    for (const n of around(MAP_GRAIN)) {
      const xs = zx.subarray(0, n);
      const expected = sabre.kernels.sum(xs);
      for (const { threads, pool } of pools) assert.equal(await pool.kernels.sum(xs), expected, `sum of ${n} on ${threads} threads`);
    }
  });

  it('histogram, around chunk boundaries', async () => {
    const b = bytes(9 * BYTE_GRAIN + 1, 4);
    for (const { pool } of pools) await pool.kernels.histogram(b);
    for (const n of [1, 4, 9].flatMap((k) => [k * BYTE_GRAIN - 1, k * BYTE_GRAIN, k * BYTE_GRAIN + 1]).filter((n) => n <= b.length)) {
      const expected = sabre.kernels.histogram(b.subarray(0, n));
      for (const { threads, pool } of pools) assert.deepEqual(await pool.kernels.histogram(b.subarray(0, n)), expected, `histogram of ${n} on ${threads} threads`);
    }
  });
});

describe('batches: a worker that dies in the middle of one', () => {
  // Fixed batches of 4 chunks on 2 threads: worker A gets chunks 0-3 (and
  // 8-11 queued behind them), worker B 4-7, so chunk 2 dies with chunks 0
  // and 1 done in its batch and chunk 3 not started.
  const BATCH = 4;
  const n = 12 * FAULT_GRAIN;

  it('writes: the chunks done before it stay written once, the rest run again, the result is exact', async () => {
    const pool = faultPool({ threads: 2 }, { batchChunks: BATCH });
    try {
      const x = new Float64Array(new SharedArrayBuffer(n * 8)).fill(1);
      const arg = new Int32Array(new SharedArrayBuffer(16));
      arg.set([1, 2 * FAULT_GRAIN + 7, 0, 0]);
      const exits = [];
      pool.on('workerExit', (e) => exits.push(e));
      assert.equal(await pool.kernels.scaleExitAt(x, arg), n, 'every chunk counted once');
      assert.ok(Atomics.load(arg, 0) <= 0, 'the fault fired');
      assert.equal(exits.length, 1);
      assert.ok(x.every((v) => v === 2), 'every element scaled exactly once');
    } finally {
      await pool.close();
    }
  });

  it('writes nothing: the chunks it had finished in its batch run again, and are not blamed for its death', async () => {
    const pool = faultPool({ threads: 2 }, { batchChunks: BATCH });
    try {
      const x = new Float64Array(new SharedArrayBuffer(n * 8)).map((_, i) => i);
      const shared = new Float64Array(new SharedArrayBuffer(n * 8));
      shared.set(x);
      // It dies in chunk 2 (chunks 0 and 1 finished, their values only in
      // the batch's reply), then in chunk 1 when it runs again: a second
      // death, but the first one was not chunk 1's, so it runs a third time.
      const arg = new Int32Array(new SharedArrayBuffer(16));
      arg.set([1, 2 * FAULT_GRAIN, 1, FAULT_GRAIN + 3]);
      const runs = new Int32Array(new SharedArrayBuffer(4 * 12));
      assert.equal(await pool.kernels.sumExitAt(shared, arg, runs), (n * (n - 1)) / 2);
      assert.ok(Atomics.load(arg, 0) <= 0 && Atomics.load(arg, 2) <= 0, 'both faults fired');
      assert.equal(runs[1], 3, 'chunk 1 ran in the batch, died once, then ran to the end');
      assert.ok(runs[2] >= 2, 'chunk 2 died once, then ran (and maybe again: before chunk 1 in a batch that died)');
    } finally {
      await pool.close();
    }
  });

  it('zero copy in place: the chunk it was writing is put back and runs once more; the earlier ones are not rerun', async () => {
    const pool = faultPool({ threads: 2 }, { batchChunks: BATCH });
    const x = sabre.shared.float64(8 * MAP_GRAIN + 3).fill(1);
    try {
      const arg = new Int32Array(new SharedArrayBuffer(8));
      arg.set([1, 2 * MAP_GRAIN + 1]);
      assert.equal(await pool.kernels.scaleExitInPlaceAt(x, 3, arg), x);
      assert.ok(Atomics.load(arg, 0) <= 0, 'the fault fired');
      assert.ok(x.every((v) => v === 3), 'every element scaled exactly once');
    } finally {
      await pool.close();
      sabre.shared.free(x);
    }
  });
});

describe('batches: abort and progress', () => {
  async function heldBy(gate) {
    while (Atomics.load(gate, 1) === 0) await Atomics.waitAsync(gate, 1, 0).value;
  }

  it('abort while a batch runs: the call settles at once; its batch\'s chunks are never written, every other chunk all or nothing', async () => {
    const pool = faultPool({ threads: 2 }, { batchChunks: 4 });
    try {
      const chunks = 16;
      const x = new Float64Array(new SharedArrayBuffer(chunks * FAULT_GRAIN * 8)).fill(1);
      const gate = new Int32Array(new SharedArrayBuffer(8)); // [open, started]: chunk 0 waits for open
      const ac = new AbortController();
      const got = pool.kernels.gate(x, gate, { signal: ac.signal });
      await heldBy(gate);
      ac.abort();
      await assert.rejects(got, { name: 'AbortError' }); // chunk 0 still held
      Atomics.store(gate, 0, 1);
      Atomics.notify(gate, 0);
      await pool.close(); // the workers answered for everything they held
      for (let c = 0; c < chunks; c++) {
        const part = x.subarray(c * FAULT_GRAIN, (c + 1) * FAULT_GRAIN);
        if (c < 4) assert.ok(part.every((v) => v === 1), `chunk ${c} (the held batch) untouched`);
        else assert.ok(part.every((v) => v === part[0]) && (part[0] === 1 || part[0] === 2), `chunk ${c} all or nothing`);
      }
    } finally {
      await pool.close();
    }
  });

  it('a batch held up by its first chunk: an idle worker takes over the chunks behind it', { timeout: 20_000 }, async () => {
    const pool = faultPool({ threads: 2 }, { batchChunks: 4 });
    try {
      const x = new Float64Array(new SharedArrayBuffer(8 * FAULT_GRAIN * 8)).fill(1);
      const gate = new Int32Array(new SharedArrayBuffer(8));
      // Worker A gets chunks 0-3 and holds at chunk 0; worker B runs 4-7,
      // then, idle, must take 1-3 from behind A's chunk 0: every chunk but
      // chunk 0 is done while the gate is still shut.
      let allButFirst;
      const seven = new Promise((resolve) => (allButFirst = resolve));
      const got = pool.kernels.gate(x, gate, { onProgress: (p) => p.chunksDone === 7 && allButFirst() });
      await heldBy(gate);
      await seven;
      assert.ok(x.subarray(FAULT_GRAIN).every((v) => v === 2), 'chunks 1-7 written while chunk 0 is held');
      assert.ok(x.subarray(0, FAULT_GRAIN).every((v) => v === 1), 'chunk 0 not yet');
      Atomics.store(gate, 0, 1);
      Atomics.notify(gate, 0);
      assert.equal(await got, x.length);
      assert.ok(x.every((v) => v === 2), 'every chunk once');
    } finally {
      await pool.close();
    }
  });

  it('onProgress counts every chunk, one at a time, up to the total', async () => {
    // A fixed batch size: the pool's own sizing follows measured chunk
    // times, and a chunk of a busy machine may be worth a message alone.
    const pool = new sabre.Pool({ threads: 2, [kInternal]: { batchChunks: 4 } });
    try {
      const x = floats(9 * MAP_GRAIN + 5, 5);
      await pool.kernels.sum(x);
      const seen = [];
      await pool.kernels.sum(x, { onProgress: (p) => seen.push(p) });
      assert.equal(seen.length, 10);
      seen.forEach((p, i) => {
        assert.equal(p.chunksDone, i + 1);
        assert.equal(p.chunks, 10);
        assert.equal(p.total, x.length);
        if (i > 0) assert.ok(p.done > seen[i - 1].done, 'done only grows');
      });
      assert.equal(seen.at(-1).done, x.length);
      const s = pool.stats().sinceStart.kernels.sum;
      assert.ok(s.batches < s.chunks, `chunks went in batches (${s.batches} messages for ${s.chunks} chunks)`);
    } finally {
      await pool.close();
    }
  });
});

describe('envelopes: tiny calls in flight share messages, each settles as if alone', () => {
  it('2,000 tiny calls of three kernels: every result the direct call’s, in far fewer messages than calls', { timeout: 30_000 }, async () => {
    // Envelopes of 8 calls (a fixed size: the pool's own choice of tiny
    // calls follows measured times, which depend on the machine).
    const pool = new sabre.Pool({ threads: 2, [kInternal]: { batchChunks: 8 } });
    try {
      const xs = Array.from({ length: 50 }, (_, i) => floats(17 + i, 100 + i));
      const calls = [];
      const want = [];
      for (let i = 0; i < 2000; i++) {
        if (i % 3 === 0) {
          calls.push(pool.kernels.countPrimes(0, 1000 + i));
          want.push(sabre.kernels.countPrimes(0, 1000 + i));
        } else if (i % 3 === 1) {
          calls.push(pool.kernels.sum(xs[i % 50]));
          want.push(sabre.kernels.sum(xs[i % 50]));
        } else {
          calls.push(pool.kernels.max(xs[i % 50]));
          want.push(sabre.kernels.max(xs[i % 50]));
        }
      }
      assert.deepEqual(await Promise.all(calls), want);
      const k = pool.stats().sinceStart.kernels;
      const messages = k.countPrimes.batches + k.sum.batches + (k.max?.batches ?? 0);
      const total = k.countPrimes.calls + k.sum.calls + k.max.calls;
      assert.ok(messages < total / 4, `${messages} messages for ${total} calls`);
    } finally {
      await pool.close();
    }
  });

  it('a worker that dies mid-envelope: every tiny in-place call applied exactly once', { timeout: 30_000 }, async () => {
    const pool = new sabre.Pool({ threads: 2, [kInternal]: { batchChunks: 8 } });
    try {
      const arrays = Array.from({ length: 1500 }, (_, i) => floats(5 + (i % 11), 200 + i));
      const before = arrays.map((a) => a.slice());
      let settled = 0;
      let crashed = null;
      const calls = arrays.map((a) =>
        pool.kernels.scale(a, 2).then(() => {
          // A third of the way in, with envelopes in flight: end a busy worker.
          if (++settled === 500) crashed = pool.simulateCrash();
        }),
      );
      await Promise.all(calls);
      assert.notEqual(crashed, null, 'a worker was ended');
      arrays.forEach((a, i) => assert.deepEqual([...a], [...before[i]].map((v) => v * 2), `array ${i} scaled once`));
    } finally {
      await pool.close();
    }
  });
});
