'use strict';
// The README's promises, tried where they break: a worker that dies at the
// worst moment (between write-back and reply, mid-write-back), a call that
// must settle while another call's chunk holds its worker, a busy pool that
// must not keep finished calls, and arguments or options that lie, throw or
// cannot cross to a worker. Threads are coordinated with Atomics; a timer is
// used only where the promise itself is about time passing.

const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const { once } = require('node:events');
const path = require('node:path');
const { sabre, faultPool, root } = require('./helpers');

const userFaults = path.join(__dirname, 'fixtures', 'user-faults.js');
const newGate = () => new Int32Array(new SharedArrayBuffer(8));
async function heldBy(gate) {
  while (Atomics.load(gate, 1) === 0) await Atomics.waitAsync(gate, 1, 0).value;
}
function open(gate) {
  Atomics.store(gate, 0, 1);
  Atomics.notify(gate, 0);
}
const { performance } = require('node:perf_hooks');
/** Rejects if `promise` has not settled within `ms`: a failure guard, not a synchronisation. */
function within(promise, ms, what) {
  let timer;
  const guard = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not settled within ${ms} ms`)), ms);
  });
  return Promise.race([promise, guard]).finally(() => clearTimeout(timer));
}

/** Runs `script` in a fresh Node (the package as `sabre`), returns { status, stdout, stderr }. */
function child(script, args = []) {
  const r = spawnSync(process.execPath, [...args, '-e', `const sabre = require(${JSON.stringify(path.join(root, 'dist'))});\n${script}`], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(r.signal, null, `child ended by ${r.signal}: ${r.stderr}`);
  return r;
}

describe('exactly once: a chunk written back is never run again', () => {
  it('a worker that dies after its write-back, before its reply: the call resolves, each chunk applied once, its value kept', async () => {
    const pool = faultPool({ threads: 2 });
    const exits = [];
    pool.on('workerExit', (e) => exits.push(e));
    const x = sabre.shared.float64(4096).fill(1);
    const budget = new Int32Array(new SharedArrayBuffer(8));
    budget[0] = 1; // one death...
    budget[1] = 1; // ...just after chunk 0 was written, before the reply
    assert.equal(await pool.kernels.faultExitInCommit(x, budget), 4096, 'every chunk value, the lost reply included');
    assert.ok(x.every((v) => v === 2), 'no chunk scaled twice');
    assert.deepEqual(exits.map((e) => e.code), [4]);
    await pool.close();
  });

  it('a worker that dies inside its write-back: the call fails naming the range, never resolves as if whole', async () => {
    const pool = faultPool({ threads: 1 });
    const x = sabre.shared.float64(4096).fill(1);
    const budget = new Int32Array(new SharedArrayBuffer(8));
    budget[0] = 1;
    budget[1] = 0; // dies with the task COMMITTING, before its first byte
    await assert.rejects(pool.kernels.faultExitInCommit(x, budget), (err) => {
      assert.equal(err.name, 'WorkerCrashError');
      assert.equal(err.code, 'ERR_SABRE_COMMIT_INTERRUPTED');
      assert.deepEqual([err.start, err.end], [0, 1024]);
      return true;
    });
    assert.ok(x.subarray(0, 1024).every((v) => v === 1), 'died before writing: untouched here');
    assert.equal(await pool.kernels.countPrimes(0, 100), 25, 'the pool goes on');
    await pool.close();
  });
});

describe('settled calls are unreachable from a busy pool', () => {
  it('32 lanes of calls on fresh arrays: the arrays of settled calls are collected while the pool stays busy', () => {
    // In a child with --expose-gc: count collected arrays (FinalizationRegistry)
    // at a point where 32 calls are still in flight.
    const r = child(
      `const pool = new sabre.Pool({ threads: 2 });
      let collected = 0;
      const registry = new FinalizationRegistry(() => collected++);
      let settled = 0;
      let measured = null;
      async function lane() {
        while (settled < 800) {
          const x = sabre.shared.float64(1 << 17).fill(1);
          registry.register(x, 0);
          if ((await pool.kernels.sum(x)) !== 1 << 17) throw new Error('wrong sum');
          settled++;
          if (settled === 600) {
            measured = (async () => {
              for (let i = 0; i < 4; i++) { gc(); await new Promise((r) => setImmediate(r)); }
              return { settled, collected, arrayBuffers: process.memoryUsage().arrayBuffers };
            })();
          }
        }
      }
      Promise.all(Array.from({ length: 32 }, lane)).then(async () => {
        console.log(JSON.stringify(await measured));
        await pool.close();
      });`,
      ['--expose-gc'],
    );
    assert.equal(r.status, 0, r.stderr);
    const { settled, collected, arrayBuffers } = JSON.parse(r.stdout);
    assert.ok(collected >= settled * 0.8, `${collected} of the first ${settled} settled calls' arrays collected`);
    // 600 MiB went through the pool; what stays allocated is the calls in
    // flight (32 MiB) plus what each worker may hold until its next young
    // collection (64 MiB each, worker.js). (These arrays live in one wasm
    // memory, whose freed bytes are reused: that workers let go of what
    // they hold is the next test's, on plain SharedArrayBuffers.)
    assert.ok(arrayBuffers < 256 * 2 ** 20, `${(arrayBuffers / 2 ** 20).toFixed(0)} MiB of array buffers still allocated`);
  });

  // A worker keeps a pass's data (its arrays) while it may get more chunks
  // of it, and drops it when the pool says the pass is over (a forget list
  // or message). One-chunk calls never keep it, so the test above cannot
  // see a worker that never forgets: these calls are three chunks each.
  it('multi-chunk calls: the workers let go of each settled pass\'s arrays', () => {
    const r = child(
      `const pool = new sabre.Pool({ threads: 2 });
      // Plain SharedArrayBuffers: a sabre.shared array's bytes are reused
      // once the main thread drops it, whoever still holds a view.
      const f64 = (n) => new Float64Array(new SharedArrayBuffer(n * 8));
      let settled = 0;
      async function lane() {
        while (settled < 160) {
          const x = f64(3 << 18).fill(1); // 6 MiB, 3 chunks
          if ((await pool.kernels.sum(x)) !== 3 << 18) throw new Error('wrong sum');
          settled++;
        }
      }
      (async () => {
        for (let i = 0; i < 8; i++) await pool.kernels.sum(f64(3 << 18)); // workers started
        await Promise.all(Array.from({ length: 4 }, lane));
        // The workers collect every 64 MiB of arrays handed to them: a few
        // more calls make each of them collect what it dropped.
        for (let i = 0; i < 40; i++) await pool.kernels.sum(f64(3 << 18));
        for (let i = 0; i < 4; i++) { gc(); await new Promise((r) => setImmediate(r)); }
        console.log(JSON.stringify({ settled, arrayBuffers: process.memoryUsage().arrayBuffers }));
        await pool.close();
      })();`,
      ['--expose-gc'],
    );
    assert.equal(r.status, 0, r.stderr);
    const { settled, arrayBuffers } = JSON.parse(r.stdout);
    assert.ok(settled >= 160, String(settled));
    // ~1.2 GiB went through the pool. A SharedArrayBuffer's bytes stay
    // counted in arrayBuffers until every thread let go of it; measured:
    // 228 MiB (what the workers drop at their next collection, up to 64 MiB
    // each, and the calls in flight) against 1242 MiB with the pool's forget
    // sabotaged. (RSS cannot tell them apart: malloc keeps the freed pages.)
    assert.ok(arrayBuffers < 512 * 2 ** 20, `${(arrayBuffers / 2 ** 20).toFixed(0)} MiB of array buffers still allocated`);
  });
});

