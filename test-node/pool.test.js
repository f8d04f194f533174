'use strict';
// The pool's behaviour: the event loop stays free, results do not depend on
// the thread count, and every failure the pool handles is caused here on
// purpose. Threads are coordinated with Atomics, never with sleeps.

const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { sabre, faultPool, randomShared, root } = require('./helpers');
const { waitForTicks } = require('./fixtures/fault-kernels');

describe('pool', () => {
  it('keeps the event loop free while a chunk runs; the same wait on this thread sees no tick', async () => {
    // The worker's chunk finishes only once this thread has run TICKS timer
    // and immediate callbacks (fixtures/fault-kernels.js awaitTicks), so the
    // call returns TICKS only if the event loop ran while the chunk was in
    // flight; with a blocked main thread it returns the 0 ticks it saw.
    const TICKS = 20;
    const pool = faultPool({ threads: 1 });
    const probe = new Int32Array(new SharedArrayBuffer(12)); // [ticks, started, want]
    probe[2] = TICKS;
    let settled = false;
    const call = pool.kernels.awaitTicks(sabre.shared.float64(8), probe).finally(() => (settled = true));
    while (Atomics.load(probe, 1) === 0) await Atomics.waitAsync(probe, 1, 0).value;
    for (let i = 0; i < TICKS; i++) {
      await new Promise((resolve) => (i % 2 ? setImmediate(resolve) : setTimeout(resolve, 0)));
      assert.equal(settled, false, 'the chunk is still running');
      Atomics.add(probe, 0, 1);
      Atomics.notify(probe, 0);
    }
    assert.equal(await call, TICKS);
    await pool.close();

    // The control: the same wait on this thread, as a direct call would run
    // it, sees none of the callbacks queued before it (they run after).
    const here = new Int32Array(new SharedArrayBuffer(12));
    here[2] = 1;
    const tick = () => Atomics.add(here, 0, 1);
    setTimeout(tick, 0);
    setImmediate(tick);
    assert.equal(waitForTicks(here, 50), 0, 'nothing ticks while this thread is busy');
    await new Promise((resolve) => setTimeout(resolve, 0));
    await new Promise(setImmediate);
    assert.equal(Atomics.load(here, 0), 2, 'the queued callbacks ran after it');
  });

  it('reports progress up to the whole range, in order', async () => {
    const pool = new sabre.Pool({ threads: 2 });
    const progress = [];
    const count = await pool.kernels.countPrimes(0, 1e8, { onProgress: (p) => progress.push({ ...p }) });
    assert.equal(count, 5_761_455); // pi(1e8)
    assert.ok(progress.length > 1, `${progress.length} progress reports`);
    for (let i = 1; i < progress.length; i++) assert.ok(progress[i].done >= progress[i - 1].done);
    assert.equal(progress.at(-1).done, 1e8);
    await pool.close();
  });

  it('gives bit-identical reductions on 1, 2 and 3 threads and directly', async () => {
    const x = randomShared(Float64Array, 2_000_003, 42, 1e6);
    const y = randomShared(Float64Array, 2_000_003, 43, 1e6);
    const direct = [sabre.kernels.sum(x), sabre.kernels.linearRegression(x, y)];
    for (const threads of [1, 2, 3]) {
      const pool = new sabre.Pool({ threads });
      assert.equal(pool.threads, threads);
      const got = [await pool.kernels.sum(x), await pool.kernels.linearRegression(x, y)];
      assert.deepEqual(got, direct, `${threads} threads`);
      await pool.close();
    }
  });

  it('runs concurrent calls of different kernels', async () => {
    const pool = new sabre.Pool({ threads: 2 });
    const a = randomShared(Float32Array, 1e6, 1);
    const b = sabre.shared.uint8(3e6).fill(5);
    const [s, , c] = await Promise.all([pool.kernels.sum(a), pool.kernels.invert(b), pool.kernels.countPrimes(0, 1e6)]);
    assert.equal(s, sabre.kernels.sum(a));
    assert.ok(b.every((v) => v === 250));
    assert.equal(c, 78_498);
    await pool.close();
  });

  it('lets the process exit: after close(), and when the pool is never closed', () => {
    const dist = JSON.stringify(path.join(root, 'dist'));
    for (const ending of ['await pool.close();', '/* pool never closed */']) {
      const script = `const sabre = require(${dist});
        const pool = new sabre.Pool({ threads: 2 });
        (async () => {
          const n = await pool.kernels.countPrimes(0, 1e6);
          ${ending}
          console.log('done', n);
        })();`;
      const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000 });
      assert.equal(r.signal, null, `exited by itself (${ending})`);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /done 78498/);
    }
  });

  it('close() finishes queued calls, then refuses new ones', async () => {
    const pool = new sabre.Pool({ threads: 1 });
    const calls = [pool.kernels.countPrimes(0, 1e7), pool.kernels.countPrimes(0, 1e6)];
    const closed = pool.close();
    assert.deepEqual(await Promise.all(calls), [664_579, 78_498]);
    await closed;
    await assert.rejects(pool.kernels.countPrimes(0, 10), { name: 'PoolClosedError', code: 'ERR_SABRE_POOL_CLOSED' });
  });
});

