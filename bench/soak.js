'use strict';
// The soak: does memory stay flat under steady load? Many mixed calls (by
// default 100,000) run on one pool at a steady concurrency: `lanes` loops
// (default 32), each submitting its next call as soon as the previous one
// settled. Every call gets freshly allocated shared arrays, filled (so their
// pages are resident), and its result is checked, then dropped: a pool that
// keeps settled calls (or their arrays, timers, abort listeners) reachable
// shows it as a curve that climbs. The mix (mix() below) covers reductions
// and in-place maps of one and several chunks, sieves, calls aborted through
// an AbortSignal (before, right after and a tick after the call) and calls
// with tiny timeouts (which end a worker), so failure paths are soaked too;
// some ordinary calls carry a generous timeout or a long-lived signal that
// never fires, whose timer and listener must go when they settle.
//
// It runs in a child process started with --expose-gc: every `every` calls
// (default calls / 50) the child runs a full GC, twice (the first finds the
// dead arrays, the second completes the freeing of their backing stores,
// which the first leaves to a background sweep), and records:
//   heap used         the main thread's V8 heap after GC (the pool's own
//                     objects: calls, promises, timers, listeners)
//   caller arrays     how many of the arrays the soak allocated are still
//                     alive after GC on the main thread, and their MB
//                     (FinalizationRegistry, ArrayTracker below): what the
//                     pool keeps reachable of its callers' buffers
//   array buffers     all ArrayBuffer/SharedArrayBuffer memory of the
//                     process; it also holds arrays that only a worker still
//                     references (a worker's isolate collects its copies of
//                     the handles on its own schedule), so it swings by
//                     hundreds of MB even when nothing leaks
//   RSS               the whole process, workers included
// and the calls per second since the previous sample. Samples are taken
// under load on purpose: letting the pool drain first would hide exactly
// the leaks that only happen while it is never idle; the arrays of the
// calls in flight (at most `lanes` calls' worth) are in every sample.
// Nothing else is kept: outcomes are counted, results dropped.
//
// Flat means, over the last half of the run: no sample has more caller
// arrays alive than the calls in flight can hold (lanes × 2), and heap used
// after GC grows by at most 1 MB per 10,000 calls (100 bytes a call;
// least-squares slope; judged when that half spans 5,000 calls or more,
// as its noise swamps shorter runs). Array buffers and RSS are reported
// beside them, not judged.
// A run that leaks is stopped once RSS passes `maxRssMB` (default: 2 GB for
// --quick, else a quarter of the machine's memory, within 2-4 GB) so that
// the soak never takes the machine down; it then reports where it stopped.
// A benchmark, not a test: nothing is asserted.
//
//   node bench/soak.js [--calls N] [--lanes N] [--threads N] [--every N]
//                      [--max-rss MB] [--only kind,kind] [--out DIR]
//
// prints the soak's report and saves latest-soak.json and latest-soak.svg in
// DIR (default bench/results); bench/run.js runs it as a section (see
// there). --only keeps those kinds of the mix (their names are in mix()):
// `--only sum` is issue 9's case, 32 lanes of sum on float64(2^17).

/* global gc -- the child runs with --expose-gc (see above) */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');
const { spawn } = require('node:child_process');
const { performance } = require('node:perf_hooks');

/** Flat: heap used after GC grows at most this much over the last half, MB per 10,000 calls. */
const HEAP_LIMIT_PER_10K = 1;
/** ... judged only when the last half spans this many calls. */
const MIN_HEAP_SPAN = 5_000;
/** The child gives up when no call has settled for this long. */
const STALL_MS = 30_000;

const DEFAULTS = { calls: 100_000, lanes: 32, threads: os.availableParallelism() };

/**
 * The RSS at which a leaking run is stopped. A pool that does not leak sits
 * near 1 GB at 32 lanes on the default mix, and swings up to ~3 GB with
 * `--only sum` (workers hold dead arrays until their own GC: see the array
 * buffers above), so the limit is above that where the machine allows.
 */
