'use strict';
// How many cores the machine gives us right now. The same pure-compute loop
// runs on one worker, then on T workers at once; free cores = T × (time on
// one) / (time on T). On a shared machine this is often less than T, and
// then no mode can scale to T: the report prints it beside each kernel so a
// poor scaling figure can be told apart from a busy machine.

const { Worker } = require('node:worker_threads');
const { performance } = require('node:perf_hooks');
const { median } = require('./measure');

const SPIN = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', (n) => {
  let x = 0;
  for (let i = 0; i < n; i++) x = (x + Math.sqrt(i)) % 1e9;
  parentPort.postMessage(x);
});
`;

class Calibrator {
  constructor(threads) {
    this.threads = threads;
    this.workers = Array.from({ length: threads }, () => new Worker(SPIN, { eval: true }));
    this.n = 0;
  }

  #spin(workers, n) {
    return Promise.all(workers.map((w) => new Promise((resolve) => {
      w.once('message', resolve);
      w.postMessage(n);
    })));
  }

  async #time(workers, n) {
    const t0 = performance.now();
    await this.#spin(workers, n);
    return performance.now() - t0;
  }

  /** Free cores now (at most `threads`): the median of a few short probes. */
  async measure(probes = 3) {
    if (this.n === 0) {
      // Size the loop for ~20 ms on one core, after a warm-up long enough
      // for every worker's loop to be optimized.
      for (let i = 0; i < 3; i++) await this.#spin(this.workers, 3e6);
      const t = await this.#time([this.workers[0]], 2e6);
      this.n = Math.max(1e5, Math.round((2e6 * 20) / Math.max(t, 0.1)));
    }
    const free = [];
    for (let i = 0; i < probes; i++) {
      const one = await this.#time([this.workers[0]], this.n);
      const all = await this.#time(this.workers, this.n);
      free.push(Math.min(this.threads, (this.threads * one) / all));
    }
    return median(free);
  }

  close() {
    return Promise.all(this.workers.map((w) => w.terminate()));
  }
}

module.exports = { Calibrator };
