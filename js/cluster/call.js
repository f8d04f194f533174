'use strict';
// One call on a remote cluster, from submit to settle.
//
// Each pass of the call (js/executor.js: one for most kernels, sort's merge
// rounds and commit for a multi-pass one) is one BullMQ flow: a parent job
// and one child per cluster chunk, a run of `jobChunks` consecutive pool
// chunks of the pass, all on the queue of the call's capacity class
// (js/cluster/capacity.js). The pass's input arrays are written once each as
// binary keys (an array a previous pass did not write keeps its key, so a
// sort's input crosses once); a job's result comes back inline in its JSON
// return value when it holds no typed array (a reduction's partials), or as
// a binary frame in a key of its own. When the parent completes, every
// partial is combined in chunk order (finishPass); a further pass's writes
// (into the call's own scratch arrays) are applied at once, the final pass's
// into the caller's arrays only after its combine succeeded.

const { randomUUID } = require('node:crypto');
const { performance } = require('node:perf_hooks');
const debuglog = require('node:util').debuglog('sabre');
const { Execution } = require('../executor');
const { toJSON, typeOf, decodeFrame, fromJSON, arrayFrom } = require('./codec');
const { keyOf, parentId, childId } = require('./connect');
const { CallStats } = require('./stats');
const { AbortError, TimeoutError, SabreError, deserializeError } = require('../errors');
const { memoryKey } = require('../shared-memory');

const CLEANUP_BOUND = 5_000; // ms a settling call waits for Redis to delete its keys

/** One job's result value (js/cluster/worker.js) as `{ partials, writes }`. */
function frameOf(value, buf) {
  if (value.inline !== undefined) return fromJSON(value.inline, (ref) => arrayFrom(ref.$t, new Uint8Array(0), false));
  return decodeFrame(buf);
}