describe('clean refusals: checked before anything is registered', () => {
  it('an argument that cannot cross to a worker is a TypeError naming it; nothing registered; close() resolves', async () => {
    const pool = new sabre.Pool({ threads: 1 });
    const mine = pool.load(require(userFaults));
    const x = sabre.shared.float64(2048).fill(1);
    await assert.rejects(mine.addOne(x, { f() {} }), (err) => {
      assert.ok(err instanceof TypeError);
      assert.match(err.message, /"options" argument must be a value that can be sent to a worker/);
      return true;
    });
    await assert.rejects(mine.addOne(x, Symbol('s')), { name: 'TypeError', message: /"options"/ });
    const proxy = new Proxy(sabre.shared.float64(8), {});
    await assert.rejects(pool.kernels.scale(proxy, 2), { name: 'TypeError', message: /"x" argument must be a Float32Array or Float64Array. Received a Proxy/ });
    assert.deepEqual(pool.stats().sinceStart.kernels, {}, 'no call was registered');
    assert.ok(x.every((v) => v === 1));
    assert.equal(await mine.addOne(x, { plain: [1, 2] }), 2048, 'a cloneable value goes through');
    assert.ok(x.every((v) => v === 2));
    await within(pool.close(), 10_000, 'close()');
  });

  it('the same on a fresh pool, and the process exits 0', () => {
    const r = child(
      `const pool = new sabre.Pool({ threads: 1 });
      const mine = pool.load(require(${JSON.stringify(userFaults)}));
      mine.addOne(sabre.shared.float64(8), { f() {} }).catch((e) => console.log(e.name));`,
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'TypeError');
  });

  it('a post that fails anyway fails only that call, on a warm or a fresh pool', async () => {
    const pool = faultPool({ threads: 1 });
    assert.equal(await pool.kernels.countPrimes(0, 100), 25);
    const x = sabre.shared.float64(8).fill(1);
    const [bad, good] = await Promise.allSettled([pool.kernels.faultUncloneable(x), pool.kernels.countPrimes(0, 1000)]);
    assert.equal(bad.status, 'rejected');
    assert.equal(bad.reason.code, 'ERR_SABRE_ARGUMENT_NOT_CLONEABLE');
    assert.ok(bad.reason instanceof TypeError);
    assert.deepEqual(good, { status: 'fulfilled', value: 168 });
    assert.ok(x.every((v) => v === 1));
    await within(pool.close(), 10_000, 'close()');

    const fresh = faultPool({ threads: 1 });
    await assert.rejects(fresh.kernels.faultUncloneable(x), { code: 'ERR_SABRE_ARGUMENT_NOT_CLONEABLE' });
    assert.equal(await fresh.kernels.countPrimes(0, 100), 25);
    await within(fresh.close(), 10_000, 'close()');
  });

  it('a typed-array subclass that lies about itself changes nothing: its real bytes are used, once', async () => {
    class Liar extends Float64Array {
      get length() {
        return 3 * 2 ** 18;
      }
      get buffer() {
        throw new Error('buffer getter');
      }
      subarray() {
        throw new Error('subarray');
      }
      set() {
        throw new Error('set');
      }
    }
    const n = 2 ** 18 + 10;
    const pool = new sabre.Pool({ threads: 2 });
    const realBuffer = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Float64Array.prototype), 'buffer').get;
    for (const [name, call, Buf] of [
      ['direct', async (x) => sabre.kernels.scale(x, 2), ArrayBuffer],
      ['pool', (x) => pool.kernels.scale(x, 2), SharedArrayBuffer],
    ]) {
      const x = new Liar(new Buf(8 * n)).fill(1);
      assert.equal(await call(x), x, `${name}: returns the caller's own array`);
      const real = new Float64Array(realBuffer.call(x));
      assert.equal(real.length, n);
      assert.ok(real.every((v) => v === 2), `${name}: every element scaled exactly once`);
    }
    await pool.close();
  });

  it('detached buffers and Proxies are refused naming the argument (direct)', () => {
    const x = new Float64Array(8);
    structuredClone(x.buffer, { transfer: [x.buffer] });
    assert.throws(() => sabre.kernels.sum(x), { name: 'TypeError', message: /"x" argument must be a Float32Array or Float64Array on a usable buffer. Received a Float64Array whose ArrayBuffer is detached/ });
    assert.throws(() => sabre.kernels.axpy(new Float64Array(8), 2, new Proxy(new Float64Array(8), {})), { name: 'TypeError', message: /"x" argument/ });
    const throwing = new Proxy({}, { getOwnPropertyDescriptor() { throw new Error('trap'); } });
    assert.throws(() => sabre.kernels.mandelbrot(new Uint8Array(4), throwing), { name: 'TypeError', message: /"view.width"/ });
    const getter = { get width() { throw new Error('no width'); }, height: 2 };
    assert.throws(() => sabre.kernels.mandelbrot(new Uint8Array(4), getter), { name: 'TypeError', message: /"view.width" argument must be a readable property/ });
  });

  it('an AbortSignal that lies or throws: its own overrides never run; a failing one is a TypeError and the call never runs', async () => {
    const pool = new sabre.Pool({ threads: 1 });
    // Overrides on the signal are not used: sabre goes through the built-in
    // EventTarget and AbortSignal accessors.
    const signal = new AbortController().signal;
    signal.addEventListener = () => {
      throw new Error('no listeners here');
    };
    Object.defineProperty(signal, 'aborted', { value: true });
    const x = sabre.shared.float64(8).fill(1);
    assert.equal(await pool.kernels.scale(x, 2, { signal }), x);
    assert.ok(x.every((v) => v === 2));
    // A Proxy on which the built-in addEventListener itself throws.
    const hostile = new Proxy(new AbortController().signal, {
      get(target, key) {
        if (key === 'constructor') throw new Error('hostile');
        return Reflect.get(target, key);
      },
    });
    const y = sabre.shared.float64(8).fill(1);
    await assert.rejects(pool.kernels.scale(y, 2, { signal: hostile }), { name: 'TypeError', message: /"options.signal" argument must be an AbortSignal/ });
    assert.equal(await pool.kernels.countPrimes(0, 100), 25, 'a later call on the same worker');
    assert.ok(y.every((v) => v === 1), 'the refused call did not run');
    await pool.close();
  });

  it('resourceLimits are checked field by field; what Node cannot run is refused', () => {
    for (const [limits, Cls, pattern] of [
      [{ stackSizeMb: 0.1 }, RangeError, /"options.resourceLimits.stackSizeMb" is out of range/],
      [{ stackSizeMb: NaN }, RangeError, /stackSizeMb/],
      [{ maxOldGenerationSizeMb: -1 }, RangeError, /maxOldGenerationSizeMb/],
      [{ codeRangeSizeMb: 1e9 }, RangeError, /codeRangeSizeMb/],
      [{ maxYoungGenerationSizeMb: '8' }, TypeError, /maxYoungGenerationSizeMb" argument must be of type number/],
      [{ stackSize: 4 }, TypeError, /"options.resourceLimits.stackSize" argument must be one of/],
    ]) {
      assert.throws(() => new sabre.Pool({ threads: 1, resourceLimits: limits }), (err) => {
        assert.ok(err instanceof Cls, `${JSON.stringify(limits)}: ${err.message}`);
        assert.match(err.message, pattern);
        return true;
      });
    }
    const r = child(`try { new sabre.Pool({ resourceLimits: { stackSizeMb: 0.1 } }); } catch (e) { console.log(e.name); }
      const p = new sabre.Pool({ threads: 1, resourceLimits: { stackSizeMb: 1, maxOldGenerationSizeMb: 64 } });
      p.kernels.countPrimes(0, 100).then((n) => { console.log(n); return p.close(); });`);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), ['RangeError', '25']);
  });

  it('options are own properties only: Object.prototype pollution and forged test hooks change nothing', () => {
    const marker = path.join(__dirname, 'fixtures', 'broken-worker-kernels.js');
    const r = child(`
      Object.prototype[Symbol.for('sabre.internal.kernelsModule')] = ${JSON.stringify(marker)};
      Object.prototype[Symbol.for('sabre.internal.gluePath')] = '/nonexistent/glue.js';
      Object.prototype.maxQueue = 0;
      Object.prototype.timeout = 1;
      Object.prototype.threads = 0;
      const pool = new sabre.Pool({ threads: 1 });
      const calls = Array.from({ length: 4 }, () => pool.kernels.countPrimes(0, 2e7, {}));
      Promise.all(calls).then(async (counts) => {
        console.log(counts.join(','), typeof globalThis.__sabre_panic);
        await pool.close();
      }, (e) => { console.log('failed', e.message); process.exitCode = 1; pool.destroy(); });`);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal(r.stdout.trim(), '1270607,1270607,1270607,1270607 undefined');
  });

  it('the panic channel is private: code that overwrites globalThis.__sabre_panic cannot hide or fake a panic', () => {
    const { Engine } = require(path.join(root, 'dist', 'engine.js'));
    const { kernels: faults } = require(path.join(__dirname, 'fixtures', 'fault-kernels.js'));
    const engine = new Engine({ gluePath: path.join(root, 'build', 'wasm-faults', 'sabre.js') });
    assert.equal(globalThis.__sabre_panic, undefined, 'sabre sets no global');
    globalThis.__sabre_panic = () => {
      throw new Error('hijacked');
    };
    try {
      const x = new Float64Array(8);
      assert.throws(() => engine.runChunk(faults.faultPanic, { x, at: 0 }, 0, 8), { name: 'KernelError', message: /boom at 0/ });
      assert.equal(engine.runChunk(faults.faultPanic, { x, at: -1 }, 0, 8), 8, 'a fresh instance after the panic');
    } finally {
      delete globalThis.__sabre_panic;
    }
  });
});

