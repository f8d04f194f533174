'use strict';
// Pool statistics: per kernel, calls, chunks, run-time and wait-time
// percentiles, and worker utilization; both since the pool started and over a
// recent window (default the last 60 s), because lifetime figures of a
// long-running service say little about how it is doing now.
//
// The window is a ring of one-second buckets, each with its own HDR
// histograms (perf_hooks.createHistogram); a snapshot merges the buckets that
// are still inside the window. Times are recorded in microseconds.

const { createHistogram, performance } = require('node:perf_hooks');

const US = 1000; // microseconds per millisecond

class Tally {
  constructor() {
    this.calls = 0;
    this.failed = 0;
    this.chunks = 0;
    this.batches = 0; // messages that carried those chunks (js/protocol.js batches), counted as their first chunk ran
    this.run = createHistogram();
    this.wait = createHistogram();
  }

  add(o) {
    this.calls += o.calls;
    this.failed += o.failed;
    this.chunks += o.chunks;
    this.batches += o.batches;
    this.run.add(o.run);
    this.wait.add(o.wait);
  }
}

class Bucket {
  constructor(start) {
    this.start = start;
    this.busyMs = 0;
    this.kernels = new Map();
  }

  tally(kernel) {
    let t = this.kernels.get(kernel);
    if (!t) this.kernels.set(kernel, (t = new Tally()));
    return t;
  }
}

const record = (h, ms) => h.record(Math.max(1, Math.round(ms * US)));

function countChunk(bucket, kernel, runMs, startsBatch) {
  const t = bucket.tally(kernel);
  t.chunks++;
  if (startsBatch) t.batches++;
  record(t.run, runMs);
  bucket.busyMs += runMs;
}

function summary(h) {
  if (h.count === 0) return { count: 0 };
  const ms = (v) => v / US;
  return {
    count: h.count,
    mean: ms(h.mean),
    p50: ms(h.percentile(50)),
    p90: ms(h.percentile(90)),
    p99: ms(h.percentile(99)),
    max: ms(h.max),
  };
}

class Stats {
  constructor({ windowMs = 60_000, bucketMs = 1000 } = {}) {
    this.windowMs = windowMs;
    this.bucketMs = bucketMs;
    this.startedAt = performance.now();
    this.total = new Bucket(this.startedAt);
    this.buckets = [];
  }

  #current() {
    const now = performance.now();
    let b = this.buckets.at(-1);
    if (!b || now - b.start >= this.bucketMs) {
      b = new Bucket(now - ((now - this.startedAt) % this.bucketMs));
      this.buckets.push(b);
      while (this.buckets.length && now - this.buckets[0].start > this.windowMs + this.bucketMs) this.buckets.shift();
    }
    return b;
  }

  // Each event updates the lifetime tally and the current bucket's, written
  // out rather than through a callback: these run several times per call,
  // and a closure per event was garbage with many tiny calls in flight.

  callSubmitted(kernel) {
    this.total.tally(kernel).calls++;
    this.#current().tally(kernel).calls++;
  }

  /** A call's first chunk started `waitMs` after it was submitted. */
  callStarted(kernel, waitMs) {
    record(this.total.tally(kernel).wait, waitMs);
    record(this.#current().tally(kernel).wait, waitMs);
  }

  callFailed(kernel) {
    this.total.tally(kernel).failed++;
    this.#current().tally(kernel).failed++;
  }

  /**
   * A chunk ran for `runMs` in a worker; `startsBatch`: it was the first of
   * the chunks its message carried (js/protocol.js), so batches are counted
   * as they run, like chunks, at no cost of their own per message.
   */
  chunkDone(kernel, runMs, startsBatch = true) {
    countChunk(this.total, kernel, runMs, startsBatch);
    countChunk(this.#current(), kernel, runMs, startsBatch);
  }

  #describe(buckets, since, threads) {
    const now = performance.now();
    const kernels = {};
    const merged = new Map();
    let busyMs = 0;
    for (const b of buckets) {
      busyMs += b.busyMs;
      for (const [k, t] of b.kernels) {
        if (!merged.has(k)) merged.set(k, new Tally());
        merged.get(k).add(t);
      }
    }
    for (const [k, t] of merged) {
      kernels[k] = { calls: t.calls, failed: t.failed, chunks: t.chunks, batches: t.batches, runMs: summary(t.run), waitMs: summary(t.wait) };
    }
    const elapsedMs = Math.max(1e-3, now - since);
    return { elapsedMs, busyMs, utilization: Math.min(1, busyMs / (elapsedMs * Math.max(1, threads))), kernels };
  }

  snapshot(threads) {
    const now = performance.now();
    const inWindow = this.buckets.filter((b) => now - b.start <= this.windowMs);
    const since = Math.max(this.startedAt, now - this.windowMs);
    return {
      sinceStart: this.#describe([this.total], this.startedAt, threads),
      recent: { windowMs: this.windowMs, ...this.#describe(inWindow, since, threads) },
    };
  }
}

module.exports = { Stats, summary, record };
