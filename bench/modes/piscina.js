'use strict';
// piscina 5 running sabre's wasm kernels: the way a Node user parallelizes a
// kernel today, written as such a user would. The call is split BY HAND into
// `threads` even parts (not sabre's grain-sized chunks: one task per thread
// is what one writes without a scheduler), each part is one piscina task,
// then Promise.all and the combine. The combine is the kernel spec's own
// (sum of counts, merge of moments, write-back of n-body states ...): the
// same few lines a user would write, taken from dist/ so that the two modes
// differ only in dispatch and splitting.
const path = require('node:path');
const { Piscina } = require('piscina');

const dist = path.join(__dirname, '..', '..', 'dist');
const { kernels } = require(path.join(dist, 'kernels'));
const { Continuation } = require(path.join(dist, 'chunks'));

const filename = path.join(__dirname, 'piscina-worker.js');

class PiscinaMode {
  constructor(threads, options = {}) {
    this.threads = threads;
    this.pool = new Piscina({ filename, minThreads: threads, maxThreads: threads, idleTimeout: 60_000, ...options });
  }

  /** The kernel on `args`, split into `threads` even parts. */
  async call(kernel, args) {
    let spec = kernels[kernel];
    let call = spec.prepare(args, true);
    for (;;) {
      const units = spec.units(call);
      const parts = Math.max(1, Math.min(this.threads, units));
      const tasks = [];
      for (let i = 0; i < parts; i++) {
        const start = Math.floor((units * i) / parts);
        const end = Math.floor((units * (i + 1)) / parts);
        tasks.push(this.pool.run({ kernel, call, start, end }));
      }
      const result = spec.combine(call, await Promise.all(tasks));
      if (!(result instanceof Continuation)) return result;
      // A multi-pass kernel (e.g. a sort's merge rounds): run the next pass.
      kernel = result.kernel;
      spec = kernels[kernel];
      call = result.args;
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
