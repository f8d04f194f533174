'use strict';
// π(x) over worker processes: a sabre Cluster on BullMQ and Redis.
//
//   node examples/cluster-primes --redis redis://127.0.0.1:6379
//        starts 2 `sabre worker` processes on this machine against that
//        Redis and counts the primes below 10^10 on them, with progress
//   node examples/cluster-primes --redis URL --kill-worker
//        SIGKILLs a worker that is running a chunk at ~50 %: BullMQ's stall
//        check puts its chunk back on the queue, another worker runs it, and
//        the count is still exact
//   node examples/cluster-primes
//        no Redis (no --redis, no SABRE_REDIS): the same call on an
//        embedded Cluster, a local Pool
//
// Options: --below N (default 1e10), --workers N (default 2; 0: use the
// workers already serving --queue, started elsewhere), --threads N (each
// worker's pool threads, default 1; embedded: the pool's, default every core),
// --queue NAME (default: a private queue for this run, removed at the end),
// --job-chunks N (pool chunks per cluster chunk, default 64: ~1e9 numbers,
// ~100 ms of sieving on one thread), --lock-duration MS and --stalled-interval
// MS (the workers' BullMQ settings: how soon a dead worker's chunk returns to
// the queue; default 1000 and 500 here, BullMQ's are 30000 each), --quiet.
// Progress and a summary go to stderr; one JSON object to stdout.

const { parseArgs } = require('node:util');
const { Cluster } = require('sabre');
const { startWorkers, stopWorkers, killWorker, removeQueues } = require('./workers');

// pi(x) for powers of ten, to check the answers against.
const KNOWN_PI = new Map([
  [1e1, 4], [1e2, 25], [1e3, 168], [1e4, 1229], [1e5, 9592], [1e6, 78498], [1e7, 664579],
  [1e8, 5761455], [1e9, 50847534], [1e10, 455052511], [1e11, 4118054813], [1e12, 37607912018],
]);

function usage(message) {
  process.stderr.write(
    `${message}\nusage: node examples/cluster-primes [--redis URL] [--below N] [--workers N] [--threads N] [--queue NAME]\n` +
      '                                     [--job-chunks N] [--lock-duration MS] [--stalled-interval MS] [--kill-worker] [--quiet]\n',
  );
  process.exit(2);
}

const { values: raw } = (() => {
  try {
    const s = (d) => ({ type: 'string', ...(d === undefined ? {} : { default: d }) });
    return parseArgs({
      options: {
        redis: s(process.env.SABRE_REDIS),
        below: s('1e10'),
        workers: s('2'),
        threads: s(),
        queue: s(),
        'job-chunks': s('64'),
        'lock-duration': s('1000'),
        'stalled-interval': s('500'),
        'kill-worker': { type: 'boolean', default: false },
        quiet: { type: 'boolean', default: false },
      },
    });
  } catch (err) {
    return usage(err.message);
  }
})();

/** An integer >= min from the command line; accepts 1e10, 10000000000 and 1_000_000. */
function integerArg(name, min = 0) {
  const n = Number(String(raw[name]).replaceAll('_', ''));
  if (!Number.isInteger(n) || n < min) usage(`--${name} must be an integer >= ${min}, got ${JSON.stringify(raw[name])}`);
  return n;
}

const opts = {
  redis: raw.redis || null,
  below: integerArg('below'),
  workers: integerArg('workers'),
  threads: raw.threads === undefined ? undefined : integerArg('threads', 1),
  jobChunks: integerArg('job-chunks', 1),
  lockDuration: integerArg('lock-duration', 1),
  stalledInterval: integerArg('stalled-interval', 1),
  killWorker: raw['kill-worker'],
  quiet: raw.quiet,
};
if (opts.killWorker && (!opts.redis || opts.workers < 2)) {
  usage('--kill-worker needs --redis and --workers 2 or more: one to kill and one to finish its chunk');
}

const show = (line) => process.stderr.write(`${line}\n`);
const fmt = (n) => n.toLocaleString('en-US');

/** Progress on stderr: a line rewritten in place on a terminal, a line every 10 % otherwise. */
function progressPrinter(label) {
  const start = performance.now();
  let lastTenth = -1;
  return ({ done, total, chunksDone, chunks }) => {
    if (opts.quiet) return;
    const pct = (100 * done) / total;
    const text = `${label}: ${pct.toFixed(1).padStart(5)} %  chunk ${chunksDone}/${chunks}  ${((performance.now() - start) / 1000).toFixed(1)} s`;
    if (process.stderr.isTTY) {
      process.stderr.write(`\r${text}${done === total ? '\n' : ''}`);
    } else if (Math.floor(pct / 10) > lastTenth) {
      lastTenth = Math.floor(pct / 10);
      show(text);
    }
  };
}