describe('dispatch paths', () => {
  for (const atomics of [true, false]) {
    it(`atomics: ${atomics}: concurrent calls, a retried crash and an abort`, async () => {
      const pool = faultPool({ threads: 2, atomics });
      const x = sabre.shared.float64(10_000).fill(1);
      const budget = new Int32Array(new SharedArrayBuffer(4));
      budget[0] = 1;
      const calls = [];
      for (let i = 0; i < 20; i++) calls.push(pool.kernels.countPrimes(0, 1000 * (i + 1)));
      const [crashy, ...counts] = await Promise.all([pool.kernels.faultExit(x, budget), ...calls]);
      assert.equal(crashy, 10_000);
      assert.equal(counts[0], 168);
      assert.equal(counts[9], 1229);
      await assert.rejects(pool.kernels.sum(x, { signal: AbortSignal.abort() }), { name: 'AbortError' });
      await pool.close();
    });

    it(`atomics: ${atomics}: the worker ${atomics ? 'stays inside' : 'returns from'} its message callback between calls`, async () => {
      // A chunk queues a microtask in its worker (loopProbeArm). Without the
      // fast path the worker returns from its message callback after each
      // request, so the microtask runs before the next message. With it the
      // worker stays in its synchronous receive loop (worker.js serve()),
      // so the next call's chunk, on the same single worker, sees it unrun.
      const pool = faultPool({ threads: 1, atomics });
      const x = sabre.shared.float64(8);
      const flag = new Int32Array(new SharedArrayBuffer(4));
      await pool.kernels.loopProbeArm(x, flag);
      assert.equal(await pool.kernels.loopProbeRead(x, flag), atomics ? 0 : 1);
      await pool.close();
    });
  }
});

describe('multi-pass calls', () => {
  it('a combine step can continue with a further pass under the same promise', async () => {
    const pool = faultPool({ threads: 2 });
    const x = sabre.shared.float64(10_000).fill(1);
    assert.equal(await pool.kernels.twoPass(x), 4); // 4 chunks of 3000 in pass two
    assert.ok(x.every((v) => v === 3));
    assert.equal(pool.kernels._passTwo, undefined, 'internal passes are not methods');
    await pool.close();
  });
});

