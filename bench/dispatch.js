'use strict';
// The dispatch micro-benchmark: what one tiny call costs on its way to a
// worker and back, on sabre's pool (Atomics fast path on and off), on
// piscina (default options: its Atomics 'sync' path) and on a bare
// worker_threads Worker with postMessage. Every side runs the same tiny wasm
// kernel (countPrimes(0, 10), under a microsecond), so what is measured is
// the dispatch.
//
//   round trip: one call at a time (await each), microseconds per call
//   throughput: many calls in flight at once (Promise.all), calls per second,
//               at a moderate number in flight and (full run only) at ten
//               thousand, where a queue whose cost grows with its length
//               shows: one warm-up run of ten thousand per contender, then
//               BIG_REPEATS interleaved (a single cold run measured sabre's
//               pool at 55,000 calls/s on Node 24 where warm runs gave
//               200,000-235,000: the first run at that depth grows the heap
//               and reaches code not yet optimised, for every contender)

const path = require('node:path');
const { Worker } = require('node:worker_threads');
const { performance } = require('node:perf_hooks');
const { PiscinaMode } = require('./modes/piscina');
const { median, yieldToLoop } = require('./measure');

const sabre = require(path.join(__dirname, '..', 'dist'));
/** Interleaved repeats of the ten-thousand-in-flight run (each ~0.05-0.5 s). */
const BIG_REPEATS = 3;
const TASK = { kernel: 'countPrimes', call: { lo: 0, hi: 10 }, start: 0, end: 10 };

/** Raw worker_threads: `threads` workers, calls spread round-robin, replies matched by id. */
class RawWorkers {
  constructor(threads) {
    this.pending = new Map();
    this.next = 0;
    this.ids = 0;
    this.workers = Array.from({ length: threads }, () => {
      const w = new Worker(path.join(__dirname, 'modes', 'piscina-worker.js'), { workerData: { raw: true } });
      w.on('message', ({ id, value }) => {
        const resolve = this.pending.get(id);
        this.pending.delete(id);
        resolve(value);
      });
      return w;
    });
  }

  call(task) {
    const id = this.ids++;
    const w = this.workers[this.next];
    this.next = (this.next + 1) % this.workers.length;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      w.postMessage({ id, task });
    });
  }

  close() {
    return Promise.all(this.workers.map((w) => w.terminate()));
  }
}

async function roundTrip(call, n) {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await call();
  return ((performance.now() - t0) * 1000) / n; // us per call
}

async function throughput(call, n) {
  const t0 = performance.now();
  const all = new Array(n);
  for (let i = 0; i < n; i++) all[i] = call();
  await Promise.all(all);
  return n / ((performance.now() - t0) / 1000); // calls per second
}

/**
 * Runs both measurements on each contender, interleaved repeat by repeat so
 * that machine noise falls on all of them alike. Returns per contender the
 * median round trip (us) and throughput (calls/s), and their ranges.
 */
async function dispatchBench({ threads, quick, log }) {
  const calls = quick ? { seq: 300, par: 1000, big: 0, repeats: 3 } : { seq: 2000, par: 1000, big: 10_000, repeats: 5 };
  const sabreOn = new sabre.Pool({ threads, atomics: true });
  const sabreOff = new sabre.Pool({ threads, atomics: false });
  const pisc = new PiscinaMode(threads);
  const raw = new RawWorkers(threads);
  const contenders = {
    'sabre (atomics on)': () => sabreOn.kernels.countPrimes(0, 10),
    'sabre (atomics off)': () => sabreOff.kernels.countPrimes(0, 10),
    piscina: () => pisc.tiny(TASK),
    'raw postMessage': () => raw.call(TASK),
  };
  const out = {};
  try {
    for (const [name, call] of Object.entries(contenders)) {
      // Warm-up: workers started, code compiled.
      await roundTrip(call, calls.seq / 3);
      await throughput(call, calls.par / 4);
      out[name] = { roundTripUs: [], callsPerSecond: [] };
    }
    if (calls.big) {
      log(`  dispatch: ${calls.big.toLocaleString('en')} calls in flight (a warm-up run, then ${BIG_REPEATS})`);
      for (const call of Object.values(contenders)) {
        await throughput(call, calls.big);
        await yieldToLoop();
      }
      const big = Object.fromEntries(Object.keys(contenders).map((name) => [name, []]));
      for (let r = 0; r < BIG_REPEATS; r++) {
        for (const [name, call] of Object.entries(contenders)) {
          big[name].push(await throughput(call, calls.big));
          await yieldToLoop();
        }
      }
      for (const name of Object.keys(contenders)) out[name].callsPerSecondBig = median(big[name]);
    }
    for (let r = 0; r < calls.repeats; r++) {
      log(`  dispatch: repeat ${r + 1}/${calls.repeats}`);
      for (const [name, call] of Object.entries(contenders)) {
        out[name].roundTripUs.push(await roundTrip(call, calls.seq));
        await yieldToLoop();
        out[name].callsPerSecond.push(await throughput(call, calls.par));
        await yieldToLoop();
      }
    }
  } finally {
    await Promise.all([sabreOn.close(), sabreOff.close(), pisc.close(), raw.close()]);
  }
  const summary = {};
  for (const [name, { roundTripUs, callsPerSecond, callsPerSecondBig }] of Object.entries(out)) {
    summary[name] = {
      roundTripUs: median(roundTripUs),
      roundTripRange: [Math.min(...roundTripUs), Math.max(...roundTripUs)],
      callsPerSecond: median(callsPerSecond),
      callsPerSecondRange: [Math.min(...callsPerSecond), Math.max(...callsPerSecond)],
      callsPerSecondBig: callsPerSecondBig ?? null,
    };
  }
  return {
    threads,
    sequentialCalls: calls.seq,
    concurrentCalls: calls.par,
    bigConcurrentCalls: calls.big || null,
    bigRepeats: calls.big ? BIG_REPEATS : null,
    repeats: calls.repeats,
    task: 'countPrimes(0, 10)',
    results: summary,
  };
}

module.exports = { dispatchBench };
