'use strict';
// piscina 5 running sabre's wasm kernels: the way a Node user parallelizes a
// kernel today, written as such a user would. Each pass is split BY HAND into
// `threads` parts, one piscina task per thread (what one writes without a
// scheduler), then Promise.all and the combine. A part is a run of whole
// chunks of sabre's own split (js/executor.js), so a combine sees the same
// partials as on sabre's pool and a multi-pass kernel (a sort's passes)
// keeps its alignment; the combine is the kernel spec's own, taken from
// dist/, so that the two modes differ only in dispatch and scheduling.
const path = require('node:path');
const { Piscina } = require('piscina');

const dist = path.join(__dirname, '..', '..', 'dist');
const { kernels } = require(path.join(dist, 'kernels'));
const { Execution } = require(path.join(dist, 'executor'));

const filename = path.join(__dirname, 'piscina-worker.js');

class PiscinaMode {
  constructor(threads, options = {}) {
    this.threads = threads;
    this.pool = new Piscina({ filename, minThreads: threads, maxThreads: threads, idleTimeout: 60_000, ...options });
  }

  /** The kernel on `args`, each pass split into `threads` runs of chunks. */
  async call(kernel, args) {
    const execution = new Execution(kernels, kernel, kernels[kernel].prepare(args, true));
    for (;;) {
      const { pass } = execution;
      const parts = Math.min(this.threads, pass.chunks);
      const tasks = [];
      for (let i = 0; i < parts; i++) {
        const ranges = [];
        for (let c = Math.floor((pass.chunks * i) / parts); c < Math.floor((pass.chunks * (i + 1)) / parts); c++) ranges.push(pass.range(c));
        tasks.push(this.pool.run({ kernel: pass.kernel, call: pass.args, ranges }));
      }
      const out = execution.finishPass((await Promise.all(tasks)).flat());
      if (out) return out.value;
    }
  }

  /** One task as small as it gets (the dispatch benchmark's tiny call). */
  tiny(task) {
    return this.pool.run(task);
  }

  close() {
    return this.pool.destroy();
  }
}

module.exports = { PiscinaMode };