function defaultMaxRssMB(quick) {
  return quick ? 2048 : Math.max(2048, Math.min(4096, Math.floor(os.totalmem() / 2 ** 20 / 4)));
}

// ---------------------------------------------------------------------------
// The child: the pool, the lanes, the samples.

/**
 * A number in [0, 1) for call `i` and purpose `salt` (a 32-bit integer
 * hash), so that which call does what depends on its index only, not on
 * which lane happened to take it.
 */
function unit(i, salt) {
  let h = Math.imul(i ^ Math.imul(salt, 0x27d4eb2d), 0x9e3779b1);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 2 ** 32;
}

/**
 * The mix. Each entry's run(kernels, opts, u) makes fresh arrays (`arrays`
 * of them, each passed to `track`), calls one kernel and resolves to true
 * if the result is right, else to what is wrong with it (a rejection is an
 * outcome too, counted by its error's name). `opts` is undefined, a generous timeout or a
 * long-lived signal (see callOptions); `u` is a number in [0, 1) of the
 * call's own. Weights are relative.
 */
function mix(sabre, track) {
  const f64 = (n, v) => track(sabre.shared.float64(n).fill(v));
  const f32 = (n, v) => track(sabre.shared.float32(n).fill(v));
  // First, middle and last element: enough to tell a map that ran from one
  // that did not, or ran twice (chunks are written whole or not at all).
  // A wrong result is described, for the report.
  const spot = (x, v) => {
    const got = [x[0], x[x.length >> 1], x[x.length - 1]];
    return got.every((g) => g === v) || `first, middle, last element ${got.join(', ')}, want ${v}`;
  };
  const is = (got, want) => got === want || `got ${got}, want ${want}`;
  const progress = (o) => ({ ...o, onProgress: () => {} });
  const PRIMES = [
    [1e5, 9592],
    [1e6, 78498],
    [2e6, 148933],
  ];
  return [
    {
      name: 'sum',
      what: 'sum(float64(2^17)): 1 MiB, one chunk',
      weight: 30,
      arrays: 1,
      run: async (k, o) => is(await k.sum(f64(1 << 17, 1), o), 1 << 17),
    },
    {
      name: 'sum-4M',
      what: 'sum(float64(2^19)): 4 MiB, 2 chunks, onProgress',
      weight: 4,
      arrays: 1,
      run: async (k, o) => is(await k.sum(f64(1 << 19, 1), progress(o)), 1 << 19),
    },
    {
      name: 'dot',
      what: 'dot(float64(2^16), float64(2^16)): two arrays, one chunk',
      weight: 8,
      arrays: 2,
      run: async (k, o) => is(await k.dot(f64(1 << 16, 1), f64(1 << 16, 2), o), 2 * (1 << 16)),
    },
    {
      name: 'scale',
      what: 'scale(float32(2^16), 0.5) in place: 256 KiB, one chunk',
      weight: 20,
      arrays: 1,
      run: async (k, o) => {
        const x = f32(1 << 16, 2);
        await k.scale(x, 0.5, o);
        return spot(x, 1);
      },
    },
    {
      name: 'scale-4M',
      what: 'scale(float32(2^20), 0.5) in place: 4 MiB, 4 chunks, onProgress',
      weight: 4,
      arrays: 1,
      run: async (k, o) => {
        const x = f32(1 << 20, 2);
        await k.scale(x, 0.5, progress(o));
        return spot(x, 1);
      },
    },
    {
      name: 'axpy',
      what: 'axpy(float32(2^17), 2, float32(2^17)) in place',
      weight: 6,
      arrays: 2,
      run: async (k, o) => {
        const y = f32(1 << 17, 1);
        await k.axpy(y, 2, f32(1 << 17, 3), o);
        return spot(y, 7);
      },
    },
    {
      name: 'countPrimes',
      what: 'countPrimes(0, 1e5 | 1e6 | 2e6)',
      weight: 12,
      arrays: 0,
      run: async (k, o, u) => {
        const [n, count] = PRIMES[Math.floor(u * PRIMES.length)];
        return is(await k.countPrimes(0, n, o), count);
      },
    },
    {
      name: 'aborted',
      what: 'sum(float64(2^17)) or scale(float32(2^16)) aborted by its AbortSignal: before the call, right after it, or a tick later',
      weight: 7,
      arrays: 1,
      run: async (k, o, u) => {
        const ac = new AbortController();
        const when = Math.floor(u * 3);
        const opts = { ...o, signal: ac.signal };
        if (when === 0) ac.abort();
        const summing = Math.floor(u * 6) % 2 === 0;
        const x = summing ? f64(1 << 17, 1) : f32(1 << 16, 2);
        const p = summing ? k.sum(x, opts) : k.scale(x, 0.5, opts);
        if (when === 1) ac.abort();
        else if (when === 2) setImmediate(() => ac.abort());
        // Resolved: the abort came too late, and the result must be right.
        const r = await p;
        return summing ? is(r, 1 << 17) : spot(x, 1);
      },
    },
    {
      name: 'timeout-race',
      what: 'sum(float64(2^17)) with timeout 1 ms: usually done in time, sometimes timed out',
      weight: 1,
      arrays: 1,
      run: async (k, o) => is(await k.sum(f64(1 << 17, 1), { ...o, timeout: 1 }), 1 << 17),
    },
    {
      name: 'timeout',
      what: 'countPrimes(0, 5e7) with timeout 1 ms: times out, its workers are ended and replaced',
      weight: 0.5,
      arrays: 0,
      run: async (k, o) => is(await k.countPrimes(0, 5e7, { ...o, timeout: 1 }), 3001134),
    },
  ];
}

