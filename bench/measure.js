'use strict';
// How modes are timed: warm-up, repeated runs, and what the main thread and
// the process feel meanwhile (event-loop delay, resident memory).
//
// Modes that are compared with each other (plain JS and direct wasm; sabre's
// pool and piscina at the same thread count) are measured INTERLEAVED: round
// after round, each mode runs once, in alternating order. On a shared
// machine, other work comes in bursts of seconds; interleaving makes a burst
// fall on both sides of a comparison instead of on one of them.

const { performance, monitorEventLoopDelay } = require('node:perf_hooks');

const yieldToLoop = () => new Promise((resolve) => setImmediate(resolve));

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * The spread of repeated runs: their median absolute deviation, relative to
 * the median (robust to the odd run that a noisy machine slows down; the
 * min and max are kept beside it).
 */
const spread = (times, med = median(times)) => median(times.map((t) => Math.abs(t - med))) / med;

/**
 * Repetitions per mode: `warmup` untimed runs (fewer if the first already
 * took longer than `warmupMs`), then at least `min` timed runs, and more, up
 * to `max`, while the mode's total stays under `budgetMs`.
 */
const FULL = { warmup: 2, warmupMs: 1000, min: 5, max: 15, budgetMs: 1500 };
const QUICK = { warmup: 1, warmupMs: 200, min: 3, max: 3, budgetMs: 0 };

const mb = (bytes) => bytes / 2 ** 20;

/** A mode returns `{ [REPORTED_MS]: ms }` to be timed by what it reports (see anchors). */
const REPORTED_MS = Symbol('reportedMs');

/**
 * Times each mode of `fns` ({ name: fn }, fn sync or async), interleaved.
 * `before`, if given, runs untimed before every run (to restore inputs that
 * a kernel changes in place).
 *
 * Between runs the loop is yielded to, so that the event-loop delay probe
 * (LoopProbe, below: a 1 ms timer, as monitorEventLoopDelay) can tick: an
 * inline mode blocks the loop for each whole call, and its delays show it;
 * a pool mode leaves the loop free. Delays count for the mode whose run
 * started last. RSS is the whole process (main thread and every worker),
 * sampled every 5 ms while the loop is free and after each run; `growth` is
 * the mode's peak over the RSS before the warm-up.
 *
 * Returns { name: { ms (median), min, max, spread, runs, warmup, times,
 * eventLoopMs: { p50, p99, max, samples } | null, rssMB: { peak, growth },
 * value (of the last run) } }.
 */
async function measureModes(fns, reps, before = null) {
  const names = Object.keys(fns);
  const rss0 = process.memoryUsage.rss();
  const warm = {};
  for (const name of names) {
    const tw = performance.now();
    for (warm[name] = 0; warm[name] < reps.warmup && (warm[name] === 0 || performance.now() - tw < reps.warmupMs); warm[name]++) {
      before?.();
      await fns[name]();
      await yieldToLoop();
    }
  }

  const state = Object.fromEntries(names.map((name) => [name, { times: [], total: 0, value: undefined, rssPeak: rss0, delays: [] }]));
  const probe = new LoopProbe();
  const wants = (s) => s.times.length < reps.min || (s.times.length < reps.max && s.total < reps.budgetMs);
  try {
    for (let round = 0; names.some((n) => wants(state[n])); round++) {
      const order = round % 2 ? [...names].reverse() : names;
      for (const name of order) {
        const s = state[name];
        if (!wants(s)) continue;
        probe.attribute(s);
        before?.();
        const t0 = performance.now();
        s.value = await fns[name]();
        // A mode timed in another process (an anchor) reports its own time,
        // without the round trip to that process.
        const t = s.value?.[REPORTED_MS] ?? performance.now() - t0;
        s.times.push(t);
        s.total += t;
        probe.sampleRss();
        await yieldToLoop();
      }
    }
  } finally {
    probe.stop();
  }

  const out = {};
  for (const name of names) {
    const { times, delays, rssPeak, value } = state[name];
    const ms = median(times);
    out[name] = {
      ms,
      min: Math.min(...times),
      max: Math.max(...times),
      spread: spread(times, ms),
      runs: times.length,
      warmup: warm[name],
      times,
      // No sample: the runs were over before the 1 ms timer first fired.
      eventLoopMs: delays.length === 0 ? null : {
        p50: percentile(delays, 50),
        p99: percentile(delays, 99),
        max: Math.max(...delays),
        samples: delays.length,
      },
      rssMB: { peak: mb(rssPeak), growth: mb(rssPeak - rss0) },
      value,
    };
  }
  return out;
}

/** The p-th percentile of `xs` (nearest rank). */
function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

/**
 * The event-loop delay probe: what perf_hooks.monitorEventLoopDelay({
 * resolution: 1 }) records (a 1 ms timer; each tick records the time since
 * the previous one, so a loop blocked for 80 ms records one 80 ms sample and
 * an idle loop ~1.1 ms ones), but attributed to the mode being measured: an
 * ELD histogram cannot be switched between interleaved modes (after
 * disable() and enable() its next sample still counts from its last tick,
 * spanning the other modes' runs) nor merged into another. It also samples
 * RSS every 5 ms.
 */
class LoopProbe {
  constructor() {
    this.current = null;
    this.last = performance.now();
    this.ticks = 0;
    this.timer = setInterval(() => {
      const now = performance.now();
      this.current?.delays.push(now - this.last);
      this.last = now;
      if (++this.ticks % 5 === 0) this.sampleRss();
    }, 1);
  }

  /** From now on, delays and RSS go to mode state `s`. */
  attribute(s) {
    this.current = s;
    this.last = performance.now();
  }

  sampleRss() {
    if (!this.current) return;
    const r = process.memoryUsage.rss();
    if (r > this.current.rssPeak) this.current.rssPeak = r;
  }

  stop() {
    clearInterval(this.timer);
    this.current = null;
  }
}

/** One mode alone. */
async function measure(fn, reps, before = null) {
  return (await measureModes({ mode: fn }, reps, before)).mode;
}

/**
 * The event-loop delay of an idle main thread over `ms`, by the probe above
 * and by perf_hooks.monitorEventLoopDelay side by side: the floor of the
 * figures, and a check that the probe reads like ELD.
 */
async function idleEventLoop(ms = 500) {
  const eld = monitorEventLoopDelay({ resolution: 1 });
  const s = { delays: [], rssPeak: 0 };
  const probe = new LoopProbe();
  probe.attribute(s);
  eld.enable();
  await new Promise((resolve) => setTimeout(resolve, ms));
  eld.disable();
  probe.stop();
  return {
    probe: { p50: percentile(s.delays, 50), p99: percentile(s.delays, 99), max: Math.max(...s.delays) },
    monitorEventLoopDelay: { p50: eld.percentile(50) / 1e6, p99: eld.percentile(99) / 1e6, max: eld.max / 1e6 },
  };
}

module.exports = { measure, measureModes, idleEventLoop, median, spread, FULL, QUICK, yieldToLoop, REPORTED_MS };
