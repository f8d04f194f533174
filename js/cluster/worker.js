'use strict';
// A cluster worker: BullMQ Workers that run each cluster chunk on a local
// sabre Pool (js/cluster/range.js), so the event loop stays free to renew
// job locks however long a chunk computes. Started by `npx sabre worker`
// (js/cluster/cli.js) or startWorker().
//
// Capacity (js/cluster/capacity.js): the worker states its memory and its
// pool's threads, and runs one BullMQ Worker on the queue of every capacity
// class it fits. They share one gate of `concurrency` chunks: a Worker that
// takes a job while the process is full hands it back at once (BullMQ's
// moveToDelayed with no delay, which does not count as an attempt) and
// pauses until a chunk ends, so a job never waits on a busy machine while
// another could run it.
//
// A chunk job: fetch what its chunks read of the pass's input keys (its
// slice of each split array, read-all inputs once per worker; with the
// call's `live` key in the same MULTI: a settled call's job does nothing;
// js/cluster/inputs.js), run pool chunks [first, end) of the kernel, and return
// `{ index, inline | result, report }`: partials without typed arrays inline
// as JSON, anything binary as one frame written into `sabre:CALL:res:P:I`
// only while the call's `live` key exists (one Lua script). `report` is the
// job's run statistics (js/cluster/stats.js). A parent job (`call`) returns
// its children's values. Per chunk that is one round trip to Redis for its
// inputs, one for a written frame, and BullMQ's moveToFinished (which also
// fetches the next job).

const os = require('node:os');
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const debuglog = require('node:util').debuglog('sabre');
const { ThreadPool } = require('../pool');
const { kInternal } = require('../internal');
const { kernels } = require('../kernels');
const { qualifiedName } = require('../custom');
const { serializeError } = require('../errors');
const { encodeFrame, encodeResult } = require('./codec');
const { Inputs } = require('./inputs');
const { connect, keyOf } = require('./connect');
const { classesFitting, queueOf } = require('./capacity');
const { workerDeclaration } = require('./declarations');

const PROGRESS_EVERY_MS = 100;

/** Consecutive writes of one array merged: `[name, from, to]` lists in chunk order. */
function mergeWrites(chunks) {
  const out = [];
  for (const { writes } of chunks) {
    for (const [name, from, to] of writes ?? []) {
      const last = out.at(-1);
      if (last && last[0] === name && last[2] === from) last[2] = to;
      else out.push([name, from, to]);
    }
  }
  return out;
}

/**
 * Starts a worker. `connection`: a Redis URL or ioredis options; `threads`:
 * the local pool's threads; `memoryMb`: memory it offers a chunk (default
 * the machine's); `queue`; `concurrency`: chunks at once (default 1: a
 * chunk already uses every thread); `lockDuration`, `stalledInterval`,
 * `maxStalledCount`: BullMQ's. `onJob(event, job, err?)`: 'active', 'done'
 * or 'failed', for logs. Returns `{ workers, pool, classes, close() }`:
 * close lets current jobs finish, then ends the pool and the connections.
 */