/** One in ten calls gets a timeout that never expires, one in ten the lane's signal that never fires. */
function callOptions(i, laneSignal) {
  const u = unit(i, 2);
  return u < 0.1 ? { timeout: 60_000 } : u < 0.2 ? { signal: laneSignal } : undefined;
}

const MB = 2 ** 20;

/**
 * Which caller arrays the main thread still holds: every array the soak
 * allocates is registered here; FinalizationRegistry drops it once the
 * main thread's GC has collected it. Workers' references to the same
 * memory are objects in their own isolates and do not count: this sees
 * exactly what the pool (or the soak) keeps reachable.
 */
class ArrayTracker {
  constructor() {
    this.next = 0; // ids in allocation order
    this.live = new Map(); // id -> bytes, until collected
    this.registry = new FinalizationRegistry((id) => this.live.delete(id));
  }

  track(view) {
    this.live.set(this.next, view.byteLength);
    this.registry.register(view, this.next++);
    return view;
  }

  /**
   * The id of an array that is unreachable as soon as this returns. (Made
   * here, in a plain function, because a suspended async function keeps
   * its dead temporaries alive until it returns.)
   */
  sentinel() {
    const id = this.next;
    this.track(new Uint8Array(0));
    return id;
  }

  /**
   * After a GC: how many of the arrays allocated before `mark` are still
   * alive, and their MB. Cleanup callbacks run in a task some time after
   * the GC; a sentinel registered before it tells when they have run (one
   * task handles every cell the GC cleared), so this waits for it, at most
   * `waitMs`. Null if it did not come.
   */
  async alive(mark, sentinel, waitMs = 2000) {
    const t0 = performance.now();
    while (this.live.has(sentinel)) {
      if (performance.now() - t0 > waitMs) return null;
      await new Promise((resolve) => setImmediate(resolve));
    }
    let count = 0;
    let bytes = 0;
    for (const [id, b] of this.live) {
      if (id >= mark) continue;
      count++;
      bytes += b;
    }
    return { liveArrays: count, liveMB: bytes / MB };
  }
}

/** A full GC (twice: see the top of the file), then the process's memory, in MB. */
function memory() {
  const t0 = performance.now();
  gc();
  gc();
  const gcMs = performance.now() - t0;
  const m = process.memoryUsage();
  return { heapMB: m.heapUsed / MB, arrayBuffersMB: m.arrayBuffers / MB, rssMB: m.rss / MB, gcMs };
}

