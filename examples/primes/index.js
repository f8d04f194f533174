'use strict';
// A distributed prime search on a sabre pool.
//
//   node examples/primes                        count the primes below 10^10 on every core
//   node examples/primes --below 1e9            ... below another bound
//   node examples/primes --kill-worker          end a worker at ~50 %: its chunk is retried
//                                               elsewhere and the count is still right
//   node examples/primes --largest-below 1e12   the largest prime below n, searched backwards
//                                               in windows marked by markPrimes
//
// Other options: --threads N (default: every core), --quiet (no progress).
// Progress and a summary go to stderr; one JSON line of results to stdout.

const { parseArgs } = require('node:util');
const sabre = require('sabre');

// pi(x) for powers of ten, to check the answers against.
const KNOWN_PI = new Map([
  [1e1, 4], [1e2, 25], [1e3, 168], [1e4, 1229], [1e5, 9592], [1e6, 78498], [1e7, 664579],
  [1e8, 5761455], [1e9, 50847534], [1e10, 455052511], [1e11, 4118054813], [1e12, 37607912018],
]);

function usage(message) {
  process.stderr.write(`${message}\nusage: node examples/primes [--below N | --largest-below N] [--kill-worker] [--threads N] [--quiet]\n`);
  process.exit(2);
}

/** A non-negative integer from the command line; accepts 1e10, 10000000000 and 1_000_000. */
function integerArg(name, text) {
  const n = Number(String(text).replaceAll('_', ''));
  if (!Number.isInteger(n) || n < 0) usage(`--${name} must be a non-negative integer, got ${JSON.stringify(text)}`);
  return n;
}

const { values: opts } = (() => {
  try {
    return parseArgs({
      options: {
        below: { type: 'string', default: '1e10' },
        'largest-below': { type: 'string' },
        'kill-worker': { type: 'boolean', default: false },
        threads: { type: 'string' },
        quiet: { type: 'boolean', default: false },
      },
    });
  } catch (err) {
    return usage(err.message);
  }
})();

const show = (line) => process.stderr.write(`${line}\n`);
const fmt = (n) => n.toLocaleString('en-US');

/**
 * Progress on stderr: a line rewritten in place on a terminal, a line every
 * 10 % otherwise (a log file or a test).
 */
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

/** Plain trial division: slow, but obviously right, to check the pool's answer. */
function isPrimeByTrialDivision(n) {
  if (n < 2) return false;
  if (n % 2 === 0) return n === 2;
  for (let d = 3; d * d <= n; d += 2) if (n % d === 0) return false;
  return true;
}

async function countBelow(pool, n) {
  const exits = [];
  let killed = null;
  let exited = null; // resolves once the killed worker's exit is reported
  const exitSeen = new Promise((resolve) => (exited = resolve));
  pool.on('workerExit', (e) => {
    if (e.reason === 'shutdown') return; // the normal end of the pool
    exits.push(e);
    show(`workerExit ${JSON.stringify(e)}`);
    if (killed && e.threadId === killed.threadId) exited();
  });
  const progress = progressPrinter(`primes below ${fmt(n)}`);
  const t0 = performance.now();
  const count = await pool.kernels.countPrimes(0, n, {
    onProgress: (p) => {
      progress(p);
      // The resilience drill: at about half way, end a busy worker as a crash
      // would. The chunk it was running was never written back, so the pool
      // puts it back on the queue and a fresh worker runs it again.
      if (opts['kill-worker'] && killed === null && p.done < p.total && p.done >= p.total / 2) {
        const threadId = pool.simulateCrash();
        if (threadId !== null) {
          killed = { threadId, atPercent: +((100 * p.done) / p.total).toFixed(1) };
          show(`killing worker ${threadId} at ${killed.atPercent} %`);
        }
      }
    },
  });
  const ms = performance.now() - t0;
  const expected = KNOWN_PI.get(n) ?? null;
  const result = { mode: 'count', below: n, primes: count, expected, matches: expected === null ? null : count === expected, threads: pool.threads, ms: Math.round(ms) };
  if (opts['kill-worker']) {
    // The count can be in before the killed thread's exit is: its last
    // chunk may have answered just before it was ended.
    if (killed) await exitSeen;
    if (killed === null) show('no worker was killed: the range fits in too few chunks (try --below 1e8 or more)');
    Object.assign(result, { killed, workerExits: exits });
  }
  show(
    `pi(${fmt(n)}) = ${fmt(count)}` +
      (expected === null ? '' : count === expected ? ' (the known value)' : ` (WRONG: the known value is ${fmt(expected)})`) +
      ` in ${(ms / 1000).toFixed(1)} s on ${pool.threads} threads` +
      (killed ? `, with worker ${killed.threadId} killed at ${killed.atPercent} %` : ''),
  );
  return result;
}

async function largestBelow(pool, n) {
  // Windows of 2^22 numbers: four markPrimes chunks, so every core gets one.
  // Prime gaps below 2^53 are at most ~1500, so the first window nearly always
  // holds the answer; the loop is there for correctness, not speed.
  const WINDOW = 1 << 22;
  const marks = sabre.shared.uint8(Math.min(n, WINDOW));
  const t0 = performance.now();
  let found = null;
  let windows = 0;
  for (let hi = n; hi > 2 && found === null; hi -= WINDOW) {
    const lo = Math.max(0, hi - WINDOW);
    const view = marks.subarray(0, hi - lo); // marks[i] = 1 if lo + i is prime
    await pool.kernels.markPrimes(view, lo);
    windows++;
    for (let i = view.length - 1; i >= 0; i--) {
      if (view[i] === 1) {
        found = lo + i;
        break;
      }
    }
  }
  const ms = performance.now() - t0;
  // Check with trial division: found is prime, and nothing between it and n is.
  let verified = found === null ? n <= 2 : isPrimeByTrialDivision(found);
  for (let m = (found ?? 1) + 1; verified && m < n; m++) if (isPrimeByTrialDivision(m)) verified = false;
  show(
    found === null
      ? `no prime below ${fmt(n)}`
      : `the largest prime below ${fmt(n)} is ${fmt(found)} (gap ${n - found}; ${windows} window${windows > 1 ? 's' : ''} of ${fmt(WINDOW)} numbers; trial division ${verified ? 'agrees' : 'DISAGREES'})`,
  );
  return { mode: 'largest-below', below: n, prime: found, verified, windows, threads: pool.threads, ms: Math.round(ms) };
}

(async () => {
  const threads = opts.threads === undefined ? undefined : integerArg('threads', opts.threads);
  const pool = new sabre.Pool(threads === undefined ? {} : { threads });
  try {
    const result =
      opts['largest-below'] !== undefined
        ? await largestBelow(pool, integerArg('largest-below', opts['largest-below']))
        : await countBelow(pool, integerArg('below', opts.below));
    console.log(JSON.stringify(result));
  } catch (err) {
    // sabre's argument checks: e.g. a bound above 2^53 + 1 is a RangeError.
    show(`${err.name}: ${err.message}`);
    process.exitCode = 1;
  } finally {
    await pool.close();
  }
})();
