'use strict';
// Pool operations: sizing, idle workers, fairness, backpressure, stats,
// events, debug logging, startup failure, error classes across threads, and
// shutdown in child processes that must exit within a bound.

const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const { once } = require('node:events');
const path = require('node:path');
const { sabre, faultPool, root } = require('./helpers');
const { kInternal } = require(path.join(root, 'dist', 'internal.js'));

const newGate = () => new Int32Array(new SharedArrayBuffer(8));
async function heldBy(gate) {
  while (Atomics.load(gate, 1) === 0) await Atomics.waitAsync(gate, 1, 0).value;
}
function open(gate) {
  Atomics.store(gate, 0, 1);
  Atomics.notify(gate, 0);
}

describe('sizing', () => {
  it('threads {min, max}: grows on demand, retires idle workers above min', async () => {
    const pool = new sabre.Pool({ threads: { min: 1, max: 3 }, idleTimeout: 0 });
    assert.equal(pool.threads, 1);
    const exits = [];
    pool.on('workerExit', (e) => exits.push(e));
    const x = sabre.shared.float64(3 << 18).fill(1);
    const retired = once(pool, 'idle');
    await pool.kernels.scale(x, 2); // 3 chunks: the pool grows past 1
    await retired;
    assert.ok(x.every((v) => v === 2));
    // Idle workers above min retire (idleTimeout 0); wait for the exits. An
    // idle pool holds no handle open, so this test keeps the loop alive.
    const keepAlive = setInterval(() => {}, 1000);
    while (pool.threads > 1) await once(pool, 'workerExit');
    clearInterval(keepAlive);
    assert.equal(pool.threads, 1);
    await pool.close();
  });

  it('validates thread and idle options', () => {
    assert.throws(() => new sabre.Pool({ threads: { min: 3, max: 2 } }), { name: 'RangeError', message: /threads.min/ });
    assert.throws(() => new sabre.Pool({ threads: { max: 0 } }), { name: 'RangeError', message: /threads.max/ });
    assert.throws(() => new sabre.Pool({ idleTimeout: -5 }), { name: 'RangeError', message: /idleTimeout/ });
    assert.throws(() => new sabre.Pool({ resourceLimits: 5 }), { name: 'TypeError', message: /resourceLimits/ });
  });
});

describe('scheduling', () => {
  it('a short call submitted after a long one finishes first (fair sharing)', async () => {
    const pool = new sabre.Pool({ threads: 1 });
    const order = [];
    const long = pool.kernels.countPrimes(0, 2e9).then(() => order.push('long'));
    const short = pool.kernels.countPrimes(0, 1e6).then(() => order.push('short'));
    await Promise.all([long, short]);
    assert.deepEqual(order, ['short', 'long']);
    await pool.close();
  });

  it('maxQueue: needsDrain while full, then a drain event', async () => {
    const pool = faultPool({ threads: 1, maxQueue: 1 });
    const gate = newGate();
    const held = pool.kernels.gate(sabre.shared.float64(4), gate);
    await heldBy(gate);
    const queued = pool.kernels.countPrimes(0, 100);
    assert.equal(pool.queueSize, 1);
    assert.equal(pool.needsDrain, true);
    const drained = once(pool, 'drain');
    open(gate);
    await drained;
    assert.equal(pool.needsDrain, false);
    assert.deepEqual(await Promise.all([held, queued]), [4, 25]);
    await pool.close();
  });

  it('maxQueue: 0 accepts a call an idle worker starts at once, rejects one that would wait', async () => {
    const pool = faultPool({ threads: 1, maxQueue: 0 });
    assert.equal(await pool.kernels.countPrimes(0, 100), 25, 'the first call after start-up waits only for the worker');
    const gate = newGate();
    const held = pool.kernels.gate(sabre.shared.float64(4), gate);
    await heldBy(gate);
    await assert.rejects(pool.kernels.countPrimes(0, 100), { name: 'QueueFullError' });
    open(gate);
    assert.equal(await held, 4);
    assert.equal(await pool.kernels.countPrimes(0, 100), 25);
    await pool.close();
  });
});