async function child(cfg) {
  if (typeof gc !== 'function') throw new Error('the soak child needs --expose-gc');
  const sabre = require(path.join(__dirname, '..', 'dist'));
  const emit = (o) => process.stdout.write(`${JSON.stringify(o)}\n`); // a pipe: synchronous on Linux
  const tracker = new ArrayTracker();
  const all = mix(sabre, (view) => tracker.track(view));
  const unknown = (cfg.only ?? []).filter((name) => !all.some((m) => m.name === name));
  if (unknown.length) throw new Error(`--only: no kind ${unknown.join(', ')} in the mix; known: ${all.map((m) => m.name).join(', ')}`);
  const kinds = all.filter((m) => !cfg.only || cfg.only.includes(m.name));
  const totalWeight = kinds.reduce((a, m) => a + m.weight, 0);
  const pick = (i) => {
    let w = unit(i, 1) * totalWeight;
    for (const m of kinds) if ((w -= m.weight) < 0) return m;
    return kinds.at(-1);
  };
  const outcomes = { ok: 0, wrong: 0, aborted: 0, timedOut: 0, failed: 0 };
  const byKind = Object.fromEntries(kinds.map((m) => [m.name, { ok: 0, wrong: 0, aborted: 0, timedOut: 0, failed: 0 }]));
  const errors = []; // the first few unexpected failures and wrong results
  const workerExits = {};

  const pool = new sabre.Pool({ threads: cfg.threads });
  pool.on('workerExit', ({ reason }) => (workerExits[reason] = (workerExits[reason] ?? 0) + 1));
  const maxArraysPerCall = Math.max(...kinds.map((m) => m.arrays));
  emit({ type: 'start', pid: process.pid, maxArraysPerCall, mix: kinds.map(({ name, what, weight }) => ({ name, what, share: weight / totalWeight })) });

  const limit = cfg.maxRssMB * MB;
  let next = 0;
  let done = 0;
  let stopped = null;
  const t0 = performance.now();
  let last = { calls: 0, t: t0, gcMs: 0 };
  let lastSettled = t0;
  let sampling = null; // the sample being taken
  let nextSample = cfg.every;
  const sample = async () => {
    const calls = done;
    const mark = tracker.next;
    const sentinel = tracker.sentinel();
    const now = performance.now();
    const m = memory();
    // calls/s over the interval, without the GC time of the samples at its ends.
    const rate = calls === 0 ? 0 : (calls - last.calls) / ((now - last.t - last.gcMs) / 1000);
    last = { calls, t: now, gcMs: m.gcMs };
    const live = await tracker.alive(mark, sentinel);
    emit({ type: 'sample', calls, s: (now - t0) / 1000, callsPerSecond: rate, ...m, ...(live ?? { liveArrays: null, liveMB: null }) });
  };
  // A sample's GC stops every lane (it is synchronous), but the lanes do
  // not wait for the rest of it: the one that triggered it goes on too.
  const maybeSample = (force = false) => {
    if (sampling || (!force && done < nextSample)) return sampling;
    while (nextSample <= done) nextSample += cfg.every;
    sampling = sample().finally(() => {
      sampling = null;
    });
    return sampling;
  };
  const stop = (reason) => {
    if (!stopped) stopped = { atCalls: done, reason };
  };

  const watchdog = setInterval(() => {
    if (performance.now() - lastSettled > STALL_MS) {
      stop(`no call settled for ${STALL_MS / 1000} s (${next - done} in flight)`);
      emit({ type: 'end', done, durationS: (performance.now() - t0) / 1000, outcomes, byKind, errors, workerExits, stopped });
      process.exit(2);
    }
  }, 1000);
  watchdog.unref();

  await maybeSample(true); // the baseline: the pool made, no call yet
  const lane = async () => {
    const laneSignal = new AbortController().signal; // never aborted
    while (next < cfg.calls && !stopped) {
      const i = next++;
      const kind = pick(i);
      let outcome;
      try {
        const right = await kind.run(pool.kernels, callOptions(i, laneSignal), unit(i, 3));
        outcome = right === true ? 'ok' : 'wrong';
        if (outcome === 'wrong' && errors.length < 5) errors.push(`${kind.name} (call ${i}): wrong result: ${right}`);
      } catch (err) {
        outcome = err?.name === 'AbortError' ? 'aborted' : err?.name === 'TimeoutError' ? 'timedOut' : 'failed';
        if (outcome === 'failed' && errors.length < 5) errors.push(`${kind.name}: ${err?.name}: ${err?.message}`);
      }
      outcomes[outcome]++;
      byKind[kind.name][outcome]++;
      done++;
      lastSettled = performance.now();
      if (stopped) break;
      if (done % 16 === 0 && process.memoryUsage.rss() > limit) {
        stop(`RSS passed the limit of ${cfg.maxRssMB} MB (--max-rss)`);
        await sampling;
        await maybeSample(true); // the curve ends where it stopped
      } else if (next < cfg.calls) {
        // Only at steady concurrency: once the last calls are out, lanes
        // stop one by one (the drained sample below sees the end).
        maybeSample();
      }
    }
  };
  await Promise.all(Array.from({ length: cfg.lanes }, lane));
  await sampling;
  const durationS = (performance.now() - t0) / 1000;
  // Nothing in flight now, the pool idle but open; then closed.
  const mark = tracker.next;
  const sentinel = tracker.sentinel();
  const drained = { calls: done, ...memory() };
  Object.assign(drained, (await tracker.alive(mark, sentinel)) ?? { liveArrays: null, liveMB: null });
  await pool.close();
  const closed = { calls: done, ...memory() };
  clearInterval(watchdog);
  emit({ type: 'end', done, durationS, outcomes, byKind, errors, workerExits, stopped, drained, closed });
}