async function startWorker(options) {
  const { connection, threads, queue = 'sabre', concurrency = 1, lockDuration, stalledInterval, maxStalledCount, onJob } = options;
  const memoryMb = options.memoryMb ?? Math.floor(os.totalmem() / 2 ** 20);
  const { bullmq, redis, opts } = connect(connection);
  const { Worker, DelayedError } = bullmq;
  redis.on('error', () => {});
  // KEYS[1]: the call's live key; KEYS[2]: the key to set; ARGV: value, ttl ms (, 'NX').
  redis.defineCommand('sabreSetIfLive', {
    numberOfKeys: 2,
    lua: `if redis.call('exists', KEYS[1]) == 1 then
      if ARGV[3] then redis.call('set', KEYS[2], ARGV[1], 'PX', ARGV[2], 'NX') else redis.call('set', KEYS[2], ARGV[1], 'PX', ARGV[2]) end
      return 1 end return 0`,
  });
  const pool = new ThreadPool({ ...(threads ? { threads } : {}), [kInternal]: { kernelsModule: path.join(__dirname, 'range.js') } });
  const inputs = new Inputs(redis);
  const id = `${os.hostname()}:${process.pid}`;

  /** The range kernel and the spec of job data `d`: a built-in, or a user's from its declaration. */
  function kernelOf(d) {
    if (d.definition === undefined) return { range: '_clusterRange', spec: kernels[d.kernel] };
    const def = workerDeclaration(d.definition);
    pool.load(def); // checked and compiled once per declaration
    const q = qualifiedName(def, d.kernel);
    return { range: `_clusterRange:${q}`, spec: pool.kernels[q] };
  }

  async function runChunk(job) {
    const t0 = performance.now();
    const waitMs = Math.max(0, Date.now() - job.timestamp);
    const d = job.data;
    const { range, spec } = kernelOf(d);
    const got = await inputs.of(d);
    if (!got) return null; // the call settled meanwhile
    const { args, read } = got;
    if (!spec || spec.units(args) !== d.units || spec.grain(args) !== d.grain) {
      throw new Error(`sabre worker: kernel ${d.kernel} does not cut this call as its client did (another sabre version?)`);
    }
    let last = 0;
    const onProgress = ({ chunksDone, chunks }) => {
      const now = performance.now();
      if (chunksDone === chunks || now - last < PROGRESS_EVERY_MS) return;
      last = now;
      job.updateProgress(chunksDone).catch(() => {});
    };
    const r = { kernel: d.kernel, args, units: d.units, grain: d.grain, first: d.first, end: d.end };
    const t1 = performance.now();
    let chunks;
    try {
      chunks = await pool.submit(range, [r], { onProgress });
    } catch (err) {
      inputs.forget(d.call);
      throw err;
    }
    const merged = mergeWrites(chunks);
    debuglog('cluster job %s: waited %d ms, inputs %s ms (%d bytes), ran %s ms', job.id, waitMs, (t1 - t0).toFixed(2), read, (performance.now() - t1).toFixed(2));
    const writes = merged.map(([name, from, to]) => [name, from, args[name].slice(from, to)]);
    inputs.wrote(d, merged);
    const out = encodeResult({ partials: chunks.map((c) => c.value), writes });
    const report = { worker: id, waitMs, runMs: 0, retries: job.stalledCounter ?? 0, read, wrote: 0 };
    if (out.inline !== undefined) {
      report.runMs = performance.now() - t0;
      return { index: d.index, inline: out.inline, report };
    }
    const result = keyOf(d.call, `res:${d.pass}:${d.index}`);
    if (!(await redis.sabreSetIfLive(keyOf(d.call, 'live'), result, out.frame, d.ttl))) return null;
    report.wrote = out.frame.byteLength;
    report.runMs = performance.now() - t0;
    return { index: d.index, result, report };
  }

  async function runJob(job) {
    if (job.name === 'call') return job.getChildrenValues();
    onJob?.('active', job);
    try {
      const value = await runChunk(job);
      onJob?.('done', job);
      return value;
    } catch (err) {
      // The first error of a call is kept for its client, with its class and code.
      const { call, ttl } = job.data;
      await redis.sabreSetIfLive(keyOf(call, 'live'), keyOf(call, 'err'), encodeFrame(serializeError(err)), ttl, 'NX').catch(() => {});
      onJob?.('failed', job, err);
      throw err;
    }
  }

  // The gate shared by this process's Workers (one per capacity class).
  let running = 0;
  const paused = new Set();
  const processorOf = (self) => async (job, token) => {
    if (job.name === 'call') return runJob(job); // a parent: no chunk to run
    if (running >= concurrency) {
      paused.add(self());
      self().pause(true).catch(() => {});
      await job.moveToDelayed(Date.now(), token);
      throw new DelayedError();
    }
    running++;
    try {
      return await runJob(job);
    } finally {
      running--;
      if (running < concurrency) {
        for (const w of paused) w.resume();
        paused.clear();
      }
    }
  };

  const classes = classesFitting(memoryMb, pool.threads);
  const workerOpts = {
    connection: opts,
    concurrency,
    ...(lockDuration ? { lockDuration } : {}),
    ...(stalledInterval ? { stalledInterval } : {}),
    ...(maxStalledCount !== undefined ? { maxStalledCount } : {}),
  };
  const workers = classes.map((cls) => {
    let w = null;
    w = new Worker(queueOf(queue, cls), processorOf(() => w), workerOpts);
    w.on('error', () => {});
    return w;
  });
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  let closing = null;
  return {
    workers,
    pool,
    classes,
    memoryMb,
    close() {
      closing ??= (async () => {
        await Promise.all(workers.map((w) => w.close()));
        await pool.close();
        await redis.quit().catch(() => redis.disconnect());
      })();
      return closing;
    },
  };
}

module.exports = { startWorker, mergeWrites };