describe('observability', () => {
  it('stats() gives per-kernel counts, percentiles and utilization, recent and since start', async () => {
    const pool = new sabre.Pool({ threads: 2 });
    const x = sabre.shared.float64(5 << 18).fill(1);
    await pool.kernels.sum(x);
    await pool.kernels.sum(x);
    await pool.kernels.countPrimes(0, 1e6);
    await assert.rejects(pool.kernels.sum(x, { signal: AbortSignal.abort() }));
    const s = pool.stats();
    assert.equal(s.threads, 2);
    for (const view of [s.sinceStart, s.recent]) {
      const sum = view.kernels.sum;
      assert.equal(sum.chunks, 10);
      assert.equal(sum.runMs.count, 10);
      assert.equal(sum.waitMs.count, 2);
      assert.ok(sum.runMs.p50 > 0 && sum.runMs.p50 <= sum.runMs.p99 && sum.runMs.p99 <= sum.runMs.max);
      assert.equal(view.kernels.countPrimes.calls, 1);
      assert.ok(view.utilization > 0 && view.utilization <= 1);
    }
    assert.equal(s.recent.windowMs, 60_000);
    await pool.close();
  });

  it('emits workerError and workerExit for a crashing worker', async () => {
    const pool = faultPool({ threads: 1, resourceLimits: { maxOldGenerationSizeMb: 24, maxYoungGenerationSizeMb: 4 } });
    const errors = [];
    pool.on('workerError', (e) => errors.push(e));
    const x = sabre.shared.float64(2048).fill(1);
    // faultOom exhausts the worker's heap on chunk 0, twice: the call fails.
    await assert.rejects(pool.kernels.faultOom(x), (err) => {
      assert.equal(err.name, 'WorkerCrashError');
      assert.match(err.message, /\[0, 1024\)/);
      assert.equal(err.cause?.code, 'ERR_WORKER_OUT_OF_MEMORY');
      return true;
    });
    assert.ok(errors.some((e) => e.code === 'ERR_WORKER_OUT_OF_MEMORY'));
    assert.ok(x.subarray(0, 1024).every((v) => v === 1));
    assert.equal(await pool.kernels.countPrimes(0, 100), 25, 'workers were replaced');
    await pool.close();
  });

  it('NODE_DEBUG=sabre logs scheduling', () => {
    const script = `const s = require(${JSON.stringify(path.join(root, 'dist'))});
      const p = new s.Pool({ threads: 1 });
      p.kernels.countPrimes(0, 100).then(() => p.close());`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, NODE_DEBUG: 'sabre' } });
    assert.equal(r.status, 0);
    assert.match(r.stderr, /SABRE \d+: call 1 countPrimes: 100 units in 1 chunks/);
  });
});

describe('failures', () => {
  it('errors raised in wasm keep class, name and code across the thread', async () => {
    const pool = faultPool({ threads: 1 });
    await assert.rejects(pool.kernels.faultRustError(sabre.shared.float64(4)), (err) => {
      assert.ok(err instanceof RangeError);
      assert.equal(err.code, 'ERR_SABRE_OUT_OF_RANGE');
      assert.match(err.message, /lo: must be <= hi/);
      return true;
    });
    await pool.close();
  });

  it('workers that cannot start fail calls with a clear error instead of looping', async () => {
    const pool = new sabre.Pool({
      threads: 2,
      [kInternal]: { kernelsModule: path.join(__dirname, 'fixtures', 'broken-worker-kernels.js') },
    });
    await assert.rejects(pool.kernels.countPrimes(0, 100), (err) => {
      assert.equal(err.code, 'ERR_SABRE_WORKER_START');
      assert.match(err.message, /workers cannot start/);
      assert.match(err.message, /this worker cannot start/);
      return true;
    });
    await assert.rejects(pool.kernels.countPrimes(0, 100), { code: 'ERR_SABRE_WORKER_START' });
    await pool.destroy();
  });
});

describe('shutdown, each in a child process that must exit within 20 s', () => {
  const dist = JSON.stringify(path.join(root, 'dist'));
  const cases = {
    'close() finishes queued work, then the process exits': `
      const pool = new s.Pool({ threads: 2 });
      const a = pool.kernels.countPrimes(0, 1e7);
      const b = pool.kernels.countPrimes(0, 1e6);
      pool.close().then(async () => console.log(await a, await b));`,
    'destroy() rejects pending calls and the process exits': `
      const pool = new s.Pool({ threads: 1 });
      const a = pool.kernels.countPrimes(0, 1e10).catch((e) => e.code);
      pool.destroy().then(async () => console.log(await a));`,
    'Symbol.asyncDispose closes the pool': `
      (async () => {
        const pool = new s.Pool({ threads: 1 });
        const n = await pool.kernels.countPrimes(0, 1e6);
        await pool[Symbol.asyncDispose]();
        console.log(n, pool.threads);
      })();`,
    'a forgotten idle pool does not keep the process alive': `
      const pool = new s.Pool({ threads: 2 });
      pool.kernels.countPrimes(0, 1e6).then((n) => console.log(n));`,
  };
  const expected = {
    'close() finishes queued work, then the process exits': '664579 78498',
    'destroy() rejects pending calls and the process exits': 'ERR_SABRE_POOL_DESTROYED',
    'Symbol.asyncDispose closes the pool': '78498 0',
    'a forgotten idle pool does not keep the process alive': '78498',
  };
  for (const [name, body] of Object.entries(cases)) {
    it(name, () => {
      const r = spawnSync(process.execPath, ['-e', `const s = require(${dist});${body}`], { encoding: 'utf8', timeout: 20_000 });
      assert.equal(r.signal, null, 'exited by itself within the bound');
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.trim(), expected[name]);
    });
  }
});
