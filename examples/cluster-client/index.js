'use strict';
// A laptop-side client: the data is here, the cores are on the cluster. It
// makes a least-squares fit over 10^7 points held in shared Float64Arrays
// and sends it to the workers serving a Redis queue, with progress; then
// checks the cluster's answer against a plain JavaScript fit of the same
// points (readable, slow) and against sabre's direct call on this machine
// (bit for bit: the cluster combines its chunks in the same order).
//
//   node examples/cluster-client --redis redis://HOST:6379
//        workers started elsewhere (`npx sabre worker --redis URL`) serve
//        the default queue, "sabre"
//   node examples/cluster-client --redis URL --workers 2
//        starts 2 worker processes on this machine first (a demo without
//        a second machine; they serve a private queue, removed at the end)
//   node examples/cluster-client
//        no Redis (no --redis, no SABRE_REDIS): an embedded Cluster
//
// Data: --n 1e7 --slope 2.5 --intercept=-1 --noise 0.5 --seed 42 (x uniform
// in [0, 10), y = slope * x + intercept plus Gaussian noise; negative values
// take an equals sign). Cluster: --queue NAME, --workers N (default 0),
// --threads N (each started worker's, default 1), --job-chunks N (pool
// chunks of 2^18 points per cluster chunk, default 16). --quiet: no progress.
// Progress and a summary go to stderr; one JSON object to stdout.

const { parseArgs } = require('node:util');
const sabre = require('sabre');
const { startWorkers, stopWorkers, removeQueues } = require('../cluster-primes/workers');

function usage(message) {
  process.stderr.write(
    `${message}\nusage: node examples/cluster-client [--redis URL] [--queue NAME] [--workers N] [--threads N] [--job-chunks N]\n` +
      '                                     [--n N] [--slope A] [--intercept B] [--noise S] [--seed K] [--quiet]\n',
  );
  process.exit(2);
}

