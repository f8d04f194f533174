'use strict';
// RemoteCluster: the client side of a Cluster with a connection. It holds
// one ioredis client (the data keys), one FlowProducer, and per capacity
// class queue in use a Queue and a QueueEvents on a client of its own
// (BullMQ's events are per queue); it routes job events to their calls (js/cluster/call.js), keeps
// the users' kernels loaded with `load`, and adds settled calls up for
// `stats()`.
//
// Redis lost: every client keeps retrying (BullMQ needs
// `maxRetriesPerRequest: null`), so nothing would ever fail on its own.
// When the data connection has not been ready for `lostAfter` ms while
// calls are live, each of them fails with ERR_SABRE_REDIS_LOST (its keys
// expire by their TTL if Redis comes back).

const { kernels } = require('../kernels');
const { callOptions } = require('../options');
const { connect, parseJobId } = require('./connect');
const { classOf, queueOf, DEFAULT_CLASS } = require('./capacity');
const { ClusterCall } = require('./call');
const { ClusterStats } = require('./stats');
const { AbortError, PoolClosedError, SabreError, invalidArgType, outOfRange } = require('../errors');

const DEFAULT_QUEUE = 'sabre';
const DEFAULT_TTL = 3_600_000; // 1 h: keys of a call whose client died expire
const DEFAULT_JOB_CHUNKS = 16; // pool chunks per cluster chunk
const DEFAULT_LOST_AFTER = 10_000;
const SHUT_BOUND = 2_000; // ms close() waits for BullMQ's clients before cutting them

/** Splits call options into the pool's (checked by callOptions) and the cluster's own. */
function clusterOptions(raw) {
  if (raw === undefined || raw === null || typeof raw !== 'object') return { opts: callOptions(raw), cls: DEFAULT_CLASS, onStats: undefined };
  const { needs, onStats, ...rest } = raw;
  if (onStats !== undefined && typeof onStats !== 'function') throw invalidArgType('options.onStats', 'a function', onStats);
  const opts = callOptions(rest);
  // A remote worker is another runtime, which may lack relaxed SIMD; until
  // its capacity says so (a class of its own), the fused mode runs on a Pool
  // or directly, and is refused here rather than run exact.
  if (opts.fused) throw invalidArgType('options.fused', 'false or undefined on a remote Cluster (the fused mode runs on a Pool, directly, or on an embedded Cluster)', true);
  return { opts, cls: classOf(needs), onStats };
}

class RemoteCluster {
  #queueName;
  #redis;
  #bullmq;
  #connection;
  #newClient;
  #flows;
  #queues = new Map(); // queue name -> { queue, events, ready }
  #calls = new Map(); // call id -> ClusterCall
  #closing = null;
  #lostAfter;
  #lostTimer = null;
  #lost = false;