describe('every promise settles on time', () => {
  // One worker: `gate` holds it, and a call queued behind it on that worker
  // (a sum of two chunks, so its first chunk is pipelined there).
  async function heldWorker() {
    const pool = faultPool({ threads: 1 });
    const gate = newGate();
    const held = pool.kernels.gate(sabre.shared.float64(4).fill(1), gate);
    await heldBy(gate);
    return { pool, gate, held };
  }
  const twoChunks = () => sabre.shared.float64(2 ** 18 + 1).fill(1);

  it('abort of a call queued behind another call\'s chunk settles at once', async () => {
    const { pool, gate, held } = await heldWorker();
    const ac = new AbortController();
    const behind = pool.kernels.sum(twoChunks(), { signal: ac.signal });
    ac.abort();
    await within(assert.rejects(behind, { name: 'AbortError' }), 2000, 'the aborted call');
    open(gate);
    assert.equal(await held, 4);
    assert.equal(await pool.kernels.sum(twoChunks()), 2 ** 18 + 1, 'its stale chunk was skipped, the slot reused safely');
    await pool.close();
  });

  it('timeout counts run time, not time queued behind another call', async () => {
    // The chunk ahead (held at its gate) has a 400 ms limit and is ended by
    // it; the call behind has 200 ms and waits longer than that for the
    // worker, yet its clock starts only when its chunk does. No sleeps: the
    // first timeout is the event the test waits for.
    const pool = faultPool({ threads: 1 });
    const gate = newGate();
    const x = sabre.shared.float64(4).fill(1);
    const held = pool.kernels.gate(x, gate, { timeout: 400 });
    await heldBy(gate);
    const behind = pool.kernels.sum(twoChunks(), { timeout: 200 });
    const t0 = performance.now();
    await within(assert.rejects(held, { name: 'TimeoutError' }), 10_000, 'the held call, past its limit');
    assert.ok(performance.now() - t0 >= 200, 'the call behind waited longer than its own limit');
    assert.equal(await within(behind, 10_000, 'the call behind'), 2 ** 18 + 1);
    assert.ok(x.every((v) => v === 1), 'the timed-out call wrote nothing');
    await pool.close();
  });

  it('a call whose chunk waits behind a chunk that never ends moves to an idle worker', async () => {
    const pool = faultPool({ threads: 2 });
    const gate = newGate();
    const held = pool.kernels.gate(sabre.shared.float64(4).fill(1), gate);
    await heldBy(gate);
    // Enough chunks that some are pipelined behind the held worker's chunk.
    const calls = Array.from({ length: 6 }, () => pool.kernels.sum(twoChunks()));
    assert.deepEqual(await within(Promise.all(calls), 20_000, 'calls behind the held chunk'), Array(6).fill(2 ** 18 + 1));
    open(gate);
    assert.equal(await held, 4);
    await pool.close();
  });

  it('a timed-out stuck chunk ends its worker; the other call queued on it runs elsewhere', async () => {
    const pool = faultPool({ threads: 1 });
    const x = sabre.shared.float64(4).fill(1);
    const stuck = pool.kernels.faultSpin(x, 0, { timeout: 300 });
    const behind = pool.kernels.sum(twoChunks());
    await within(assert.rejects(stuck, { name: 'TimeoutError' }), 5000, 'the timed-out call');
    assert.equal(await within(behind, 10_000, 'the call behind it'), 2 ** 18 + 1);
    assert.ok(x.every((v) => v === 1));
    await pool.close();
  });

  it('abort of a running call, then destroy(): one call, one failure, its own AbortError', async () => {
    const pool = faultPool({ threads: 1 });
    const gate = newGate();
    const ac = new AbortController();
    const running = pool.kernels.gate(sabre.shared.float64(4), gate, { signal: ac.signal });
    await heldBy(gate);
    ac.abort();
    await assert.rejects(running, { name: 'AbortError' });
    open(gate);
    await pool.destroy();
    const { calls, failed } = pool.stats().sinceStart.kernels.gate;
    assert.deepEqual({ calls, failed }, { calls: 1, failed: 1 });
  });

  it('an onProgress that throws null, undefined or a hostile object rejects its call with that very value', async () => {
    const pool = new sabre.Pool({ threads: 1 });
    const hostile = Object.create(Error.prototype, { message: { get() { throw new Error('no message'); } } });
    for (const thrown of [null, undefined, hostile, 42]) {
      const p = pool.kernels.sum(sabre.shared.float64(4), { onProgress: () => { throw thrown; } });
      await within(assert.rejects(p, (err) => err === thrown), 5000, `onProgress throwing ${typeof thrown}`);
    }
    assert.equal(await pool.kernels.countPrimes(0, 100), 25);
    await pool.close();
  });

  it('threads.min 0 with maxQueue 0: a call starts a worker instead of being refused', async () => {
    const pool = new sabre.Pool({ threads: { min: 0, max: 1 }, maxQueue: 0 });
    assert.equal(pool.threads, 0);
    assert.equal(await within(pool.kernels.countPrimes(0, 100), 10_000, 'the call'), 25);
    await pool.close();
  });

  it('a queued call aborted while the queue is full emits drain', async () => {
    const pool = faultPool({ threads: 1, maxQueue: 1 });
    const gate = newGate();
    const held = pool.kernels.gate(sabre.shared.float64(4), gate);
    await heldBy(gate);
    const ac = new AbortController();
    const queued = pool.kernels.countPrimes(0, 100, { signal: ac.signal });
    assert.equal(pool.needsDrain, true);
    const drained = once(pool, 'drain');
    ac.abort();
    await assert.rejects(queued, { name: 'AbortError' });
    await within(drained, 2000, 'drain');
    assert.equal(pool.needsDrain, false);
    open(gate);
    await held;
    await pool.close();
  });

  it('a sort that fails in a later pass is a failed sort in stats; internal passes never show', async () => {
    const pool = new sabre.Pool({ threads: 2 });
    const x = sabre.shared.float64(3 * 2 ** 18);
    for (let i = 0; i < x.length; i++) x[i] = -i;
    let calls = 0;
    const p = pool.kernels.sort(x, {
      onProgress: () => {
        if (++calls === 5) throw new Error('stop in the bucket pass'); // the sample, 3 partition chunks, then buckets
      },
    });
    await assert.rejects(p, { message: /stop in the bucket pass/ });
    assert.equal(await pool.kernels.sort(x), x);
    const kernels = pool.stats().sinceStart.kernels;
    assert.deepEqual(Object.keys(kernels), ['sort']);
    assert.deepEqual([kernels.sort.calls, kernels.sort.failed], [2, 1]);
    await pool.close();
  });
});