describe('per-call data crosses to a worker once per pass', () => {
  const chunks = 16;
  const fresh = () => sabre.shared.float64(chunks * 1024).fill(1);

  it('one worker sees one arguments object for all the chunks of a call; a new call, a new one', async () => {
    const pool = faultPool({ threads: 1 });
    const counter = new Int32Array(new SharedArrayBuffer(4));
    assert.equal(await pool.kernels.countArgs(fresh(), counter), chunks * 1024);
    assert.equal(Atomics.load(counter, 0), 1, `not once per chunk (${chunks})`);
    await pool.kernels.countArgs(fresh(), counter);
    assert.equal(Atomics.load(counter, 0), 2);
    const two = faultPool({ threads: 2 });
    const counted = new Int32Array(new SharedArrayBuffer(4));
    await two.kernels.countArgs(fresh(), counted);
    // Once per worker, plus once more where a worker told a chunk was the
    // pass's last gets one back (a chunk moved off a busy worker).
    assert.ok(Atomics.load(counted, 0) <= 4, `${Atomics.load(counted, 0)} objects on 2 workers`);
    await Promise.all([pool.close(), two.close()]);
  });

  it('a chunk sent again to a new worker after a crash carries the data again', async () => {
    const pool = faultPool({ threads: 1 });
    const counter = new Int32Array(new SharedArrayBuffer(4));
    await pool.kernels.countArgs(fresh(), counter); // the worker is up
    const x = fresh();
    const call = pool.kernels.countArgs(x, counter);
    assert.notEqual(pool.simulateCrash(), null);
    assert.equal(await call, chunks * 1024);
    assert.ok(x.every((v) => v === 2), 'every chunk once, on the new worker');
    await pool.close();
  });
});