const { values: raw } = (() => {
  try {
    const s = (d) => ({ type: 'string', ...(d === undefined ? {} : { default: d }) });
    return parseArgs({
      options: {
        redis: s(process.env.SABRE_REDIS),
        queue: s(),
        workers: s('0'),
        threads: s('1'),
        'job-chunks': s('16'),
        n: s('1e7'),
        slope: s('2.5'),
        intercept: s('-1'),
        noise: s('0.5'),
        seed: s('42'),
        quiet: { type: 'boolean', default: false },
      },
    });
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
  redis: raw.redis || null,
  workers: num('workers', { integer: true, min: 0 }),
  threads: num('threads', { integer: true, min: 1 }),
  jobChunks: num('job-chunks', { integer: true, min: 1 }),
  n: num('n', { integer: true, min: 2 }),
  slope: num('slope'),
  intercept: num('intercept'),
  noise: num('noise', { min: 0 }),
  seed: num('seed', { integer: true, min: 0 }),
  quiet: raw.quiet,
};
const show = (line) => process.stderr.write(`${line}\n`);

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

/** Points on a line plus Gaussian noise (Box-Muller), in shared memory (a Cluster takes what a Pool takes). */
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

/** The readable reference: means first, then the centred sums. */
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

/** Progress on stderr: rewritten in place on a terminal, every 10 % otherwise. */
function progressPrinter(label) {
  const start = performance.now();
  let lastTenth = -1;
  let events = 0;
  const print = ({ done, total, chunksDone, chunks }) => {
    events++;
    if (opts.quiet) return;
    const pct = (100 * done) / total;
    const text = `${label}: ${pct.toFixed(1).padStart(5)} %  chunk ${chunksDone}/${chunks}  ${((performance.now() - start) / 1000).toFixed(1)} s`;
    if (process.stderr.isTTY) process.stderr.write(`\r${text}${done === total ? '\n' : ''}`);
    else if (Math.floor(pct / 10) > lastTenth) {
      lastTenth = Math.floor(pct / 10);
      show(text);
    }
  };
  return { print, events: () => events };
}


async function main() {
  const embedded = !opts.redis;
  const queue = raw.queue ?? (opts.workers > 0 ? `sabre-client-${process.pid}` : 'sabre');
  let t0 = performance.now();
  const { x, y } = generate(opts);
  const mib = (16 * opts.n) / 2 ** 20;
  show(`generated ${opts.n.toLocaleString('en-US')} points (2 x ${(mib / 2).toFixed(0)} MiB shared) in ${(performance.now() - t0).toFixed(0)} ms`);

  let workers = [];
  let cluster;
  if (embedded) {
    show('no Redis given (--redis or SABRE_REDIS): an embedded Cluster on a local Pool');
    cluster = new sabre.Cluster();
  } else {
    if (opts.workers > 0) {
      workers = await startWorkers(opts.redis, { count: opts.workers, threads: opts.threads, queue, lockDuration: 5000, stalledInterval: 2500 });
      show(`started ${workers.length} workers on this machine (pids ${workers.map((w) => w.pid).join(', ')}), queue ${queue}`);
    }
    cluster = new sabre.Cluster({ connection: opts.redis, queue, jobChunks: opts.jobChunks });
  }
  // Ctrl-C: the call rejects, the finally below stops the workers and removes the queue.
  process.once('SIGINT', () => {
    show('interrupted: stopping');
    process.exitCode = 130;
    cluster.destroy();
  });
  try {
    // The call a scientist's code makes; the arrays go to Redis once
    // (16 bytes a point), the workers fit their ranges, the client combines.
    const progress = progressPrinter(`fit of ${opts.n.toLocaleString('en-US')} points on ${embedded ? 'a local pool' : `queue ${queue}`}`);
    t0 = performance.now();
    const fit = await cluster.kernels.linearRegression(x, y, { onProgress: progress.print });
    const ms = performance.now() - t0;

    t0 = performance.now();
    const reference = fitInPlainJs(x, y);
    const referenceMs = performance.now() - t0;
    const direct = sabre.kernels.linearRegression(x, y);
    const diff = (k) => Math.abs(fit[k] - reference[k]);
    const result = {
      mode: embedded ? 'embedded' : 'cluster',
      n: opts.n,
      truth: { slope: opts.slope, intercept: opts.intercept, noise: opts.noise, seed: opts.seed },
      fit,
      reference,
      diffFromReference: { slope: diff('slope'), intercept: diff('intercept'), r2: diff('r2') },
      sameAsDirect: ['slope', 'intercept', 'r2', 'n'].every((k) => Object.is(fit[k], direct[k])),
      progressEvents: progress.events(),
      ms: +ms.toFixed(1),
      referenceMs: +referenceMs.toFixed(1),
      uploadMiB: embedded ? 0 : +mib.toFixed(1),
    };
    if (!embedded) Object.assign(result, { queue, jobChunks: opts.jobChunks, workers: workers.map((w) => ({ pid: w.pid, chunks: w.chunks })) });
    show(
      `y = ${fit.slope.toFixed(4)} x ${fit.intercept < 0 ? '-' : '+'} ${Math.abs(fit.intercept).toFixed(4)}  (r² ${fit.r2.toFixed(4)}; ` +
        `truth ${opts.slope} x ${opts.intercept < 0 ? '-' : '+'} ${Math.abs(opts.intercept)}) in ${(ms / 1000).toFixed(2)} s; ` +
        `plain JS agrees to ${Math.max(result.diffFromReference.slope, result.diffFromReference.intercept).toExponential(1)}, ` +
        `the direct call ${result.sameAsDirect ? 'bit for bit' : 'NOT bit for bit'}`,
    );
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await cluster.close();
    await stopWorkers(workers);
    if (workers.length && raw.queue === undefined) await removeQueues(opts.redis, queue);
  }
}

main().catch((err) => {
  if (process.exitCode === 130) return; // interrupted: the call was destroyed on purpose
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exitCode = 1;
  setTimeout(() => process.exit(1), 5000).unref();
});