  constructor({ connection, queue = DEFAULT_QUEUE, ttl = DEFAULT_TTL, jobChunks = DEFAULT_JOB_CHUNKS, lostAfter = DEFAULT_LOST_AFTER }) {
    if (typeof queue !== 'string' || queue === '' || queue.includes(':')) {
      throw invalidArgType('options.queue', 'a non-empty string without ":"', queue);
    }
    if (!(Number.isInteger(ttl) && ttl >= 1000)) throw outOfRange('options.ttl', 'an integer >= 1000 (ms)', ttl);
    if (!(Number.isInteger(jobChunks) && jobChunks >= 1)) throw outOfRange('options.jobChunks', 'an integer >= 1', jobChunks);
    if (!(Number.isInteger(lostAfter) && lostAfter >= 1)) throw outOfRange('options.lostAfter', 'an integer >= 1 (ms)', lostAfter);
    const { bullmq, redis, opts, newClient } = connect(connection);
    this.#newClient = newClient;
    this.#queueName = queue;
    this.ttl = ttl;
    this.jobChunks = jobChunks;
    this.#lostAfter = lostAfter;
    this.#bullmq = bullmq;
    this.#connection = opts;
    this.#redis = redis;
    this.kernels = { ...kernels }; // built-ins, and users' kernels as they are loaded
    this.stats = new ClusterStats();
    this.#flows = new bullmq.FlowProducer({ connection: opts });
    // A lost connection is reported by each call that needs it; never an
    // unhandled 'error' event.
    for (const e of [this.#redis, this.#flows]) e.on('error', () => {});
    this.#redis.on('ready', () => this.#reachable());
    for (const event of ['close', 'end']) this.#redis.on(event, () => this.#unreachable());
  }

  get redis() {
    return this.#redis;
  }
  get flows() {
    return this.#flows;
  }
  /** True once Redis was unreachable for `lostAfter` ms (until it is back). */
  get lost() {
    return this.#lost;
  }

  queueFor(cls) {
    return queueOf(this.#queueName, cls);
  }

  /** The Queue and QueueEvents of `name`, made on first use. */
  #entry(name) {
    let e = this.#queues.get(name);
    if (e) return e;
    const { Queue, QueueEvents } = this.#bullmq;
    const queue = new Queue(name, { connection: this.#connection });
    // Clients close() can always end: BullMQ's QueueEvents.close() first
    // waits for its connection to be ready, so on a Redis never reached it
    // never ends it and ioredis retries forever. It is given a client of
    // ours, which it duplicates (a blocking connection is its own): both
    // are kept, to be disconnected.
    const eventsClients = [this.#newClient()];
    const duplicate = eventsClients[0].duplicate.bind(eventsClients[0]);
    eventsClients[0].duplicate = (...args) => {
      const client = duplicate(...args);
      eventsClients.push(client);
      return client;
    };
    for (const c of eventsClients) c.on('error', () => {});
    const events = new QueueEvents(name, { connection: eventsClients[0] });
    for (const x of [queue, events]) x.on('error', () => {});
    events.on('progress', ({ jobId, data }) => this.#route(jobId, (c, p, i) => c.progress(p, i, data)));
    events.on('completed', ({ jobId, returnvalue }) => this.#route(jobId, (c, p, i) => c.completed(p, i, returnvalue)));
    events.on('failed', ({ jobId, failedReason }) => this.#route(jobId, (c, p, i) => c.failedJob(p, i, failedReason)));
    const ready = Promise.all([queue.waitUntilReady(), events.waitUntilReady(), this.#flows.waitUntilReady()]);
    ready.catch(() => {});
    e = { queue, events, eventsClients, ready };
    this.#queues.set(name, e);
    return e;
  }

  queue(name) {
    return this.#entry(name).queue;
  }

  /** Resolves once queue `name`'s events are followed (before a flow is added, or its events could be missed). */
  readyFor(name) {
    return this.#entry(name).ready;
  }

  /** Calls `fn(call, pass, index)` for an event of job `jobId` (index -1: a parent). */
  #route(jobId, fn) {
    const id = parseJobId(jobId);
    const call = id && this.#calls.get(id.call);
    if (call) fn(call, id.pass, id.index);
  }

  #unreachable() {
    if (this.#lostTimer || this.#closing) return;
    this.#lostTimer = setTimeout(() => {
      this.#lost = true;
      for (const c of this.#calls.values()) c.fail(this.#lostError());
    }, this.#lostAfter);
    this.#lostTimer.unref();
  }

  #lostError() {
    return new SabreError(`sabre: Redis has been unreachable for ${this.#lostAfter} ms (options.lostAfter)`, { code: 'ERR_SABRE_REDIS_LOST' });
  }

  #reachable() {
    clearTimeout(this.#lostTimer);
    this.#lostTimer = null;
    this.#lost = false;
  }

  /**
   * Submits a call of `name` (a built-in, or a loaded user kernel by its
   * qualified name, with `user`: `{ definition, name }`, how workers find it).
   */
  submit(name, args, rawOpts, user) {
    try {
      const spec = this.kernels[name];
      const { opts, cls, onStats } = clusterOptions(rawOpts);
      const prepared = spec.prepare(args, true);
      if (this.#closing) throw new PoolClosedError('The cluster is closed and accepts no new calls', { code: 'ERR_SABRE_POOL_CLOSED' });
      if (opts.signal?.aborted) throw new AbortError(undefined, { cause: opts.signal.reason });
      if (this.#lost) throw this.#lostError(); // still unreachable: no call can start
      const call = new ClusterCall(this, {
        kernel: name,
        label: spec.displayName ?? name,
        table: this.kernels,
        definition: user?.definition,
        userName: user?.name,
        prepared,
        opts: { ...opts, onStats },
        cls,
      });
      this.#calls.set(call.id, call);
      if (this.#redis.status !== 'ready') this.#unreachable();
      call.start();
      return call.promise;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** A call settled: it is no longer routed to, and its statistics are added. */
  forget(call, ok) {
    this.#calls.delete(call.id);
    this.stats.add(call.stats, ok);
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
    clearTimeout(this.#lostTimer);
    const closers = [this.#flows, ...[...this.#queues.values()].flatMap((e) => [e.events, e.queue])];
    let bound;
    // Unreachable: nothing can close gracefully, so no waiting for it.
    const timer = new Promise((resolve) => (bound = setTimeout(resolve, this.#redis.status === 'ready' ? SHUT_BOUND : 0)));
    await Promise.race([Promise.allSettled(closers.map((x) => x.close())), timer]);
    clearTimeout(bound);
    for (const x of closers) Promise.resolve(x.disconnect?.()).catch(() => {});
    for (const e of this.#queues.values()) for (const c of e.eventsClients) c.disconnect();
    if (this.#redis.status === 'ready') await this.#redis.quit().catch(() => this.#redis.disconnect());
    else this.#redis.disconnect();
  }
}

module.exports = { RemoteCluster };