describe('shutdown at the worst moment', () => {
  it('pools destroyed while their workers start leave nothing stuck for the next pool', async () => {
    // A worker ended inside its start-up (e.g. holding the lock around the
    // --expose-gc switch, worker.js) must not block the workers after it.
    for (let i = 0; i < 20; i++) {
      const pool = new sabre.Pool({ threads: 2 });
      if (i % 2) await new Promise((resolve) => setImmediate(resolve));
      await within(pool.destroy(), 10_000, `destroy ${i}`);
    }
    const pool = new sabre.Pool({ threads: 2 });
    assert.equal(await within(pool.kernels.countPrimes(0, 1e6), 10_000, 'a call on the next pool'), 78_498);
    await pool.close();
  });

  it('destroy() mid-flight fails each call once, the way any failure does: queue empty, stats consistent, nothing written', async () => {
    // One worker held at a gate, the other busy with sums (one running, one
    // pipelined behind it), the rest of the sums still in the queue.
    const pool = faultPool({ threads: 2 });
    const gate = newGate();
    const x = sabre.shared.float64(4).fill(1);
    const held = pool.kernels.gate(x, gate);
    await heldBy(gate);
    const sums = Array.from({ length: 8 }, () => pool.kernels.sum(sabre.shared.float64(2 ** 18 + 1).fill(1)));
    assert.ok(pool.queueSize > 0, 'some calls wait for a worker');
    const exits = [];
    pool.on('workerExit', (e) => exits.push(e.reason));
    let idles = 0;
    pool.on('idle', () => idles++);
    const settled = Promise.allSettled([held, ...sums]);
    await within(pool.destroy(), 10_000, 'destroy()');
    for (const r of await settled) {
      assert.equal(r.status, 'rejected');
      assert.equal(r.reason.code, 'ERR_SABRE_POOL_DESTROYED');
    }
    assert.equal(pool.queueSize, 0);
    assert.equal(pool.needsDrain, false);
    assert.equal(idles, 1, "'idle' once, when the last call settled");
    assert.deepEqual(exits, ['shutdown', 'shutdown']);
    const { gate: g, sum } = pool.stats().sinceStart.kernels;
    assert.deepEqual([g.calls, g.failed, sum.calls, sum.failed], [1, 1, 8, 8]);
    assert.ok(x.every((v) => v === 1), 'the cancelled gate chunk was never written');
    await assert.rejects(pool.kernels.countPrimes(0, 10), { code: 'ERR_SABRE_POOL_CLOSED' });
    open(gate);
  });

  it('a worker ended while it holds the --expose-gc lock: the pool releases it, the next worker starts', async () => {
    const { gcLock } = require(path.join(root, 'dist', 'pool'));
    const pool = faultPool({ threads: 1 });
    const gate = newGate();
    const held = pool.kernels.gate(sabre.shared.float64(4).fill(1), gate);
    await heldBy(gate);
    // As if the busy worker had been ended inside its locked start-up step.
    const threadId = pool.simulateCrash();
    assert.equal(Atomics.compareExchange(gcLock, 0, 0, threadId), 0);
    open(gate);
    assert.equal(await within(held, 10_000, 'the retried call on a new worker'), 4);
    assert.equal(Atomics.load(gcLock, 0), 0);
    await pool.close();
  });
});

