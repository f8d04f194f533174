'use strict';
// Cluster: sabre's kernels across processes and machines, on BullMQ and Redis.
//
//   new Cluster()                               embedded: a local Pool
//   new Cluster({ connection, queue })          remote: workers started with
//                                               `npx sabre worker --redis URL`
//   await cluster.kernels.NAME(...args, opts?)  the pool's signatures
//
// A remote call is one BullMQ flow: a parent job and one child per cluster
// chunk, a run of consecutive pool chunks of the call's pass (js/executor.js
// cuts it, so results are bit-identical to the pool's). The call's input
// arrays are written once, each as a binary Redis key; job data holds only
// `{ key, byteOffset, byteLength, type }` references and JSON scalars. A
// worker runs its range on its own Pool (js/cluster/range.js) and writes the
// partials and written elements of those pool chunks as one binary frame
// (js/cluster/codec.js) in a result key; the parent job's value is its
// children's `{ index, result }`. The client combines every partial in chunk
// order with the spec's combine (Execution.finishPass) and only then copies
// written elements into the caller's arrays: a call that fails or is aborted
// leaves them as they were. Every key has a TTL and is deleted when the call
// settles; a worker writes a result only while the call's `live` key exists
// (one Lua script), so nothing of a settled call is written after.
//
// BullMQ (and its ioredis) is an optional peer dependency, required only
// here, only when a Cluster is made with a connection.

const { randomUUID } = require('node:crypto');
const { kernels } = require('../kernels');
const { Execution } = require('../executor');
const { callOptions } = require('../options');
const { memoryKey } = require('../shared-memory');
const { toJSON, bytesOf, typeOf, decodeFrame } = require('./codec');
const { AbortError, TimeoutError, PoolClosedError, SabreError, deserializeError, invalidArgType, outOfRange } = require('../errors');

const DEFAULT_QUEUE = 'sabre';
const DEFAULT_TTL = 3_600_000; // 1 h: keys of a call whose client died expire
const DEFAULT_JOB_CHUNKS = 16; // pool chunks per cluster chunk
const CLEANUP_BOUND = 5_000; // ms a settling call waits for Redis to delete its keys

/** `require(name)`, or a clear error saying what to install. */
function requirePeer(name) {
  try {
    return require(name);
  } catch (err) {
    if (err?.code !== 'MODULE_NOT_FOUND') throw err;
    throw new SabreError(
      `sabre: a Cluster with a connection needs the optional peer dependency "${name}": npm install bullmq ioredis`,
      { code: 'ERR_SABRE_BULLMQ_MISSING', cause: err },
    );
  }
}

/** `connection` as BullMQ's options (a URL becomes `{ url }`), and an ioredis client for the data keys. */
function connect(connection) {
  const { Queue, FlowProducer, QueueEvents } = requirePeer('bullmq');
  const IORedis = requirePeer('ioredis');
  const opts = typeof connection === 'string' ? { url: connection } : { ...connection };
  const { url, ...rest } = opts;
  const redis = url ? new IORedis(url, { ...rest, maxRetriesPerRequest: null }) : new IORedis({ ...rest, maxRetriesPerRequest: null });
  return { Queue, FlowProducer, QueueEvents, redis, opts };
}

const keyOf = (call, what) => `sabre:${call}:${what}`;

/** The public kernels a cluster runs: single-pass built-ins (sort's passes are not yet supported). */
const publicNames = Object.keys(kernels).filter((name) => !name.startsWith('_'));

class RemoteCluster {
  #queueName;
  #ttl;
  #jobChunks;
  #redis;
  #queue;
  #flows;
  #events;
  #ready;
  #calls = new Map(); // call id -> live call state
  #closing = null;

