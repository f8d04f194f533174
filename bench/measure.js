'use strict';
// How one mode is timed: warm-up, repeated runs, and what the main thread
// and the process feel meanwhile (event-loop delay, resident memory).

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
 * Repetitions: `warmup` untimed runs (fewer if the first already took
 * longer than `warmupMs`), then at least `min` timed runs, and more, up to
 * `max`, while their total stays under `budgetMs`.
 */
const FULL = { warmup: 2, warmupMs: 1000, min: 5, max: 15, budgetMs: 1500 };
const QUICK = { warmup: 1, warmupMs: 200, min: 3, max: 3, budgetMs: 0 };

const mb = (bytes) => bytes / 2 ** 20;

/**
 * Times `fn` (sync or async); `before`, if given, runs untimed before each
 * run (to restore inputs that a kernel changes in place). Between runs it yields to the event loop, so
 * that the event-loop delay histogram (resolution 1 ms) can tick: an inline
 * mode blocks the loop for each whole call, and the histogram shows it; a
 * pool mode leaves the loop free. RSS is the whole process (main thread and
 * every worker), sampled every 5 ms while the loop is free and after each run;
 * `growth` is its peak over its value before the warm-up.
 */
async function measure(fn, reps, before = null) {
  // RSS from before the warm-up: what the mode's first calls grow (a pool's
  // workers starting, wasm memories growing to a chunk) counts as its own.
  const rss0 = process.memoryUsage.rss();
  let warm = 0;
  const tw = performance.now();
  while (warm < reps.warmup && (warm === 0 || performance.now() - tw < reps.warmupMs)) {
    before?.();
    await fn();
    warm++;
    await yieldToLoop();
  }

  let rssPeak = Math.max(rss0, process.memoryUsage.rss());
  const sample = () => {
    const r = process.memoryUsage.rss();
    if (r > rssPeak) rssPeak = r;
  };
  const sampler = setInterval(sample, 5);
  const eld = monitorEventLoopDelay({ resolution: 1 });
  eld.enable();
  const times = [];
  let total = 0;
  let value;
  try {
    while (times.length < reps.min || (times.length < reps.max && total < reps.budgetMs)) {
      before?.();
      const t0 = performance.now();
      value = await fn();
      const t = performance.now() - t0;
      times.push(t);
      total += t;
      sample();
      await yieldToLoop();
    }
  } finally {
    eld.disable();
    clearInterval(sampler);
  }
  const ms = median(times);
  return {
    ms,
    min: Math.min(...times),
    max: Math.max(...times),
    spread: spread(times, ms),
    runs: times.length,
    warmup: warm,
    times,
    // No sample: the runs were over before the 1 ms timer first fired.
    eventLoopMs: eld.count === 0 ? null : {
      p50: eld.percentile(50) / 1e6,
      p99: eld.percentile(99) / 1e6,
      max: eld.max / 1e6,
      samples: eld.count,
    },
    rssMB: { peak: mb(rssPeak), growth: mb(rssPeak - rss0) },
    value,
  };
}

/** The event-loop delay of an idle main thread over `ms`: the floor of the figures above. */
async function idleEventLoop(ms = 300) {
  const eld = monitorEventLoopDelay({ resolution: 1 });
  eld.enable();
  await new Promise((resolve) => setTimeout(resolve, ms));
  eld.disable();
  return { p50: eld.percentile(50) / 1e6, p99: eld.percentile(99) / 1e6, max: eld.max / 1e6 };
}

module.exports = { measure, idleEventLoop, median, spread, FULL, QUICK, yieldToLoop };