describe('any error out of wasm leaves a usable instance', () => {
  it('a stack overflow inside wasm is a KernelError; the next call on that worker works (pool)', async () => {
    const pool = faultPool({ threads: 1 });
    const x = sabre.shared.float64(4096).fill(1);
    await assert.rejects(pool.kernels.faultRecurse(x), (err) => {
      assert.equal(err.name, 'KernelError');
      assert.equal(err.code, 'ERR_SABRE_KERNEL_STACK_OVERFLOW');
      return true;
    });
    const y = sabre.shared.float64(4096).fill(1);
    assert.equal(await pool.kernels.faultPanic(y, -1), 4096, 'same worker, fresh instance');
    assert.ok(y.every((v) => v === 2));
    await pool.close();
  });

  it('the same for a user kernel, directly and on the pool', async () => {
    const def = require(userFaults);
    const direct = sabre.load(def);
    const x = sabre.shared.float64(2048).fill(1);
    assert.throws(() => direct.recurse(x, 1e9), { name: 'KernelError', code: 'ERR_SABRE_KERNEL_STACK_OVERFLOW' });
    assert.equal(direct.recurse(x, 3), 2048);
    const pool = new sabre.Pool({ threads: 1 });
    const mine = pool.load(def);
    await assert.rejects(mine.recurse(x, 1e9), { name: 'KernelError' });
    assert.equal(await mine.recurse(x, 3), 2048);
    assert.equal(await mine.scaleInout(x, 3), x);
    assert.ok(x.every((v) => v === 3));
    await pool.close();
  });
});