// ---------------------------------------------------------------------------
// The parent: starts the child, collects its samples, judges the curve.

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Least-squares slope of y over x. */
function slope(points) {
  const n = points.length;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
  }
  return sxx === 0 ? NaN : sxy / sxx;
}

/**
 * Is the curve flat? For each measure (heap, caller arrays alive, array
 * buffers, RSS): the least-squares slope over the samples of the last half
 * of the run, in MB per 10,000 calls, and max - min over that half and over
 * the whole run (the baseline at 0 calls left out). Flat needs the run
 * finished, heap used after GC within HEAP_LIMIT_PER_10K (when the last
 * half spans MIN_HEAP_SPAN calls or more), and the caller
 * arrays alive after GC, in every sample of the last half, no more than the
 * calls in flight can hold (`inFlightArrays`: lanes × the most arrays a
 * call has). Array buffers and RSS are reported, not judged.
 */
function verdict(samples, done, stopped, inFlightArrays) {
  const run = samples.filter((s) => s.calls > 0);
  const half = run.filter((s) => s.calls >= done / 2);
  const fit = (key) => {
    const has = (ss) => ss.filter((s) => typeof s[key] === 'number');
    const ys = (ss) => has(ss).map((s) => s[key]);
    const range = (ss) => (has(ss).length ? Math.max(...ys(ss)) - Math.min(...ys(ss)) : NaN);
    return {
      slopePer10k: has(half).length >= 2 ? slope(has(half).map((s) => [s.calls, s[key]])) * 10_000 : NaN,
      lastHalfRange: range(half),
      lastHalfMax: has(half).length ? Math.max(...ys(half)) : NaN,
      range: range(run),
      first: has(run)[0]?.[key] ?? NaN,
      last: has(run).at(-1)?.[key] ?? NaN,
      max: has(run).length ? Math.max(...ys(run)) : NaN,
    };
  };
  const out = {
    heapLimitPer10k: HEAP_LIMIT_PER_10K,
    inFlightArrays,
    lastHalfFrom: half[0]?.calls ?? null,
    samplesInLastHalf: half.length,
  };
  for (const key of ['heapMB', 'liveArrays', 'liveMB', 'arrayBuffersMB', 'rssMB']) out[key] = fit(key);
  // Array buffers the main thread no longer holds: arrays only a worker's
  // copy of the handle keeps, until that worker's own GC.
  const onlyWorkers = run.filter((s) => typeof s.liveMB === 'number').map((s) => s.arrayBuffersMB - s.liveMB);
  out.workerHeldMB = { max: onlyWorkers.length ? Math.max(...onlyWorkers) : NaN, median: median(onlyWorkers) };
  // Heap noise after GC is ~0.1-0.5 MB: over a short span that alone makes
  // slopes of several MB per 10k calls, so the heap is judged on long runs.
  const span = half.length ? half.at(-1).calls - half[0].calls : 0;
  out.heapJudged = span >= MIN_HEAP_SPAN;
  const heapOk = !out.heapJudged || out.heapMB.slopePer10k <= HEAP_LIMIT_PER_10K;
  const arraysOk = out.liveArrays.lastHalfMax <= inFlightArrays;
  if (stopped) {
    out.flat = false;
    out.why = `stopped after ${stopped.atCalls.toLocaleString('en')} calls: ${stopped.reason}`;
  } else if (half.length < 3 || Number.isNaN(out.liveArrays.lastHalfMax)) {
    out.flat = null;
    out.why = 'too few samples in the last half to judge';
  } else {
    out.flat = heapOk && arraysOk;
    const over = [
      !heapOk && `heap after GC grows ${out.heapMB.slopePer10k.toFixed(2)} MB per 10k calls (limit ${HEAP_LIMIT_PER_10K})`,
      !arraysOk && `up to ${out.liveArrays.lastHalfMax.toLocaleString('en')} caller arrays stay alive after GC, where the calls in flight hold at most ${inFlightArrays}`,
    ].filter(Boolean);
    const heap = out.heapJudged ? `heap after GC within ${HEAP_LIMIT_PER_10K} MB per 10k calls` : `heap not judged, the last half is under ${MIN_HEAP_SPAN.toLocaleString('en')} calls`;
    out.why = out.flat ? `${heap}; caller arrays alive after GC at most what the calls in flight hold` : over.join('; ');
  }
  return out;
}