  constructor({ connection, queue = DEFAULT_QUEUE, ttl = DEFAULT_TTL, jobChunks = DEFAULT_JOB_CHUNKS }) {
    if (typeof queue !== 'string' || queue === '' || queue.includes(':')) {
      throw invalidArgType('options.queue', 'a non-empty string without ":"', queue);
    }
    if (!(Number.isInteger(ttl) && ttl >= 1000)) throw outOfRange('options.ttl', 'an integer >= 1000 (ms)', ttl);
    if (!(Number.isInteger(jobChunks) && jobChunks >= 1)) throw outOfRange('options.jobChunks', 'an integer >= 1', jobChunks);
    const { Queue, FlowProducer, QueueEvents, redis, opts } = connect(connection);
    this.#queueName = queue;
    this.#ttl = ttl;
    this.#jobChunks = jobChunks;
    this.#redis = redis;
    this.#queue = new Queue(queue, { connection: opts });
    this.#flows = new FlowProducer({ connection: opts });
    this.#events = new QueueEvents(queue, { connection: opts });
    // A lost connection is reported by each call that needs it; never an
    // unhandled 'error' event.
    for (const e of [this.#redis, this.#queue, this.#flows, this.#events]) e.on('error', () => {});
    this.#events.on('active', ({ jobId }) => this.#route(jobId, (c, i) => c.active(i)));
    this.#events.on('progress', ({ jobId, data }) => this.#route(jobId, (c, i) => c.progress(i, data)));
    this.#events.on('completed', ({ jobId, returnvalue }) => this.#route(jobId, (c, i) => c.completed(i, returnvalue)));
    this.#events.on('failed', ({ jobId, failedReason }) => this.#route(jobId, (c, i) => c.failedJob(i, failedReason)));
    this.#ready = Promise.all([this.#events.waitUntilReady(), this.#queue.waitUntilReady(), this.#flows.waitUntilReady()]);
    this.#ready.catch(() => {});
  }

  /** Calls `fn(call, index)` for an event of job `jobId` (index -1: the parent). */
  #route(jobId, fn) {
    const dash = jobId.indexOf('-');
    const call = this.#calls.get(dash < 0 ? jobId : jobId.slice(0, dash));
    if (call) fn(call, dash < 0 ? -1 : Number(jobId.slice(dash + 1)));
  }

  submit(name, args, rawOpts) {
    try {
      const spec = kernels[name];
      const opts = callOptions(rawOpts);
      const prepared = spec.prepare(args, true);
      if (spec.plan) {
        throw new SabreError(`sabre: ${name} runs several passes, which a Cluster does not run yet; use a Pool`, {
          code: 'ERR_SABRE_CLUSTER_MULTIPASS',
        });
      }
      if (this.#closing) throw new PoolClosedError('The cluster is closed and accepts no new calls', { code: 'ERR_SABRE_POOL_CLOSED' });
      if (opts.signal?.aborted) throw new AbortError(undefined, { cause: opts.signal.reason });
      const call = new ClusterCall(this, name, prepared, opts);
      this.#calls.set(call.id, call);
      call.start();
      return call.promise;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  // What a ClusterCall uses.
  get redis() {
    return this.#redis;
  }
  get queue() {
    return this.#queue;
  }
  get queueName() {
    return this.#queueName;
  }
  get ttl() {
    return this.#ttl;
  }
  get jobChunks() {
    return this.#jobChunks;
  }
  get ready() {
    return this.#ready;
  }
  get flows() {
    return this.#flows;
  }
  forget(call) {
    this.#calls.delete(call.id);
  }

  /** Lets live calls settle, then closes every connection. */
  close() {
    this.#closing ??= (async () => {
      await Promise.allSettled([...this.#calls.values()].map((c) => c.promise));
      await this.#shut();
    })();
    return this.#closing;
  }

  /** Fails every live call (PoolClosedError), then closes every connection. */
  destroy() {
    const err = new PoolClosedError('The cluster was destroyed before this call finished', { code: 'ERR_SABRE_POOL_DESTROYED' });
    for (const c of this.#calls.values()) c.fail(err);
    return this.close();
  }

  async #shut() {
    await Promise.allSettled([this.#events.close(), this.#flows.close(), this.#queue.close()]);
    await this.#redis.quit().catch(() => this.#redis.disconnect());
  }
}

/**
 * The input arrays of a prepared call: each run of overlapping views on one
 * memory is written once (the span they cover, so aliasing views stay
 * aliased on the worker; arrays of sabre.shared all live in one memory, far
 * apart), each view becomes `{ key, byteOffset, byteLength, type }` in it.
 * Returns `{ refs, writes }`: refs by argument name, writes as `[key, Buffer]`.
 */
function inputsOf(id, prepared) {
  const byMemory = new Map(); // memory (js/shared-memory.js memoryKey) -> [name, view][]
  for (const [name, value] of Object.entries(prepared)) {
    if (!ArrayBuffer.isView(value)) continue;
    const memory = memoryKey(value);
    if (!byMemory.has(memory)) byMemory.set(memory, []);
    byMemory.get(memory).push([name, value]);
  }
  const refs = {};
  const writes = [];
  let n = 0;
  for (const views of byMemory.values()) {
    views.sort((a, b) => a[1].byteOffset - b[1].byteOffset);
    for (let i = 0; i < views.length; ) {
      // One span: views whose bytes overlap the span so far.
      const from = views[i][1].byteOffset;
      let to = from + views[i][1].byteLength;
      let buffer = views[i][1].buffer; // the largest (a grown shared memory's newest)
      let j = i + 1;
      for (; j < views.length && views[j][1].byteOffset < to; j++) {
        to = Math.max(to, views[j][1].byteOffset + views[j][1].byteLength);
        if (views[j][1].buffer.byteLength > buffer.byteLength) buffer = views[j][1].buffer;
      }
      const key = keyOf(id, `in:${n++}`);
      writes.push([key, Buffer.from(new Uint8Array(buffer, from, to - from))]);
      for (const [name, view] of views.slice(i, j)) {
        refs[name] = { key, byteOffset: view.byteOffset - from, byteLength: view.byteLength, type: typeOf(view) };
      }
      i = j;
    }
  }
  return { refs, writes };
}

/** One call on a remote cluster, from submit to settle. */
class ClusterCall {
  constructor(cluster, kernel, prepared, opts) {
    this.cluster = cluster;
    this.id = randomUUID().replace(/-/g, '');
    this.kernel = kernel;
    this.prepared = prepared;
    this.opts = opts;
    this.execution = new Execution(kernels, kernel, prepared);
    const { pass } = this.execution;
    const per = cluster.jobChunks;
    this.jobs = [];
    for (let first = 0; first < pass.chunks; first += per) this.jobs.push({ first, end: Math.min(pass.chunks, first + per), reported: 0 });
    this.keys = [keyOf(this.id, 'live'), keyOf(this.id, 'err'), ...this.jobs.map((_, i) => keyOf(this.id, `res:${i}`))];
    this.settled = false;
    this.timer = null;
    this.promise = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  async start() {
    const { opts, cluster } = this;
    if (opts.signal) opts.signal.listen(() => this.fail(new AbortError(undefined, { cause: opts.signal.reason })));
    try {
      const { refs, writes } = inputsOf(this.id, this.prepared);
      this.keys.push(...writes.map(([key]) => key));
      const scalars = toJSON(this.prepared, (view) => ({ $in: Object.keys(this.prepared).find((k) => this.prepared[k] === view) }));
      await cluster.ready;
      if (this.settled) return;
      const ttl = cluster.ttl;
      const multi = cluster.redis.multi().set(keyOf(this.id, 'live'), '1', 'PX', ttl);
      for (const [key, buf] of writes) multi.set(key, buf, 'PX', ttl);
      await multi.exec();
      if (this.settled) return this.cleanup();
      const { pass } = this.execution;
      const q = cluster.queueName;
      const done = { removeOnComplete: true, removeOnFail: true };
      await cluster.flows.add({
        name: 'call',
        queueName: q,
        data: { call: this.id, kernel: this.kernel },
        opts: { jobId: this.id, ...done },
        children: this.jobs.map((job, index) => ({
          name: 'chunk',
          queueName: q,
          data: {
            call: this.id,
            kernel: this.kernel,
            index,
            first: job.first,
            end: job.end,
            units: pass.units,
            grain: pass.grain,
            args: scalars,
            inputs: refs,
            ttl,
          },
          opts: { jobId: `${this.id}-${index}`, failParentOnFailure: true, attempts: 1, ...done },
        })),
      });
      if (this.settled) this.cleanup();
    } catch (err) {
      this.fail(err);
    }
  }

  /** A child job started: the time limit counts from the first. */
  active(index) {
    if (index < 0 || this.settled || this.timer || this.opts.timeout === undefined) return;
    this.timer = setTimeout(() => {
      this.fail(new TimeoutError(`sabre: ${this.kernel} timed out after ${this.opts.timeout} ms of run time`, { code: 'ERR_SABRE_TIMEOUT' }));
    }, this.opts.timeout);
  }

  /** Child `index` has `count` of its pool chunks done. */
  progress(index, count) {
    const job = this.jobs[index];
    if (!job || this.settled || typeof count !== 'number') return;
    const n = Math.min(count, job.end - job.first);
    while (job.reported < n) {
      const p = this.execution.chunkDone(job.first + job.reported++);
      if (this.opts.onProgress) {
        try {
          this.opts.onProgress(p);
        } catch (err) {
          this.fail(err);
          return;
        }
      }
    }
  }

  completed(index, value) {
    if (index >= 0) {
      this.progress(index, Infinity);
      return;
    }
    if (this.settled) return;
    this.finish(value).catch((err) => this.fail(err));
  }

  failedJob(index, reason) {
    if (index >= 0 || this.settled) return; // the parent reports it (failParentOnFailure)
    this.failFromWorker(reason);
  }

  async failFromWorker(reason) {
    let err;
    try {
      const buf = await this.cluster.redis.getBuffer(keyOf(this.id, 'err'));
      err = buf ? deserializeError(decodeFrame(buf)) : null;
    } catch {
      err = null;
    }
    this.fail(err ?? new SabreError(`sabre: ${this.kernel} failed on the cluster: ${reason}`, { code: 'ERR_SABRE_CLUSTER_FAILED' }));
  }

  /** The parent completed: its children's `{ index, result }` name the result keys. */
  async finish(children) {
    const byIndex = new Array(this.jobs.length);
    for (const v of Object.values(children ?? {})) if (v && Number.isInteger(v.index)) byIndex[v.index] = v.result;
    const keys = this.jobs.map((_, i) => byIndex[i] ?? keyOf(this.id, `res:${i}`));
    const bufs = await this.cluster.redis.mgetBuffer(...keys);
    if (this.settled) return;
    const partials = [];
    const writes = [];
    bufs.forEach((buf, i) => {
      if (!buf) throw new SabreError(`sabre: the result of chunk ${i} of ${this.kernel} is missing from Redis`, { code: 'ERR_SABRE_CLUSTER_LOST' });
      const frame = decodeFrame(buf);
      partials.push(...frame.partials);
      writes.push(...frame.writes);
    });
    for (let i = 0; i < this.jobs.length; i++) this.progress(i, Infinity);
    if (this.settled) return;
    const out = this.execution.finishPass(partials);
    // Single-pass kernels only (submit refuses the others): `out` is the result.
    for (const [name, from, data] of writes) this.prepared[name].set(data, from);
    this.settle(() => this.resolve(out.value));
  }

  fail(err) {
    if (this.settled) return;
    this.settle(() => this.reject(err));
  }

  /** Settles once: stops listening, deletes the call's keys and queued jobs (bounded), then `then()`. */
  settle(then) {
    this.settled = true;
    clearTimeout(this.timer);
    this.opts.signal?.unlisten();
    this.cluster.forget(this);
    let bound;
    const timer = new Promise((resolve) => (bound = setTimeout(resolve, CLEANUP_BOUND)));
    Promise.race([this.cleanup(), timer]).finally(() => {
      clearTimeout(bound);
      then();
    });
  }

  /**
   * Deletes every key of the call (the `live` key first in the same DEL, so
   * no worker writes a result after) and removes its jobs that are still
   * queued; a running one finds the call gone and its result is dropped.
   */
  async cleanup() {
    const { redis, queue } = this.cluster;
    await redis.del(...this.keys).catch(() => {});
    await Promise.allSettled(this.jobs.map((_, i) => queue.remove(`${this.id}-${i}`)));
    await queue.remove(this.id).catch(() => {});
  }
}

/**
 * The cluster facade: `kernels` with the pool's signatures, on Redis
 * workers (with `connection`) or on a local Pool (without).
 */
class Cluster {
  #impl;

  /**
   * `options.connection`: a Redis URL or ioredis options (BullMQ's
   * `connection`); `queue`: the BullMQ queue name (default 'sabre');
   * `jobChunks`: pool chunks per cluster chunk (default 16); `ttl`: ms every
   * key of a call lives at most (default 1 h). Without `connection`: a local
   * Pool, made with `options.pool`.
   */
  constructor(options = {}) {
    if (options === null || typeof options !== 'object') throw invalidArgType('options', 'an object', options);
    const { connection, pool, ...remote } = options;
    if (connection === undefined) {
      const { Pool } = require('../index');
      const local = new Pool(pool);
      this.#impl = {
        submit: (name, args, opts) => local.kernels[name](...args, opts),
        close: () => local.close(),
        destroy: () => local.destroy(),
      };
      this.embedded = true;
    } else {
      this.#impl = new RemoteCluster({ connection, ...remote });
      this.embedded = false;
    }
    const impl = this.#impl;
    this.kernels = Object.freeze(
      Object.fromEntries(
        publicNames.map((name) => {
          const n = kernels[name].params.length;
          return [name, { [name]: (...args) => impl.submit(name, args.slice(0, n), args[n]) }[name]];
        }),
      ),
    );
  }

  /** Lets live calls finish, then closes every connection (or the local pool). */
  close() {
    return this.#impl.close();
  }

  /** Rejects every live call, then closes. */
  destroy() {
    return this.#impl.destroy();
  }

  [Symbol.asyncDispose]() {
    return this.close();
  }
}

module.exports = { Cluster, requirePeer, connect, keyOf, bytesOf };