describe('user kernels: one copy each way, and their panics reach the caller', () => {
  const def = () => require(userFaults);

  it("a panic in a user's crate (console_error_panic_hook installed) rejects with its message, directly and on the pool", async () => {
    const direct = sabre.load(def());
    const x = sabre.shared.float64(3000).fill(1);
    assert.throws(() => direct.panics(x, 'bad model'), { name: 'KernelError', code: 'ERR_SABRE_KERNEL_PANIC', message: /bad model \(1024 elements\)/ });
    const pool = new sabre.Pool({ threads: 1 });
    const mine = pool.load(def());
    await assert.rejects(mine.panics(x, 'bad pool model'), { name: 'KernelError', message: /bad pool model \(1024 elements\)/ });
    assert.equal(await mine.scaleInout(x, 2), x, 'the worker runs on after the panic');
    await pool.close();
  });

  it("a `&mut` export declared 'in' never writes the caller's array; declared 'out' it starts from zeros", async () => {
    const direct = sabre.load(def());
    const pool = new sabre.Pool({ threads: 2 });
    const mine = pool.load(def());
    for (const [name, k] of [['direct', direct], ['pool', mine]]) {
      const x = sabre.shared.float64(2500).fill(5);
      await k.scaleIn(x, 3);
      assert.ok(x.every((v) => v === 5), `${name}: 'in' untouched`);
      await k.scaleOut(x, 3);
      assert.ok(x.every((v) => v === 0), `${name}: 'out' is the kernel's output from zeros`);
      await k.scaleInout(x.fill(5), 3);
      assert.ok(x.every((v) => v === 15), `${name}: 'inout' written once`);
    }
    await pool.close();
  });
});

describe('ES module declarations', () => {
  it('export default defineKernels(import.meta.url, ...) loads on the pool and directly', async () => {
    const { default: def } = await import(path.join(__dirname, 'fixtures', 'user-faults.mjs'));
    const x = sabre.shared.float64(3000).fill(1);
    sabre.load(def).scaleInout(x, 2);
    const pool = new sabre.Pool({ threads: 2 });
    await pool.load(def).scaleInout(x, 2);
    assert.ok(x.every((v) => v === 4));
    await pool.close();
  });
});