async function main() {
  const n = opts.below;
  const embedded = !opts.redis;
  const queue = raw.queue ?? (opts.workers > 0 ? `sabre-primes-${process.pid}` : 'sabre');
  let workers = [];
  let cluster;
  if (embedded) {
    cluster = new Cluster({ pool: opts.threads ? { threads: opts.threads } : {} });
    show(`no Redis given (--redis or SABRE_REDIS): an embedded Cluster on a local Pool`);
  } else {
    const t0 = performance.now();
    workers = await startWorkers(opts.redis, {
      count: opts.workers,
      threads: opts.threads ?? 1,
      queue,
      lockDuration: opts.lockDuration,
      stalledInterval: opts.stalledInterval,
    });
    if (workers.length) show(`started ${workers.length} workers (pids ${workers.map((w) => w.pid).join(', ')}) on queue ${queue} in ${(performance.now() - t0).toFixed(0)} ms`);
    cluster = new Cluster({ connection: opts.redis, queue, jobChunks: opts.jobChunks });
  }

  // Ctrl-C: the call rejects, the finally below stops the workers and removes the queue.
  process.once('SIGINT', () => {
    show('interrupted: stopping');
    process.exitCode = 130;
    cluster.destroy();
  });
  let killed = null;
  let armed = false;
  try {
    const progress = progressPrinter(`primes below ${fmt(n)}`);
    const t0 = performance.now();
    const count = await cluster.kernels.countPrimes(0, n, {
      onProgress: (p) => {
        progress(p);
        // The drill: at about half way, SIGKILL a worker in the middle of a
        // chunk. It never reports back; its job's lock expires, BullMQ's
        // stall check (run by the other workers) puts the chunk back on the
        // queue, and another worker runs it from the start.
        if (!opts.killWorker || armed || p.done >= p.total || p.done < p.total / 2) return;
        // Armed: the next worker to start a chunk is killed as it starts it,
        // so it is surely mid-chunk (a worker picked by its last "active"
        // line may have finished that chunk in the meantime).
        armed = true;
        const percent = +((100 * p.done) / p.total).toFixed(1);
        for (const w of workers) {
          w.on('line', (line) => {
            const [event, job] = line.split(' ');
            if (event !== 'active' || !/-\d+$/.test(job)) return;
            if (killed === null) {
              killed = { pid: w.pid, job, atPercent: percent, rerunBy: null };
              show(`killing worker ${w.pid} (SIGKILL) in chunk ${job} at ${percent} %`);
              killWorker(w).then(({ signal }) => (killed.signal = signal));
            } else if (w.pid !== killed.pid && killed.rerunBy === null && job === killed.job) {
              killed.rerunBy = w.pid;
              show(`worker ${w.pid} took chunk ${killed.job} over`);
            }
          });
        }
      },
    });
    const ms = performance.now() - t0;
    const expected = KNOWN_PI.get(n) ?? null;
    const result = {
      mode: embedded ? 'embedded' : 'cluster',
      below: n,
      primes: count,
      expected,
      matches: expected === null ? null : count === expected,
      ms: Math.round(ms),
    };
    if (!embedded) {
      Object.assign(result, {
        queue,
        jobChunks: opts.jobChunks,
        workers: workers.map((w) => ({ pid: w.pid, chunks: w.chunks, killed: w.killed })),
      });
    }
    if (opts.killWorker) {
      if (killed === null) show('no worker was killed: the call was too short (try a larger --below or a smaller --job-chunks)');
      result.killed = killed;
    }
    show(
      `pi(${fmt(n)}) = ${fmt(count)}` +
        (expected === null ? '' : count === expected ? ' (the known value)' : ` (WRONG: the known value is ${fmt(expected)})`) +
        ` in ${(ms / 1000).toFixed(1)} s` +
        (embedded ? ' on a local pool' : workers.length ? ` on ${workers.length} worker processes` : ` on queue ${queue}`) +
        (killed ? `, with worker ${killed.pid} killed at ${killed.atPercent} %` : ''),
    );
    console.log(JSON.stringify(result));
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
  // Workers started here must not outlive a failed run.
  setTimeout(() => process.exit(1), 5000).unref();
});
