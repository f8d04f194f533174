'use strict';
// Cluster against a real Redis (scripts/redis.js starts a private one on a
// loopback port, installing Debian's redis-server when it is missing) and
// real worker processes (`sabre worker`, dist/cluster/cli.js): results bit
// for bit the pool's, nothing of sabre's left in Redis after any call, abort
// and timeout leave the caller's arrays as they were, a worker killed with
// SIGKILL mid-chunk loses nothing, SIGTERM lets a chunk finish.

const { describe, it, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');
const { root } = require('./helpers');
const { startRedis } = require('../scripts/redis');
const sabre = require('sabre');

const cli = path.join(root, 'dist', 'cluster', 'cli.js');

/** A worker process; `lines` emits each stdout line; resolves once it is ready. */
function startWorkerProcess(url) {
  const child = spawn(
    process.execPath,
    [cli, 'worker', '--redis', url, '--threads', '1', '--lock-duration', '1000', '--stalled-interval', '500', '--verbose'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
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

function filled(T, n, f) {
  const a = sabre.shared[T](n);
  for (let i = 0; i < n; i++) a[i] = f(i);
  return a;
}

/** A copy of `view`'s own bytes (not its .buffer: in sabre.shared that is the whole shared memory). */
const bytesOf = (view) => Buffer.from(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));

it('the worker command explains every flag', () => {
  const r = spawnSync(process.execPath, [cli, '--help'], { encoding: 'utf8' });
  assert.equal(r.status, 0);
  for (const flag of ['--redis', '--threads', '--queue', '--concurrency', '--lock-duration', '--stalled-interval', '--verbose', '--help']) {
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

  afterEach(async () => {
    if (redis) assert.deepEqual(await client.keys('sabre:*'), [], 'nothing of sabre is left in Redis');
  });

  it('results equal the pool’s bit for bit (sum, dot, scale, countPrimes, histogram)', async (t) => {
    if (skip) return t.skip(skip);
    const x = filled('float64', 1_000_003, (i) => Math.sin(i) * 1e3 + 1e-3 * (i % 7));
    const y = filled('float64', 1_000_003, (i) => Math.cos(i * 0.5));
    assert.ok(Object.is(await cluster.kernels.sum(x), await pool.kernels.sum(x)));
    assert.ok(Object.is(await cluster.kernels.dot(x, y), await pool.kernels.dot(x, y)));
    const f = filled('float32', 1_500_001, (i) => i * 0.25 - 7);
    const g = sabre.shared.from(f);
    const progress = [];
    const same = await cluster.kernels.scale(f, 1.5, { onProgress: (p) => progress.push(p.chunksDone) });
    await pool.kernels.scale(g, 1.5);
    assert.equal(same, f, 'in place: the caller’s own array');
    assert.deepEqual(bytesOf(f), bytesOf(g));
    assert.deepEqual(progress, [1, 2, 3, 4, 5, 6].slice(0, progress.length), 'progress counts pool chunks in order');
    assert.equal(progress.at(-1), 6);
    assert.equal(await cluster.kernels.countPrimes(0, 200_000_000), await pool.kernels.countPrimes(0, 200_000_000));
    const bytes = filled('uint8', 3_000_001, (i) => (i * 2654435761) >>> 24);
    assert.deepEqual(await cluster.kernels.histogram(bytes), await pool.kernels.histogram(bytes));
  });

  it('bad arguments and multi-pass kernels are refused before anything is queued', async (t) => {
    if (skip) return t.skip(skip);
    await assert.rejects(cluster.kernels.scale(sabre.shared.float32(4), 'a'), { name: 'TypeError' });
    await assert.rejects(cluster.kernels.sum(new Float32Array(4)), { name: 'TypeError' }, 'a pool’s rule: shared arrays');
    await assert.rejects(cluster.kernels.sort(sabre.shared.float64(4)), { code: 'ERR_SABRE_CLUSTER_MULTIPASS' });
  });

  it('an abort leaves the caller’s array untouched and the keys deleted', async (t) => {
    if (skip) return t.skip(skip);
    const f = filled('float32', 4_000_000, (i) => i);
    const before = bytesOf(f);
    const ac = new AbortController();
    const call = cluster.kernels.scale(f, 2, { signal: ac.signal, onProgress: () => ac.abort() });
    await assert.rejects(call, { name: 'AbortError' });
    assert.deepEqual(bytesOf(f), before);
  });

  it('a timeout leaves the caller’s array untouched and the keys deleted', async (t) => {
    if (skip) return t.skip(skip);
    const f = filled('float32', 8_000_000, (i) => i);
    const before = bytesOf(f);
    await assert.rejects(cluster.kernels.scale(f, 2, { timeout: 5 }), { name: 'TimeoutError', code: 'ERR_SABRE_TIMEOUT' });
    assert.deepEqual(bytesOf(f), before);
  });

  it('a worker killed with SIGKILL mid-chunk: the stall check gives its chunk to another, the count is exact', async (t) => {
    if (skip) return t.skip(skip);
    // Jobs of 64 pool chunks (~1e9 numbers, ~100 ms since the wheel sieve):
    // long enough that the kill lands while the victim still runs its job.
    const big = new sabre.Cluster({ connection: redis.url, jobChunks: 64 });
    const hi = 4_000_000_000;
    const expected = await pool.kernels.countPrimes(0, hi);
    const victim = firstToStartAChunk(workers);
    const call = big.kernels.countPrimes(0, hi);
    const w = await victim;
    w.kill('SIGKILL');
    assert.equal((await w.exited).signal, 'SIGKILL');
    assert.equal(await call, expected);
    await big.close();
    workers = workers.filter((x) => x !== w);
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
