'use strict';
// Least squares over 10^7 points held in shared Float64Arrays: the fit on a
// sabre pool, timed against the same kernel called directly and against a
// plain JavaScript loop over the same data.
//
//   node examples/linear-regression [--n 1e7] [--slope 2.5] [--intercept=-1]
//                                   [--noise 0.5] [--seed 42] [--runs 3] [--threads N]
//
// Negative values take an equals sign: --intercept=-3.
// The data is synthetic: x uniform in [0, 10), y = slope * x + intercept plus
// Gaussian noise, from a seeded generator, so every run fits the same points.
// Each timing is the best of --runs runs after one warm-up run; mainThreadMs
// is how much of it the event loop was blocked. Prints one JSON object on
// stdout.

const { parseArgs } = require('node:util');
const sabre = require('sabre');

function usage(message) {
  process.stderr.write(`${message}\nusage: node examples/linear-regression [--n N] [--slope A] [--intercept B] [--noise S] [--seed K] [--runs R] [--threads T]\n`);
  process.exit(2);
}

const { values: raw } = (() => {
  try {
    const s = (d) => ({ type: 'string', default: d });
    return parseArgs({ options: { n: s('1e7'), slope: s('2.5'), intercept: s('-1'), noise: s('0.5'), seed: s('42'), runs: s('3'), threads: s('0') } });
  } catch (err) {
    return usage(err.message);
  }
})();
const num = (name, { integer = false, min = -Infinity } = {}) => {
  const v = Number(raw[name].replaceAll('_', ''));
  if (!Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < min) usage(`--${name}: expected ${integer ? 'an integer' : 'a number'} >= ${min}, got ${JSON.stringify(raw[name])}`);
  return v;
};
const opts = {
  n: num('n', { integer: true, min: 2 }),
  slope: num('slope'),
  intercept: num('intercept'),
  noise: num('noise', { min: 0 }),
  seed: num('seed', { integer: true, min: 0 }),
  runs: num('runs', { integer: true, min: 1 }),
  threads: num('threads', { integer: true, min: 0 }), // 0: every core
};

/** Mulberry32: a small seeded generator of floats in [0, 1). */
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Points on a line plus Gaussian noise (Box-Muller), in shared memory. */
function generate({ n, slope, intercept, noise, seed }) {
  const random = mulberry32(seed);
  const x = sabre.shared.float64(n);
  const y = sabre.shared.float64(n);
  for (let i = 0; i < n; i++) {
    const u = 1 - random(); // (0, 1]: log(u) is finite
    const gauss = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
    x[i] = 10 * random();
    y[i] = slope * x[i] + intercept + noise * gauss;
  }
  return { x, y };
}

/** The straightforward fit: means first, then the centred sums (no Σxy − n·x̄·ȳ cancellation). */
function fitInPlainJs(x, y) {
  const n = x.length;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < n; i++) {
    sx += x[i];
    sy += y[i];
  }
  const mx = sx / n;
  const my = sy / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - mx;
    const dy = y[i] - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx, r2: (sxy * sxy) / (sxx * syy), n };
}

/**
 * Best of `runs` timed runs of fn, after one untimed warm-up run. mainThreadMs
 * is how long the event loop was busy during that run (from
 * performance.eventLoopUtilization): all of it for a synchronous fit, only
 * the bookkeeping for the pool.
 */
async function timed(runs, fn) {
  let fit = await fn();
  let best = { ms: Infinity, mainThreadMs: Infinity };
  for (let r = 0; r < runs; r++) {
    const elu = performance.eventLoopUtilization();
    const t0 = performance.now();
    fit = await fn();
    const ms = performance.now() - t0;
    const busy = performance.eventLoopUtilization(elu).active;
    if (ms < best.ms) best = { ms, mainThreadMs: busy };
  }
  return { ...fit, ms: +best.ms.toFixed(2), mainThreadMs: +best.mainThreadMs.toFixed(2) };
}

(async () => {
  let t0 = performance.now();
  const { x, y } = generate(opts);
  process.stderr.write(`generated ${opts.n.toLocaleString('en-US')} points (2 x ${((8 * opts.n) / 2 ** 20).toFixed(0)} MiB shared) in ${(performance.now() - t0).toFixed(0)} ms\n`);

  const pool = new sabre.Pool(opts.threads ? { threads: opts.threads } : {});
  try {
    const fits = {
      pool: await timed(opts.runs, () => pool.kernels.linearRegression(x, y)),
      direct: await timed(opts.runs, () => sabre.kernels.linearRegression(x, y)),
      plainJs: await timed(opts.runs, () => fitInPlainJs(x, y)),
    };
    const result = {
      n: opts.n,
      truth: { slope: opts.slope, intercept: opts.intercept, noise: opts.noise, seed: opts.seed },
      threads: pool.threads,
      fits,
      speedup: {
        poolVsPlainJs: +(fits.plainJs.ms / fits.pool.ms).toFixed(2),
        poolVsDirect: +(fits.direct.ms / fits.pool.ms).toFixed(2),
        directVsPlainJs: +(fits.plainJs.ms / fits.direct.ms).toFixed(2),
      },
    };
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await pool.close();
  }
})();