describe('pool failures', () => {
  it('a Rust panic rejects with its message; the worker recovers', async () => {
    const pool = faultPool({ threads: 1 });
    const x = sabre.shared.float64(5000).fill(1);
    await assert.rejects(pool.kernels.faultPanic(x, 3000), (err) => {
      assert.equal(err.name, 'KernelError');
      assert.equal(err.code, 'ERR_SABRE_KERNEL_PANIC');
      assert.match(err.message, /boom at 3000/);
      assert.ok(err instanceof sabre.KernelError);
      return true;
    });
    // Same single worker, fresh instance: works again.
    const y = sabre.shared.float64(5000).fill(1);
    assert.equal(await pool.kernels.faultPanic(y, -1), 5000);
    assert.ok(y.every((v) => v === 2));
    await pool.close();
  });

  it('a worker that exits mid-chunk is replaced and the chunk is retried once', async () => {
    const pool = faultPool({ threads: 2 });
    const exits = [];
    pool.on('workerExit', (e) => exits.push(e));
    const x = sabre.shared.float64(10_000).fill(1);
    const budget = new Int32Array(new SharedArrayBuffer(4));
    budget[0] = 1; // the first run of chunk 0 kills its worker
    assert.equal(await pool.kernels.faultExit(x, budget), 10_000);
    assert.ok(x.every((v) => v === 2), 'every chunk written exactly once');
    assert.equal(exits.length, 1);
    assert.equal(exits[0].code, 3);
    assert.equal(exits[0].reason, 'crash');
    await pool.close();
  });

  it('simulateCrash() ends a busy worker; its chunk is retried and the answer is right', async () => {
    const pool = new sabre.Pool({ threads: 2 });
    const exits = [];
    pool.on('workerExit', (e) => exits.push(e));
    let killed = null;
    // 179 chunks: when the third is done, both workers still hold chunks
    // (3e8 was 18 chunks of ~2 ms once the sieve got faster: sometimes no
    // worker was busy at that moment).
    const n = await pool.kernels.countPrimes(0, 3e9, {
      onProgress: ({ chunksDone }) => {
        if (chunksDone === 3) killed = pool.simulateCrash();
      },
    });
    assert.equal(n, 144_449_537); // pi(3e9)
    assert.equal(typeof killed, 'number');
    assert.deepEqual(exits.map((e) => [e.threadId, e.reason]), [[killed, 'crash']]);
    assert.equal(pool.simulateCrash(), null, 'no busy worker now');
    await pool.close();
  });

  it('a chunk that kills its worker twice rejects, naming kernel and range', async () => {
    const pool = faultPool({ threads: 2 });
    const x = sabre.shared.float64(3000).fill(1);
    const budget = new Int32Array(new SharedArrayBuffer(4));
    budget[0] = 2;
    await assert.rejects(pool.kernels.faultExit(x, budget), (err) => {
      assert.equal(err.name, 'WorkerCrashError');
      assert.equal(err.code, 'ERR_SABRE_WORKER_CRASHED');
      assert.match(err.message, /faultExit/);
      assert.match(err.message, /\[0, 1024\)/);
      assert.equal(err.kernel, 'faultExit');
      return true;
    });
    assert.ok(x.subarray(0, 1024).every((v) => v === 1), 'the failed chunk is untouched');
    // The pool still works after replacing its workers.
    assert.equal(await pool.kernels.countPrimes(0, 100), 25);
    await pool.close();
  });

  it('a timeout terminates the stuck worker and rejects', async () => {
    const pool = faultPool({ threads: 1 });
    const x = sabre.shared.float64(10).fill(1);
    await assert.rejects(pool.kernels.faultSpin(x, 0, { timeout: 200 }), { name: 'TimeoutError', code: 'ERR_SABRE_TIMEOUT' });
    assert.ok(x.every((v) => v === 1));
    assert.equal(await pool.kernels.countPrimes(0, 100), 25, 'a fresh worker took over');
    await pool.close();
  });

  it('abort drops queued chunks and writes back none in flight', async () => {
    const pool = faultPool({ threads: 2 });
    const x = sabre.shared.float64(8 * 1024).fill(1);
    const gate = new Int32Array(new SharedArrayBuffer(8));
    const ac = new AbortController();
    const p = pool.kernels.gate(x, gate, { signal: ac.signal });
    // Wait (Atomics, off the main thread's event loop) until chunk 0 is held.
    while (Atomics.load(gate, 1) === 0) await Atomics.waitAsync(gate, 1, 0).value;
    ac.abort(new Error('user said stop'));
    Atomics.store(gate, 0, 1);
    Atomics.notify(gate, 0);
    await assert.rejects(p, (err) => {
      assert.equal(err.name, 'AbortError');
      assert.equal(err.cause.message, 'user said stop');
      return true;
    });
    assert.ok(x.subarray(0, 1024).every((v) => v === 1), 'the in-flight chunk was not written back');
    for (let c = 0; c < 8; c++) {
      const chunk = x.subarray(c * 1024, (c + 1) * 1024);
      assert.ok(chunk.every((v) => v === 1) || chunk.every((v) => v === 2), `chunk ${c} is whole or untouched`);
    }
    await assert.rejects(pool.kernels.sum(x, { signal: AbortSignal.abort() }), { name: 'AbortError' });
    await pool.close();
  });

  it('destroy() rejects pending calls at once', async () => {
    const pool = faultPool({ threads: 1 });
    const x = sabre.shared.float64(10).fill(1);
    const stuck = pool.kernels.faultSpin(x, 0);
    const queued = pool.kernels.countPrimes(0, 100);
    const settled = Promise.allSettled([stuck, queued]);
    await pool.destroy();
    for (const r of await settled) {
      assert.equal(r.status, 'rejected');
      assert.equal(r.reason.name, 'PoolClosedError');
      assert.equal(r.reason.code, 'ERR_SABRE_POOL_DESTROYED');
    }
  });

  it('maxQueue rejects calls past the limit', async () => {
    const pool = faultPool({ threads: 1, maxQueue: 1 });
    const x = sabre.shared.float64(10).fill(1);
    const gate = new Int32Array(new SharedArrayBuffer(8));
    const running = pool.kernels.gate(x, gate);
    while (Atomics.load(gate, 1) === 0) await Atomics.waitAsync(gate, 1, 0).value;
    const queued = pool.kernels.countPrimes(0, 100);
    await assert.rejects(pool.kernels.countPrimes(0, 100), { name: 'QueueFullError', code: 'ERR_SABRE_QUEUE_FULL' });
    Atomics.store(gate, 0, 1);
    Atomics.notify(gate, 0);
    assert.equal(await running, 10);
    assert.equal(await queued, 25);
    await pool.close();
  });
});
