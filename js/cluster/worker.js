'use strict';
// A cluster worker: a BullMQ Worker on the call queue that runs each cluster
// chunk on a local sabre Pool (js/cluster/range.js), so its own event loop
// stays free to renew job locks however long a chunk computes. Started by
// `npx sabre worker` (js/cluster/cli.js) or startWorker().
//
// A chunk job: read the call's input keys (once per call on this worker,
// cached while its jobs keep coming), run pool chunks [first, end) of the
// kernel, write one result frame (partials and written elements) into
// `sabre:CALL:res:INDEX` only while the call's `live` key exists, return
// `{ index, result }`. A parent job (`call`): return its children's values.
// A job of a call that has already settled does nothing.

const path = require('node:path');
const { ThreadPool } = require('../pool');
const { kInternal } = require('../internal');
const { kernels } = require('../kernels');
const { serializeError } = require('../errors');
const { fromJSON, arrayFrom, encodeFrame } = require('./codec');
const { connect, keyOf } = require('./index');

// KEYS[1]: the call's live key; KEYS[2]: the key to set; ARGV: value, ttl ms.
const SET_IF_LIVE = `if redis.call('exists', KEYS[1]) == 1 then
  redis.call('set', KEYS[2], ARGV[1], 'PX', ARGV[2]) return 1 end return 0`;
const SET_ERR_IF_LIVE = `if redis.call('exists', KEYS[1]) == 1 then
  redis.call('set', KEYS[2], ARGV[1], 'PX', ARGV[2], 'NX') return 1 end return 0`;

const CACHED_CALLS = 2;
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
 * the local pool's threads; `queue`; `concurrency`: jobs at once (default
 * 1: a job already uses every thread); `lockDuration`, `stalledInterval`,
 * `maxStalledCount`: BullMQ's. `onJob(event, job)`: 'active', 'done' or
 * 'failed', for logs. Returns `{ worker, close() }`: close lets current
 * jobs finish, then ends the pool and the connections.
 */
async function startWorker({ connection, threads, queue = 'sabre', concurrency = 1, lockDuration, stalledInterval, maxStalledCount, onJob }) {
  const { redis, opts } = connect(connection);
  const { Worker } = require('bullmq');
  redis.on('error', () => {});
  const pool = new ThreadPool({ ...(threads ? { threads } : {}), [kInternal]: { kernelsModule: path.join(__dirname, 'range.js') } });
  const inputs = new Map(); // call id -> Promise of its prepared args

  function argsOf(d) {
    let p = inputs.get(d.call);
    if (!p) {
      p = (async () => {
        const keys = [...new Set(Object.values(d.inputs).map((r) => r.key))];
        const bufs = keys.length ? await redis.mgetBuffer(...keys) : [];
        const buffers = new Map(); // key -> its bytes on one SharedArrayBuffer, so aliasing views stay aliased
        keys.forEach((key, i) => {
          if (!bufs[i]) throw Object.assign(new Error(`sabre worker: input ${key} is gone`), { gone: true });
          buffers.set(key, arrayFrom('Uint8Array', bufs[i], true).buffer);
        });
        return fromJSON(d.args, ({ $in }) => {
          const r = d.inputs[$in];
          const T = globalThis[r.type];
          return new T(buffers.get(r.key), r.byteOffset, r.byteLength / T.BYTES_PER_ELEMENT);
        });
      })();
      inputs.set(d.call, p);
      if (inputs.size > CACHED_CALLS) inputs.delete(inputs.keys().next().value);
      p.catch(() => inputs.delete(d.call));
    }
    return p;
  }

  async function runChunk(job) {
    const d = job.data;
    const live = keyOf(d.call, 'live');
    if (!(await redis.exists(live))) return null;
    let args;
    try {
      args = await argsOf(d);
    } catch (err) {
      if (err.gone) return null; // the call settled meanwhile
      throw err;
    }
    const spec = kernels[d.kernel];
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
    const range = { kernel: d.kernel, args, units: d.units, grain: d.grain, first: d.first, end: d.end };
    const chunks = await pool.submit('_clusterRange', [range], { onProgress });
    const writes = mergeWrites(chunks).map(([name, from, to]) => [name, from, args[name].slice(from, to)]);
    const result = keyOf(d.call, `res:${d.index}`);
    const frame = encodeFrame({ partials: chunks.map((c) => c.value), writes });
    await redis.eval(SET_IF_LIVE, 2, live, result, frame, d.ttl);
    return { index: d.index, result };
  }

  async function processor(job) {
    if (job.name === 'call') {
      if (!(await redis.exists(keyOf(job.data.call, 'live')))) return null;
      return job.getChildrenValues();
    }
    try {
      return await runChunk(job);
    } catch (err) {
      // The first error of a call is kept for its client, with its class and code.
      const { call, ttl } = job.data;
      await redis.eval(SET_ERR_IF_LIVE, 2, keyOf(call, 'live'), keyOf(call, 'err'), encodeFrame(serializeError(err)), ttl).catch(() => {});
      throw err;
    }
  }

  const worker = new Worker(queue, processor, {
    connection: opts,
    concurrency,
    ...(lockDuration ? { lockDuration } : {}),
    ...(stalledInterval ? { stalledInterval } : {}),
    ...(maxStalledCount !== undefined ? { maxStalledCount } : {}),
  });
  worker.on('error', () => {});
  if (onJob) {
    worker.on('active', (job) => onJob('active', job));
    worker.on('completed', (job) => onJob('done', job));
    worker.on('failed', (job, err) => onJob('failed', job, err));
  }
  await worker.waitUntilReady();
  let closing = null;
  return {
    worker,
    pool,
    close() {
      closing ??= (async () => {
        await worker.close();
        await pool.close();
        await redis.quit().catch(() => redis.disconnect());
      })();
      return closing;
    },
  };
}

module.exports = { startWorker, mergeWrites };