/**
 * Runs the soak in a child process (node --expose-gc bench/soak.js --child)
 * and returns its figures (the `soak` part of the benchmark's JSON).
 * `log` gets a progress line per sample (at most ~10 of them).
 */
async function soakBench({ calls = DEFAULTS.calls, lanes = DEFAULTS.lanes, threads = DEFAULTS.threads, every, maxRssMB, only = null, quick = false, log = () => {} } = {}) {
  every ??= Math.max(1, Math.ceil(calls / 50));
  maxRssMB ??= defaultMaxRssMB(quick);
  const cfg = { calls, lanes, threads, every, maxRssMB, only };
  const proc = spawn(process.execPath, ['--expose-gc', __filename, '--child', JSON.stringify(cfg)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  const samples = [];
  let start = null;
  let end = null;
  const logEvery = Math.max(1, Math.round(calls / every / 10));
  const lines = readline.createInterface({ input: proc.stdout });
  lines.on('line', (line) => {
    let msg;
    try {
      msg = JSON.parse(line);
    } catch {
      return; // not ours
    }
    if (msg.type === 'start') start = msg;
    else if (msg.type === 'end') end = msg;
    else if (msg.type === 'sample') {
      const { type, ...s } = msg;
      samples.push(s);
      if (s.calls > 0 && (samples.length - 1) % logEvery === 0) {
        log(`  soak: ${s.calls.toLocaleString('en')} calls, ${Math.round(s.callsPerSecond).toLocaleString('en')} calls/s, heap ${s.heapMB.toFixed(1)} MB, caller arrays alive ${s.liveArrays ?? '?'}, array buffers ${s.arrayBuffersMB.toFixed(0)} MB, RSS ${s.rssMB.toFixed(0)} MB`);
      }
    }
  });
  const [code, signal] = await new Promise((resolve) => proc.on('close', (c, s) => resolve([c, s])));
  const done = end?.done ?? samples.at(-1)?.calls ?? 0;
  let error = null;
  if (code !== 0 || !end) {
    // Its error's message, not the stack under it.
    const lines = stderr.trim().split('\n');
    const why = lines.find((l) => /^\w*Error\b/.test(l)) ?? lines.at(-1);
    error = `the soak child ${signal ? `was ended by ${signal}` : `exited with ${code}`} after ${done.toLocaleString('en')} calls${why ? `: ${why}` : ''}`;
  }
  const stopped = end?.stopped ?? (error ? { atCalls: done, reason: error } : null);
  return {
    calls,
    lanes,
    threads,
    every,
    maxRssMB,
    only,
    mix: start?.mix ?? [],
    done,
    durationS: end?.durationS ?? null,
    callsPerSecond: end ? done / end.durationS : null,
    outcomes: end?.outcomes ?? null,
    byKind: end?.byKind ?? null,
    workerExits: end?.workerExits ?? null,
    errors: end?.errors ?? [],
    stopped,
    error,
    samples,
    drained: end?.drained ?? null,
    closed: end?.closed ?? null,
    verdict: verdict(samples, done, stopped, lanes * (start?.maxArraysPerCall ?? 0)),
  };
}

// ---------------------------------------------------------------------------
// Alone: node bench/soak.js [options]

function parseArgs(argv) {
  const usage = 'usage: node bench/soak.js [--calls N] [--lanes N] [--threads N] [--every N] [--max-rss MB] [--only kind,kind] [--out DIR]';
  const opts = { out: path.join(__dirname, 'results') };
  const names = { '--calls': 'calls', '--lanes': 'lanes', '--threads': 'threads', '--every': 'every', '--max-rss': 'maxRssMB' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (names[a]) {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1) throw new Error(`${a} needs a positive integer\n${usage}`);
      opts[names[a]] = v;
    } else if (a === '--only') {
      if (argv[i + 1] === undefined) throw new Error(`--only needs a value\n${usage}`);
      opts.only = argv[++i].split(',').filter(Boolean);
    } else if (a === '--out') {
      if (argv[i + 1] === undefined) throw new Error(`--out needs a value\n${usage}`);
      opts.out = path.resolve(argv[++i]);
    } else if (a === '--help' || a === '-h') {
      console.log(usage);
      process.exit(0);
    } else throw new Error(`unknown argument ${a}\n${usage}`);
  }
  return opts;
}

async function main() {
  const { out, ...opts } = parseArgs(process.argv.slice(2));
  const log = (m) => process.stderr.write(`${m}\n`);
  const cfg = { ...DEFAULTS, ...opts };
  log(`sabre soak: ${cfg.calls.toLocaleString('en')} calls, ${cfg.lanes} lanes, pool×${cfg.threads}, Node ${process.version}`);
  const soak = await soakBench({ ...cfg, log });
  const meta = { date: new Date().toISOString(), node: process.version, cpu: os.cpus()[0]?.model ?? 'unknown cpu', cores: os.availableParallelism() };
  const { soakBlock } = require('./report');
  const { soakChart } = require('./svg');
  process.stdout.write(`${soakBlock(soak)}\n`);
  fs.mkdirSync(out, { recursive: true });
  const { toJson } = require('./json');
  fs.writeFileSync(path.join(out, 'latest-soak.json'), toJson({ meta, soak }));
  fs.writeFileSync(path.join(out, 'latest-soak.svg'), soakChart(soak, meta));
  if (soak.error) process.exitCode = 1;
  log(`saved ${['latest-soak.json', 'latest-soak.svg'].map((f) => path.relative(process.cwd(), path.join(out, f))).join(', ')}`);
}

if (require.main === module) {
  const run = process.argv[2] === '--child' ? () => child(JSON.parse(process.argv[3])) : main;
  run().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}

module.exports = { soakBench, verdict, HEAP_LIMIT_PER_10K };
