'use strict';
// Run statistics of cluster calls. Each job's worker reports, with its
// result, who ran it, how long it waited in the queue (from the job's
// creation to its start: clocks of different machines are compared, so
// trust it to their skew) and ran (inputs read, chunks computed, result
// written), how many times it was started again after its worker was lost
// (BullMQ's stall counter), and the bytes it read from and wrote to Redis.
// A CallStats gathers them for one call (given to `onStats` when the call
// settles); ClusterStats adds every call's up per kernel for
// `cluster.stats()`.

const { createHistogram, performance } = require('node:perf_hooks');
const { summary, record } = require('../stats');

class CallStats {
  constructor(kernel) {
    this.kernel = kernel;
    this.startedAt = performance.now();
    this.passes = 0;
    this.jobs = 0;
    this.chunks = 0;
    this.retries = 0;
    this.workers = new Map(); // worker id -> { jobs, chunks }
    this.wait = createHistogram();
    this.run = createHistogram();
    this.bytes = { toRedis: 0, fromRedis: 0 };
  }

  /** The client wrote (`up`) or read (`down`) bytes of this call. */
  moved(up, down = 0) {
    this.bytes.toRedis += up;
    this.bytes.fromRedis += down;
  }

  /** A job's report (js/cluster/worker.js `report`), once per finished job. */
  job(chunks, r) {
    this.jobs++;
    this.chunks += chunks;
    if (!r) return;
    this.retries += r.retries ?? 0;
    let w = this.workers.get(r.worker);
    if (!w) this.workers.set(r.worker, (w = { jobs: 0, chunks: 0 }));
    w.jobs++;
    w.chunks += chunks;
    record(this.wait, r.waitMs);
    record(this.run, r.runMs);
    this.moved(r.wrote ?? 0, r.read ?? 0);
  }

  /** The plain object `onStats` receives. */
  snapshot(ok) {
    return {
      kernel: this.kernel,
      ok,
      elapsedMs: performance.now() - this.startedAt,
      passes: this.passes,
      jobs: this.jobs,
      chunks: this.chunks,
      retries: this.retries,
      workers: Object.fromEntries(this.workers),
      waitMs: summary(this.wait),
      runMs: summary(this.run),
      bytes: { ...this.bytes },
    };
  }
}

class Tally {
  constructor() {
    this.calls = 0;
    this.failed = 0;
    this.jobs = 0;
    this.chunks = 0;
    this.retries = 0;
    this.workers = new Map();
    this.wait = createHistogram();
    this.run = createHistogram();
    this.bytes = { toRedis: 0, fromRedis: 0 };
  }
}

class ClusterStats {
  constructor() {
    this.startedAt = performance.now();
    this.kernels = new Map();
  }

  /** Adds a settled call's CallStats. */
  add(s, ok) {
    let t = this.kernels.get(s.kernel);
    if (!t) this.kernels.set(s.kernel, (t = new Tally()));
    t.calls++;
    if (!ok) t.failed++;
    t.jobs += s.jobs;
    t.chunks += s.chunks;
    t.retries += s.retries;
    for (const [id, w] of s.workers) {
      const mine = t.workers.get(id) ?? { jobs: 0, chunks: 0 };
      t.workers.set(id, { jobs: mine.jobs + w.jobs, chunks: mine.chunks + w.chunks });
    }
    t.wait.add(s.wait);
    t.run.add(s.run);
    t.bytes.toRedis += s.bytes.toRedis;
    t.bytes.fromRedis += s.bytes.fromRedis;
  }

  snapshot() {
    const kernels = {};
    for (const [k, t] of this.kernels) {
      kernels[k] = {
        calls: t.calls,
        failed: t.failed,
        jobs: t.jobs,
        chunks: t.chunks,
        retries: t.retries,
        workers: Object.fromEntries(t.workers),
        waitMs: summary(t.wait),
        runMs: summary(t.run),
        bytes: { ...t.bytes },
      };
    }
    return { elapsedMs: performance.now() - this.startedAt, kernels };
  }
}

module.exports = { CallStats, ClusterStats };