class ClusterCall {
  /**
   * `remote`: the RemoteCluster; `job`: `{ kernel, definition?, table, label,
   * prepared, opts, cls }` (definition: how workers find a user kernel's
   * declaration; cls: the capacity class).
   */
  constructor(remote, job) {
    this.remote = remote;
    this.id = randomUUID().replace(/-/g, '');
    Object.assign(this, job);
    this.execution = new Execution(job.table, job.kernel, job.prepared);
    this.queueName = remote.queueFor(job.cls);
    this.stats = new CallStats(job.label);
    this.passIndex = -1;
    this.jobs = [];
    this.keys = new Set([keyOf(this.id, 'live'), keyOf(this.id, 'err')]);
    this.uploads = new Map(); // memory (memoryKey) -> [{ key, from, to }] of its bytes in Redis
    this.dirty = new Set(); // memories a pass wrote since they were uploaded
    this.settled = false;
    this.timer = null;
    this.promise = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  /** Milliseconds since submit, for NODE_DEBUG=sabre. */
  elapsed() {
    return (performance.now() - this.stats.startedAt).toFixed(1);
  }

  async start() {
    const { opts } = this;
    if (opts.signal) opts.signal.listen(() => this.fail(new AbortError(undefined, { cause: opts.signal.reason })));
    // On a cluster the time limit counts from submit: a call may wait for a
    // worker that fits it, and none may ever come.
    if (opts.timeout !== undefined) {
      this.timer = setTimeout(() => {
        this.fail(new TimeoutError(`sabre: ${this.label} timed out after ${opts.timeout} ms`, { code: 'ERR_SABRE_TIMEOUT' }));
      }, opts.timeout);
    }
    try {
      await this.remote.readyFor(this.queueName);
      if (this.settled) return;
      await this.remote.redis.set(keyOf(this.id, 'live'), '1', 'PX', this.remote.ttl);
      if (!(await this.stopped())) await this.runPass();
    } catch (err) {
      this.fail(err);
    }
  }

  /**
   * The input arrays of the current pass: each run of overlapping views on
   * one memory once (the span they cover, so aliasing views stay aliased on
   * the worker; sabre.shared's arrays all live in one memory, far apart, so
   * a memory is not one span), reusing the key of a span uploaded before,
   * on a memory no pass has written since. Memories by `memoryKey`
   * (js/shared-memory.js: each growth makes memory.buffer a new object).
   * `slices` (the spec's, js/declare.js): how a chunk reads each argument;
   * a span no view of which is read gets a key but no bytes (a scratch
   * array, an 'out' one), written to Redis only once a later pass reads it.
   * Returns refs by argument name (key, place, and how a chunk reads it:
   * a worker fetches only that, js/cluster/worker.js) and the
   * `[key, Buffer]` to write.
   */
  inputs(args, slices = {}) {
    const byMemory = new Map(); // memory -> [name, view][]
    for (const [name, value] of Object.entries(args)) {
      if (!ArrayBuffer.isView(value)) continue;
      const memory = memoryKey(value);
      if (!byMemory.has(memory)) byMemory.set(memory, []);
      byMemory.get(memory).push([name, value]);
    }
    const refs = {};
    const writes = [];
    for (const [memory, views] of byMemory) {
      if (this.dirty.has(memory)) {
        this.uploads.delete(memory);
        this.dirty.delete(memory);
      }
      if (!this.uploads.has(memory)) this.uploads.set(memory, []);
      const uploaded = this.uploads.get(memory);
      views.sort((a, b) => a[1].byteOffset - b[1].byteOffset);
      for (let i = 0; i < views.length; ) {
        const from = views[i][1].byteOffset;
        let to = from + views[i][1].byteLength;
        let buffer = views[i][1].buffer; // the largest: a grown shared memory's newest
        let j = i + 1;
        for (; j < views.length && views[j][1].byteOffset < to; j++) {
          to = Math.max(to, views[j][1].byteOffset + views[j][1].byteLength);
          if (views[j][1].buffer.byteLength > buffer.byteLength) buffer = views[j][1].buffer;
        }
        const run = views.slice(i, j);
        const read = run.some(([name]) => slices[name]?.read !== false);
        let up = uploaded.find((u) => u.from <= from && u.to >= to);
        if (!up) {
          up = { key: keyOf(this.id, `in:${this.keys.size}`), from, to, written: false };
          this.keys.add(up.key);
          uploaded.push(up);
        }
        if (read && !up.written) {
          up.written = true;
          writes.push([up.key, Buffer.from(new Uint8Array(buffer, up.from, up.to - up.from))]);
        }
        for (const [name, view] of run) {
          const slice = slices[name] ?? {};
          refs[name] = { key: up.key, keyBytes: up.to - up.from, byteOffset: view.byteOffset - up.from, byteLength: view.byteLength, type: typeOf(view), ...slice };
        }
        i = j;
      }
    }
    return { refs, writes };
  }

  /** Writes the current pass's inputs and adds its flow. */
  async runPass() {
    const { pass } = this.execution;
    const p = ++this.passIndex;
    this.stats.passes++;
    const per = this.remote.jobChunks;
    this.jobs = [];
    for (let first = 0; first < pass.chunks; first += per) this.jobs.push({ first, end: Math.min(pass.chunks, first + per), reported: 0 });
    const { refs, writes } = this.inputs(pass.args, pass.spec.slices?.(pass.args));
    const args = toJSON(pass.args, (view) => ({ $in: Object.keys(pass.args).find((k) => pass.args[k] === view) }));
    const { redis, ttl } = this.remote;
    if (writes.length) {
      const multi = redis.multi();
      for (const [key, buf] of writes) {
        multi.set(key, buf, 'PX', ttl);
        this.stats.moved(buf.byteLength);
      }
      await multi.exec();
    }
    debuglog('cluster call %s +%s ms pass %d: %d bytes of inputs written', this.id, this.elapsed(), p, writes.reduce((n, [, b]) => n + b.byteLength, 0));
    if (await this.stopped()) return;
    const q = this.queueName;
    const done = { removeOnComplete: true, removeOnFail: true };
    // A user kernel travels as its declaration and name, which each worker
    // resolves itself; a built-in (or one of its passes) by name.
    const kernel = this.definition === undefined || p > 0 ? pass.kernel : this.userName;
    const common = { call: this.id, pass: p, kernel, definition: p > 0 ? undefined : this.definition, ttl };
    await this.remote.flows.add({
      name: 'call',
      queueName: q,
      data: { call: this.id, pass: p },
      opts: { jobId: parentId(this.id, p), ...done },
      children: this.jobs.map((job, index) => ({
        name: 'chunk',
        queueName: q,
        data: { ...common, index, first: job.first, end: job.end, units: pass.units, grain: pass.grain, args, inputs: refs },
        opts: { jobId: childId(this.id, p, index), failParentOnFailure: true, attempts: 1, ...done },
      })),
    });
    debuglog('cluster call %s +%s ms pass %d: flow of %d jobs added', this.id, this.elapsed(), p, this.jobs.length);
    await this.stopped();
  }

  /**
   * After a write to Redis: true if the call settled meanwhile, once what
   * that write made (keys, jobs) is cleaned up again: the cleanup at settle
   * ran before it landed.
   */
  async stopped() {
    if (!this.settled) return false;
    await this.cleanup(false);
    return true;
  }

  /** Child `index` of pass `p` has `count` of its pool chunks done. */
  progress(p, index, count) {
    const job = this.jobs[index];
    if (!job || p !== this.passIndex || this.settled || typeof count !== 'number') return;
    const n = Math.min(count, job.end - job.first);
    while (job.reported < n) {
      this.execution.chunkDone(job.first + job.reported++);
      if (this.opts.onProgress) {
        try {
          this.opts.onProgress(this.execution.progress());
        } catch (err) {
          this.fail(err);
          return;
        }
      }
    }
  }

  /** A job of pass `p` completed (index -1: the parent, with its children's values). */
  completed(p, index, value) {
    if (index >= 0) return this.progress(p, index, Infinity);
    if (this.settled || p !== this.passIndex) return;
    this.finishPass(value).catch((err) => this.fail(err));
  }

  failedJob(p, index, reason) {
    if (index >= 0 || this.settled) return; // the parent reports it (failParentOnFailure)
    this.failFromWorker(reason);
  }

  async failFromWorker(reason) {
    let err;
    try {
      const buf = await this.remote.redis.getBuffer(keyOf(this.id, 'err'));
      err = buf ? deserializeError(decodeFrame(buf)) : null;
    } catch {
      err = null;
    }
    this.fail(err ?? new SabreError(`sabre: ${this.label} failed on the cluster: ${reason}`, { code: 'ERR_SABRE_CLUSTER_FAILED' }));
  }

  /** The parent of the current pass completed: its children's `{ index, ... }` hold or name their results. */
  async finishPass(children) {
    debuglog('cluster call %s +%s ms pass %d: parent completed', this.id, this.elapsed(), this.passIndex);
    const byIndex = new Array(this.jobs.length);
    for (const v of Object.values(children ?? {})) if (v && Number.isInteger(v.index)) byIndex[v.index] = v;
    const missing = byIndex.findIndex((v, i) => !v && i < this.jobs.length);
    if (missing >= 0 || byIndex.length !== this.jobs.length) {
      throw new SabreError(`sabre: the result of chunk ${missing} of ${this.label} is missing`, { code: 'ERR_SABRE_CLUSTER_LOST' });
    }
    const keyed = byIndex.filter((v) => v.result);
    const bufs = keyed.length ? await this.remote.redis.mgetBuffer(...keyed.map((v) => v.result)) : [];
    if (this.settled) return;
    debuglog('cluster call %s +%s ms pass %d: %d result keys read', this.id, this.elapsed(), this.passIndex, keyed.length);
    const partials = [];
    const writes = [];
    let k = 0;
    byIndex.forEach((v, i) => {
      const buf = v.result ? bufs[k++] : undefined;
      if (v.result && !buf) throw new SabreError(`sabre: the result of chunk ${i} of ${this.label} is missing from Redis`, { code: 'ERR_SABRE_CLUSTER_LOST' });
      if (buf) this.stats.moved(0, buf.byteLength);
      const frame = frameOf(v, buf);
      partials.push(...frame.partials);
      writes.push(...frame.writes);
      this.stats.job(this.jobs[i].end - this.jobs[i].first, v.report);
    });
    for (let i = 0; i < this.jobs.length; i++) this.progress(this.passIndex, i, Infinity);
    if (this.settled) return;
    const { args } = this.execution.pass;
    const out = this.execution.finishPass(partials);
    for (const [name, from, data] of writes) {
      args[name].set(data, from);
      this.dirty.add(memoryKey(args[name]));
    }
    if (!out) {
      // A further pass (its writes above went into the call's scratch arrays).
      if (keyed.length) await this.remote.redis.del(...keyed.map((v) => v.result));
      if (!this.settled) await this.runPass();
      return;
    }
    this.settle(true, () => this.resolve(out.value));
  }

  fail(err) {
    if (this.settled) return;
    this.settle(false, () => this.reject(err));
  }

  /**
   * Settles once: stops listening, reports its statistics, deletes the
   * call's keys and removes its jobs still queued (bounded; at once when
   * Redis is lost: the keys expire), then `then()`.
   */
  settle(ok, then) {
    this.settled = true;
    clearTimeout(this.timer);
    this.opts.signal?.unlisten();
    this.remote.forget(this, ok);
    if (this.opts.onStats) {
      try {
        this.opts.onStats(this.stats.snapshot(ok));
      } catch {
        // A throwing onStats cannot change how the call settled.
      }
    }
    const cleanup = this.cleanup(ok);
    if (this.remote.lost) return then();
    let bound;
    const timer = new Promise((resolve) => (bound = setTimeout(resolve, CLEANUP_BOUND)));
    Promise.race([cleanup, timer]).finally(() => {
      clearTimeout(bound);
      then();
    });
  }

  /**
   * Deletes every key of the call (the `live` key in the same DEL, so no
   * worker writes a result after) and, unless it succeeded (its jobs are
   * gone then), removes its jobs still queued; a running one finds the call
   * gone and its result is dropped.
   */
  async cleanup(ok) {
    const { redis } = this.remote;
    const keys = [...this.keys, ...this.jobs.map((_, i) => keyOf(this.id, `res:${this.passIndex}:${i}`))];
    await redis.del(...keys).catch(() => {});
    if (ok || this.passIndex < 0) return;
    const queue = this.remote.queue(this.queueName);
    await Promise.allSettled(this.jobs.map((_, i) => queue.remove(childId(this.id, this.passIndex, i))));
    await queue.remove(parentId(this.id, this.passIndex)).catch(() => {});
  }
}

module.exports = { ClusterCall };
