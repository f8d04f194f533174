'use strict';
// Cluster against a real Redis (scripts/redis.js starts a private one on a
// loopback port, installing Debian's redis-server when it is missing) and
// real worker processes (`sabre worker`, dist/cluster/cli.js): results bit
// for bit the pool's, nothing of sabre's left in Redis after any call, abort
// and timeout leave the caller's arrays as they were, a worker killed with
// SIGKILL mid-chunk loses nothing, SIGTERM lets a chunk finish; multi-pass
// sort, users' kernels (cluster.load), capacity classes (`needs`), run
// statistics, kernel errors with their class and code, Redis lost mid-call.

const { describe, it, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const { spawn, spawnSync } = require('node:child_process');
const { once } = require('node:events');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');
const { setTimeout: delay } = require('node:timers/promises');
const { root, assertSameBytes, rng } = require('./helpers');
const { startRedis } = require('../scripts/redis');
const { reap } = require('../scripts/reaper');
const sabre = require('sabre');

const cli = path.join(root, 'dist', 'cluster', 'cli.js');

/** A worker process; `lines` emits each stdout line; resolves once it is ready. */
function startWorkerProcess(url, flags = ['--threads', '1', '--memory-mb', '512']) {
  const child = spawn(
    process.execPath,
    [cli, 'worker', '--redis', url, ...flags, '--lock-duration', '1000', '--stalled-interval', '500', '--verbose'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  reap(child); // killed if this test process dies without its cleanup
  child.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  child.lines = readline.createInterface({ input: child.stdout });
  return new Promise((resolve, reject) => {
    const onLine = (line) => {
      if (!line.startsWith('ready ')) return;
      child.lines.off('line', onLine);
      resolve(child);
    };
    child.lines.on('line', onLine);
    child.once('exit', (code) => reject(new Error(`worker exited (${code}) before it was ready`)));
  });
}

/** Resolves with the first worker of `workers` to start a chunk of a call, once it does. */
function firstToStartAChunk(workers) {
  return new Promise((resolve) => {
    const listeners = workers.map((w) => {
      const onLine = (line) => {
        if (!/^active \w+-\d+$/.test(line)) return;
        workers.forEach((x, i) => x.lines.off('line', listeners[i]));
        resolve(w);
      };
      w.lines.on('line', onLine);
      return onLine;
    });
  });
}

/**
 * What of sabre's is in Redis: its own keys (`sabre:*`), any key of a
 * BullMQ job of a call (job ids hold the 32-hex call id) and any queue's
 * non-empty job list. BullMQ's per-queue bookkeeping (meta, events, id) may
 * stay.
 */
async function leftovers(client) {
  const keys = await client.keys('*');
  return keys.filter((k) => k.startsWith('sabre:') || /[0-9a-f]{32}p\d+/.test(k) || /:(wait|active|delayed|prioritized|waiting-children|paused|failed|completed)$/.test(k)).sort();
}

/**
 * Resolves once no queue holds a job: a settled call's jobs still running on
 * a worker when it settled finish (and are removed) on their own. Follows
 * each queue's events, so it checks again after each one, never on a timer.
 */
async function quiet(url, client) {
  const { Queue, QueueEvents } = require('bullmq');
  const names = (await client.keys('bull:*:meta')).map((k) => k.slice(5, -5));
  await Promise.all(
    names.map(async (name) => {
      const queue = new Queue(name, { connection: { url } });
      // Events from the stream's last entry on: none is missed between this
      // read and the first count below.
      const [[lastEventId] = ['0-0']] = await client.xrevrange(`bull:${name}:events`, '+', '-', 'COUNT', 1);
      const events = new QueueEvents(name, { connection: { url }, lastEventId });
      try {
        await events.waitUntilReady();
        for (;;) {
          const next = new Promise((resolve) => {
            for (const e of ['completed', 'failed', 'removed', 'waiting', 'active', 'drained']) events.once(e, resolve);
          });
          const counts = await queue.getJobCounts('active', 'wait', 'waiting-children', 'delayed', 'prioritized', 'paused');
          if (Object.values(counts).every((n) => n === 0)) break;
          await next;
        }
      } finally {
        await events.close();
        await queue.close();
      }
    }),
  );
}

/** Resolves once `child` prints a line matching `re`. */
const lineOf = (child, re) =>
  new Promise((resolve) => {
    const on = (line) => {
      if (!re.test(line)) return;
      child.lines.off('line', on);
      resolve(line);
    };
    child.lines.on('line', on);
  });

function filled(T, n, f) {
  const a = sabre.shared[T](n);
  for (let i = 0; i < n; i++) a[i] = f(i);
  return a;
}


it('a worker holds byte ranges exactly: missing, add and drop against a bitmap (seeded)', () => {
  const { Ranges, rangeOf } = require(path.join(root, 'dist', 'cluster', 'inputs.js'));
  const r = rng(7);
  for (let trial = 0; trial < 200; trial++) {
    const size = 1 + Math.floor(r() * 64);
    const held = new Ranges();
    const bits = new Uint8Array(size);
    for (let op = 0; op < 30; op++) {
      const a = Math.floor(r() * (size + 1));
      const b = Math.floor(r() * (size + 1));
      const [from, to] = [Math.min(a, b), Math.max(a, b)];
      const kind = r();
      if (kind < 0.4) {
        held.add(from, to);
        bits.fill(1, from, to);
      } else if (kind < 0.7) {
        held.drop(from, to);
        bits.fill(0, from, to);
      } else {
        const want = [];
        for (let i = from; i < to; i++) if (!bits[i] && (want.length === 0 || want.at(-1)[1] !== i)) want.push([i, i + 1]);
        else if (!bits[i]) want.at(-1)[1] = i + 1;
        assert.deepEqual(held.missing(from, to), want, `missing(${from}, ${to})`);
      }
      // Always sorted, disjoint and not touching: nothing held twice.
      held.list.forEach(([s, e], i) => assert.ok(s < e && (i === 0 || held.list[i - 1][1] < s), JSON.stringify(held.list)));
    }
  }
  // A split ref's slice is its units' elements; an unread one nothing; any other all.
  const d = { first: 2, end: 4, grain: 10, units: 35 };
  assert.deepEqual(rangeOf({ byteOffset: 8, byteLength: 280, type: 'Float64Array', align: 1 }, d), [8 + 20 * 8, 8 + 35 * 8]);
  assert.deepEqual(rangeOf({ byteOffset: 0, byteLength: 560, type: 'Uint8Array', align: 4 }, d), [80, 140]);
  assert.equal(rangeOf({ byteOffset: 0, byteLength: 280, type: 'Float64Array', read: false }, d), null);
  assert.deepEqual(rangeOf({ byteOffset: 16, byteLength: 40, type: 'Float32Array' }, d), [16, 56]);
});

it('a worker fetches only its slices, once, and a job run again reads the input, not what it wrote', async () => {
  const { Inputs } = require(path.join(root, 'dist', 'cluster', 'inputs.js'));
  // A Redis of two keys, answering MULTI [EXISTS, GETRANGE...] as Redis does.
  const input = new Float64Array(40).map((_, i) => i + 0.5);
  const store = new Map([
    ['sabre:c:live', Buffer.from('1')],
    ['sabre:c:in:2', Buffer.from(input.buffer)],
    ['sabre:c:in:3', Buffer.from(new Float64Array([3, 4]).buffer)],
  ]);
  const fetched = [];
  const redis = {
    multi() {
      const replies = [];
      const m = {
        exists: (k) => (replies.push([null, store.has(k) ? 1 : 0]), m),
        getrangeBuffer: (k, a, b) => (fetched.push([k, a, b]), replies.push([null, (store.get(k) ?? Buffer.alloc(0)).subarray(a, b + 1)]), m),
        exec: async () => replies,
      };
      return m;
    },
  };
  const inputs = new Inputs(redis);
  const refs = {
    y: { key: 'sabre:c:in:2', keyBytes: 320, byteOffset: 0, byteLength: 320, type: 'Float64Array', align: 1 },
    w: { key: 'sabre:c:in:3', keyBytes: 16, byteOffset: 0, byteLength: 16, type: 'Float64Array' },
  };
  const job = (first, end) => ({ call: 'c', pass: 0, first, end, grain: 10, units: 40, inputs: refs, args: JSON.stringify({ y: { $in: 'y' }, w: { $in: 'w' } }) });
  const a = await inputs.of(job(1, 2));
  assert.deepEqual(fetched, [['sabre:c:in:2', 80, 159], ['sabre:c:in:3', 0, 15]], 'its slice of y, all of w');
  assert.equal(a.read, 80 + 16);
  assert.deepEqual([...a.args.y.subarray(10, 20)], [...input.subarray(10, 20)]);
  assert.equal(a.args.y[0], 0, 'bytes never fetched stay zero');
  // The job writes y[10, 20) in place; then the same job runs again here.
  a.args.y.fill(-1, 10, 20);
  inputs.wrote(job(1, 2), [['y', 10, 20]]);
  fetched.length = 0;
  const again = await inputs.of(job(1, 2));
  assert.deepEqual(fetched, [['sabre:c:in:2', 80, 159]], 'y refetched, w still held');
  assert.deepEqual([...again.args.y.subarray(10, 20)], [...input.subarray(10, 20)], 'the input, not its own output');
  // A settled call (no live key): null, and nothing run.
  store.delete('sabre:c:live');
  assert.equal(await inputs.of(job(2, 3)), null);
});

it('children of a test process die with it, however it dies (scripts/reaper.js)', { timeout: 20_000 }, async () => {
  // The middle process starts a reaped `sleep` that shares its stdout, then
  // is SIGKILLed: the pipe closes only once the sleep is gone too.
  const code = `
    const { spawn } = require('node:child_process');
    const { reap } = require(${JSON.stringify(path.join(root, 'scripts', 'reaper.js'))});
    const c = reap(spawn('sleep', ['600'], { stdio: ['ignore', 'inherit', 'ignore'] }));
    console.log('started ' + c.pid);
    setInterval(() => {}, 1000);`;
  const middle = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = readline.createInterface({ input: middle.stdout });
  const [line] = await once(lines, 'line');
  assert.match(line, /^started \d+$/);
  const closed = once(middle.stdout, 'close');
  middle.kill('SIGKILL');
  await closed;
  // The pipe closed, so the sleep closed its stdout: it is exiting. It may
  // still show R for a moment (the kernel closes a dying process's files
  // before it makes it a zombie; CI saw that once), so look until it is
  // gone, or a zombie its new parent has not reaped yet, for a bounded time.
  const stat = path.join('/proc', line.split(' ')[1], 'stat');
  const deadline = Date.now() + 5000;
  let state = null;
  for (;;) {
    try {
      state = fs.readFileSync(stat, 'utf8');
    } catch {
      state = null; // gone
    }
    if (state === null || /^\d+ \(sleep\) [ZX]/.test(state) || Date.now() > deadline) break;
    await delay(10);
  }
  if (state !== null) assert.match(state, /^\d+ \(sleep\) [ZX]/, 'the reaped sleep still runs 5 s after its pipe closed');
});

it('the worker command explains every flag', () => {
  const r = spawnSync(process.execPath, [cli, '--help'], { encoding: 'utf8' });
  assert.equal(r.status, 0);
  for (const flag of ['--redis', '--threads', '--memory-mb', '--queue', '--concurrency', '--lock-duration', '--stalled-interval', '--verbose', '--help']) {
    assert.match(r.stdout, new RegExp(flag));
  }
  assert.equal(spawnSync(process.execPath, [cli, 'worker'], { encoding: 'utf8' }).status, 2, 'no --redis: usage error');
});

it('without a connection a Cluster runs on a local Pool, same results', async () => {
  const cluster = new sabre.Cluster({ pool: { threads: 2 } });
  const x = filled('float64', 300_000, (i) => Math.sin(i));
  assert.equal(cluster.embedded, true);
  assert.ok(Object.is(await cluster.kernels.sum(x), sabre.kernels.sum(x)));
  await cluster.close();
});

it('without bullmq installed, a Cluster with a connection says what to install (and the embedded one still works)', () => {
  // The package copied where no node_modules can be found above it.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sabre-nobullmq-'));
  try {
    fs.cpSync(path.join(root, 'dist'), path.join(dir, 'sabre'), { recursive: true });
    const code = `
      const { Cluster } = require('./sabre');
      try { new Cluster({ connection: 'redis://127.0.0.1:1' }); console.log('made'); }
      catch (e) { console.log(e.code + ' ' + e.message); }
      const c = new Cluster({ pool: { threads: 1 } });
      c.kernels.countPrimes(0, 100).then((n) => { console.log('embedded ' + n); return c.close(); });`;
    const r = spawnSync(process.execPath, ['-e', code], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^ERR_SABRE_BULLMQ_MISSING .*npm install bullmq/m);
    assert.match(r.stdout, /^embedded 25$/m);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

describe('on Redis with worker processes', () => {
  let redis = null;
  let skip = null;
  let workers = [];
  let cluster;
  let pool;
  let client;

  before(async () => {
    const r = await startRedis();
    if (r.skip) {
      skip = `no redis-server: ${r.skip}`;
      return;
    }
    redis = r;
    workers = await Promise.all([1, 2, 3].map(() => startWorkerProcess(r.url)));
    cluster = new sabre.Cluster({ connection: r.url, jobChunks: 2 });
    pool = new sabre.Pool({ threads: 2 });
    const IORedis = require('ioredis');
    client = new IORedis(r.url);
  });

  after(async () => {
    if (!redis) return;
    await cluster.close();
    await pool.close();
    await client.quit();
    for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    await redis.stop();
  });

  afterEach(
    async () => {
      if (!redis) return;
      await quiet(redis.url, client);
      assert.deepEqual(await leftovers(client), [], 'nothing of sabre is left in Redis');
    },
    { timeout: 20_000 },
  );

  it('results equal the pool’s bit for bit (sum, dot, scale, countPrimes, histogram)', async (t) => {
    if (skip) return t.skip(skip);
    const x = filled('float64', 1_000_003, (i) => Math.sin(i) * 1e3 + 1e-3 * (i % 7));
    const y = filled('float64', 1_000_003, (i) => Math.cos(i * 0.5));
    let stats;
    assert.ok(Object.is(await cluster.kernels.sum(x, { onStats: (s) => (stats = s) }), await pool.kernels.sum(x)));
    // x crosses once each way: written once, and each job reads only its slice.
    assert.equal(stats.jobs, 2);
    assert.deepEqual(stats.bytes, { toRedis: x.byteLength, fromRedis: x.byteLength });
    assert.ok(Object.is(await cluster.kernels.dot(x, y), await pool.kernels.dot(x, y)));
    const f = filled('float32', 1_500_001, (i) => i * 0.25 - 7);
    const g = sabre.shared.from(f);
    const progress = [];
    const same = await cluster.kernels.scale(f, 1.5, { onProgress: (p) => progress.push(p.chunksDone) });
    await pool.kernels.scale(g, 1.5);
    assert.equal(same, f, 'in place: the caller’s own array');
    assertSameBytes(f, g);
    assert.deepEqual(progress, [1, 2, 3, 4, 5, 6].slice(0, progress.length), 'progress counts pool chunks in order');
    assert.equal(progress.at(-1), 6);
    assert.equal(await cluster.kernels.countPrimes(0, 200_000_000), await pool.kernels.countPrimes(0, 200_000_000));
    const bytes = filled('uint8', 3_000_001, (i) => (i * 2654435761) >>> 24);
    assert.deepEqual(await cluster.kernels.histogram(bytes), await pool.kernels.histogram(bytes));
  });

  it('bad arguments are refused before anything is queued', async (t) => {
    if (skip) return t.skip(skip);
    await assert.rejects(cluster.kernels.scale(sabre.shared.float32(4), 'a'), { name: 'TypeError' });
    await assert.rejects(cluster.kernels.sum(new Float32Array(4)), { name: 'TypeError' }, 'a pool’s rule: shared arrays');
  });

  it('an abort leaves the caller’s array untouched and the keys deleted', async (t) => {
    if (skip) return t.skip(skip);
    const f = filled('float32', 4_000_000, (i) => i);
    const before = f.slice();
    const ac = new AbortController();
    const call = cluster.kernels.scale(f, 2, { signal: ac.signal, onProgress: () => ac.abort() });
    await assert.rejects(call, { name: 'AbortError' });
    assertSameBytes(f, before);
  });

  it('a timeout leaves the caller’s array untouched and the keys deleted', async (t) => {
    if (skip) return t.skip(skip);
    const f = filled('float32', 8_000_000, (i) => i);
    const before = f.slice();
    await assert.rejects(cluster.kernels.scale(f, 2, { timeout: 5 }), { name: 'TimeoutError', code: 'ERR_SABRE_TIMEOUT' });
    assertSameBytes(f, before);
  });

  it('sort (a multi-pass kernel) gives the pool’s bytes, and the caller’s array only when it is done', async (t) => {
    if (skip) return t.skip(skip);
    // 3 sort chunks and 2 merge rounds plus the commit: 4 passes, 4 flows.
    const n = 3 * 262_144 + 5;
    const specials = [NaN, -0, 0, Infinity, -Infinity, -NaN];
    const x = filled('float64', n, (i) => (i % 97 === 0 ? specials[i % specials.length] : Math.sin(i * 12.9898) * 43758.5453));
    const ref = sabre.shared.from(x);
    const ints = filled('int32', n, (i) => (i * 2654435761) | 0);
    const intRef = sabre.shared.from(ints);
    let stats;
    const progress = [];
    const same = await cluster.kernels.sort(x, { onStats: (s) => (stats = s), onProgress: (p) => progress.push(p.done) });
    await pool.kernels.sort(ref);
    assert.equal(same, x, 'in place: the caller’s own array');
    assertSameBytes(x, ref, 'bit for bit the pool’s order (NaN, -0 included)');
    assert.equal(stats.passes, 4);
    // Scratch crosses only when a pass reads what the one before wrote: x,
    // a and b up once each, and each pass's writes (a, b, x) as results.
    assert.ok(stats.bytes.toRedis <= 6 * x.byteLength + 65_536, `${stats.bytes.toRedis} bytes to Redis`);
    assert.equal(stats.ok, true);
    assert.ok(progress.every((p, i) => i === 0 || p >= progress[i - 1]), 'progress only grows over the passes');
    await cluster.kernels.sort(ints);
    await pool.kernels.sort(intRef);
    assertSameBytes(ints, intRef);
  });

  it('an aborted sort leaves the caller’s array as it was', async (t) => {
    if (skip) return t.skip(skip);
    const x = filled('float64', 3 * 262_144, (i) => Math.cos(i));
    const before = x.slice();
    const ac = new AbortController();
    // Aborted in the second pass: the first pass's writes went to scratch.
    const call = cluster.kernels.sort(x, { signal: ac.signal, onProgress: (p) => p.chunksDone > 3 && ac.abort() });
    await assert.rejects(call, { name: 'AbortError' });
    assertSameBytes(x, before);
  });

  it('cluster.load: a user’s kernels, by absolute path or declaration, loaded by each worker on demand, the pool’s bytes', async (t) => {
    if (skip) return t.skip(skip);
    const file = path.join(root, 'examples', 'custom-kernel', 'kernels.js');
    const byPath = cluster.load(file);
    const byDef = cluster.load(require(file));
    const local = pool.load(require(file));
    const x = filled('float64', 1_000_003, (i) => i / 1_000_003);
    const y = sabre.shared.float64(x.length);
    const yRef = sabre.shared.float64(x.length);
    let stats;
    assert.equal(await byPath.polyval(y, x, { onStats: (s) => (stats = s) }), y);
    await local.polyval(yRef, x);
    assertSameBytes(y, yRef);
    assert.ok(Object.is(await byDef.sumSquares(y), await local.sumSquares(yRef)));
    assert.equal(stats.jobs, 2, '4 pool chunks in jobs of 2');
    assert.throws(() => cluster.load('no-such-sabre-declaration'), { code: 'ERR_SABRE_MODULE_NOT_FOUND' });
    assert.throws(() => cluster.load(42), { name: 'TypeError' });
  });

  it('a kernel error on a worker fails the call with its class, code and message', async (t) => {
    if (skip) return t.skip(skip);
    const faults = cluster.load(path.join(root, 'test-node', 'fixtures', 'user-faults.js'));
    const x = filled('float64', 10_000, (i) => i);
    await assert.rejects(faults.panics(x, 'bad cluster model'), (err) => {
      assert.ok(err instanceof sabre.KernelError, `a KernelError, got ${err?.name}`);
      assert.equal(err.code, 'ERR_SABRE_KERNEL_PANIC');
      assert.match(err.message, /bad cluster model \(1024 elements\)/);
      return true;
    });
  });

  it('run statistics: per call (onStats) and per kernel (stats()): jobs, chunks per worker, wait and run times, bytes', async (t) => {
    if (skip) return t.skip(skip);
    const x = filled('float64', 8 * 262_144, (i) => i);
    const before = cluster.stats().kernels.sum?.calls ?? 0;
    let s;
    await cluster.kernels.sum(x, { onStats: (v) => (s = v) });
    assert.equal(s.kernel, 'sum');
    assert.equal(s.ok, true);
    assert.equal(s.jobs, 4);
    assert.equal(s.chunks, 8);
    assert.equal(s.retries, 0);
    const perWorker = Object.values(s.workers);
    assert.equal(perWorker.reduce((n, w) => n + w.chunks, 0), 8, 'chunks per worker add up');
    assert.ok(Object.keys(s.workers).every((id) => /:\d+$/.test(id)), 'workers named host:pid');
    assert.equal(s.waitMs.count, 4);
    assert.equal(s.runMs.count, 4);
    assert.ok(s.runMs.max > 0 && s.runMs.p50 <= s.runMs.max);
    assert.ok(s.bytes.toRedis >= x.byteLength, 'the input went up once');
    assert.ok(s.bytes.fromRedis >= x.byteLength, 'and was read by the workers');
    assert.ok(s.bytes.fromRedis < 4 * x.byteLength, 'at most once per worker');
    const k = cluster.stats().kernels.sum;
    assert.equal(k.calls, before + 1);
    assert.ok(k.jobs >= 4 && k.waitMs.count >= 4);
    await assert.rejects(cluster.kernels.sum(x, { onStats: 'no' }), { name: 'TypeError' });
  });

  it('capacity: bad needs are refused before anything is queued; a call no worker fits times out and leaves nothing', async (t) => {
    if (skip) return t.skip(skip);
    const x = filled('float64', 1000, (i) => i);
    for (const needs of ['big', { memoryMb: '1' }, { memory: 1 }, { threads: 'two' }]) {
      await assert.rejects(cluster.kernels.sum(x, { needs }), { name: 'TypeError' }, JSON.stringify(needs));
    }
    for (const needs of [{ memoryMb: 0 }, { memoryMb: -1 }, { memoryMb: 2 ** 40 }, { threads: 0 }, { threads: 1.5 }, { threads: 1e6 }]) {
      await assert.rejects(cluster.kernels.sum(x, { needs }), { name: 'RangeError' }, JSON.stringify(needs));
    }
    // The workers offer 512 MB: no one takes a chunk that needs 1000.
    let stats;
    await assert.rejects(cluster.kernels.sum(x, { needs: { memoryMb: 1000 }, timeout: 300, onStats: (s) => (stats = s) }), {
      name: 'TimeoutError',
    });
    assert.equal(stats.jobs, 0);
    assert.equal(await cluster.kernels.sum(x, { needs: { memoryMb: 200 } }), sabre.kernels.sum(x), 'a need they fit (class 256 MB) runs');
  });

  it('capacity: a chunk runs only on a worker that fits it', async (t) => {
    if (skip) return t.skip(skip);
    const big = await startWorkerProcess(redis.url, ['--threads', '2', '--memory-mb', '2048']);
    try {
      const x = filled('float64', 8 * 262_144, (i) => Math.sqrt(i));
      let stats;
      const got = await cluster.kernels.sum(x, { needs: { memoryMb: 1000, threads: 2 }, timeout: 20_000, onStats: (s) => (stats = s) });
      assert.ok(Object.is(got, await pool.kernels.sum(x)));
      assert.deepEqual(Object.keys(stats.workers), [`${os.hostname()}:${big.pid}`], 'only the big worker ran its chunks');
    } finally {
      big.kill('SIGTERM');
      await big.exited;
    }
  });

  it('Redis lost mid-call: the call rejects with ERR_SABRE_REDIS_LOST soon after lostAfter, and close() returns', { timeout: 30_000 }, async (t) => {
    if (skip) return t.skip(skip);
    const r2 = await startRedis();
    const w = await startWorkerProcess(r2.url);
    const c = new sabre.Cluster({ connection: r2.url, jobChunks: 64, lostAfter: 500 });
    try {
      const started = lineOf(w, /^active /);
      const call = c.kernels.countPrimes(0, 10_000_000_000);
      await started;
      await r2.kill('SIGKILL');
      const t0 = performance.now();
      await assert.rejects(call, { name: 'SabreError', code: 'ERR_SABRE_REDIS_LOST' });
      const ms = performance.now() - t0;
      assert.ok(ms < 2500, `rejected ${ms.toFixed(0)} ms after Redis died (lostAfter 500)`);
      await c.close();
    } finally {
      w.kill('SIGKILL');
      await w.exited;
      await r2.stop();
    }
  });

  it('Redis unreachable from the start: a call rejects with ERR_SABRE_REDIS_LOST, never hangs', { timeout: 30_000 }, async (t) => {
    if (skip) return t.skip(skip);
    // In a process of its own, which must exit by itself after close():
    // a client left retrying would keep it alive. (ioredis's disconnect()
    // of a client whose socket already closed leaves its 2 s
    // disconnectTimeout timer running, so allow for that.)
    const code = `
      const { Cluster } = require(${JSON.stringify(path.join(root, 'dist'))});
      const c = new Cluster({ connection: 'redis://127.0.0.1:1', lostAfter: 300 });
      (async () => {
        const codes = [];
        for (let i = 0; i < 2; i++) await c.kernels.countPrimes(0, 100).then(() => codes.push('resolved'), (e) => codes.push(e.code));
        await c.close();
        console.log('codes ' + codes.join(' '));
        setTimeout(() => { console.log('alive after close: ' + process.getActiveResourcesInfo().join(', ')); process.exit(0); }, 5000).unref();
      })();`;
    const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', timeout: 25_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^codes ERR_SABRE_REDIS_LOST ERR_SABRE_REDIS_LOST$/m, 'this call and the next, at once');
    assert.doesNotMatch(r.stdout, /alive after close/, 'the process exits by itself after close()');
  });

  it('a worker killed with SIGKILL mid-chunk: the stall check gives its chunk to another, the count is exact', async (t) => {
    if (skip) return t.skip(skip);
    // Jobs of 64 pool chunks (~1e9 numbers, ~100 ms since the wheel sieve):
    // long enough that the kill lands while the victim still runs its job.
    const big = new sabre.Cluster({ connection: redis.url, jobChunks: 64 });
    const hi = 4_000_000_000;
    const expected = await pool.kernels.countPrimes(0, hi);
    const victim = firstToStartAChunk(workers);
    let stats;
    const call = big.kernels.countPrimes(0, hi, { onStats: (s) => (stats = s) });
    const w = await victim;
    w.kill('SIGKILL');
    assert.equal((await w.exited).signal, 'SIGKILL');
    assert.equal(await call, expected);
    assert.ok(stats.retries >= 1, `the stalled job counts as a retry (${stats.retries})`);
    assert.ok(!(`${os.hostname()}:${w.pid}` in stats.workers), 'the dead worker is credited with no job');
    await big.close();
    workers = workers.filter((x) => x !== w);
  });

  it('a second SIGTERM ends a worker at once (exit 1) mid-chunk; another finishes its chunk, the count is exact', async (t) => {
    if (skip) return t.skip(skip);
    const spare = await startWorkerProcess(redis.url);
    workers.push(spare);
    const hi = 2_000_000_000;
    const expected = await pool.kernels.countPrimes(0, hi);
    const big = new sabre.Cluster({ connection: redis.url, jobChunks: 30 }); // ~0.5 s chunks
    const first = firstToStartAChunk(workers);
    const call = big.kernels.countPrimes(0, hi);
    const w = await first;
    const stopping = lineOf(w, /^stopping$/);
    w.kill('SIGTERM');
    await stopping; // the first was handled: this one is a second signal, not merged with it
    w.kill('SIGTERM');
    assert.deepEqual(await w.exited, { code: 1, signal: null });
    workers = workers.filter((x) => x !== w);
    assert.equal(await call, expected);
    await big.close();
  });

  it('a worker serving two classes runs one chunk at a time (its gate), and both calls finish on it alone', async (t) => {
    if (skip) return t.skip(skip);
    const big = await startWorkerProcess(redis.url, ['--threads', '1', '--memory-mb', '4096']);
    const log = [];
    big.lines.on('line', (line) => /^(active|done) /.test(line) && log.push(line));
    try {
      const x = filled('float64', 6 * 262_144, (i) => Math.cos(i));
      const stats = [];
      const calls = [{ memoryMb: 1000 }, { memoryMb: 3000 }].map((needs, i) =>
        cluster.kernels.sum(x, { needs, timeout: 20_000, onStats: (s) => (stats[i] = s) }),
      );
      const want = await pool.kernels.sum(x);
      for (const got of await Promise.all(calls)) assert.ok(Object.is(got, want));
      for (const s of stats) assert.deepEqual(Object.keys(s.workers), [`${os.hostname()}:${big.pid}`], 'only the 4 GB worker fits');
      // 3 jobs a call: each started, then done, before the next one started.
      assert.equal(log.length, 12, log.join(', '));
      log.forEach((line, i) => assert.ok(line.startsWith(i % 2 === 0 ? 'active ' : 'done ') && (i % 2 === 0 || line.slice(5) === log[i - 1].slice(7)), log.join(', ')));
      assert.equal(new Set(log.map((l) => l.split(' ')[1].split('p')[0])).size, 2, 'jobs of both calls');
    } finally {
      big.kill('SIGTERM');
      await big.exited;
    }
  });

  it('SIGTERM: a worker finishes its current chunk and exits 0', async (t) => {
    if (skip) return t.skip(skip);
    const hi = 300_000_000;
    const expected = await pool.kernels.countPrimes(0, hi);
    const first = firstToStartAChunk(workers);
    const call = cluster.kernels.countPrimes(0, hi);
    const w = await first;
    const finished = new Promise((resolve) => w.lines.on('line', (line) => /^done \w+-\d+$/.test(line) && resolve()));
    w.kill('SIGTERM');
    assert.deepEqual(await w.exited, { code: 0, signal: null });
    await finished;
    assert.equal(await call, expected);
  });
});
