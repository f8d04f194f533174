'use strict';
// What the copy in and out of wasm memory costs a memory-bound kernel: the
// kernel alone, on data already in wasm memory (one call over the whole
// array, streaming from RAM like the real call), against the whole direct
// call (each chunk copied from the SharedArrayBuffer into wasm memory, the
// kernel, and copied back), the pool at 1 and all threads, and plain JS in
// place. The difference is the price of sabre's copies, which are also what
// makes a chunk transactional (written back only when it finished).

const path = require('node:path');
const { measure } = require('./measure');
const { cases } = require('./cases');
const js = require('./js-reference');

const dist = path.join(__dirname, '..', 'dist');
const sabre = require(dist);
const { Engine } = require(path.join(dist, 'engine'));

/** The kernel alone: its arrays put in wasm memory once, then only the kernel is timed. */
const alone = {
  scale(e, [x, a]) {
    e.load(0, x, 0, x.length);
    return () => e.wasm.scaleF32(x.length, a);
  },
  axpy(e, [y, a, x]) {
    e.load(0, y, 0, y.length);
    e.load(1, x, 0, x.length);
    return () => e.wasm.axpyF32(y.length, a);
  },
};

async function copyCostBench({ threads, quick, reps, log }) {
  const sizes = quick ? [1e6] : [1e6, 1e7];
  const engine = new Engine();
  const pools = [...new Set([1, threads])].map((t) => [t, new sabre.Pool({ threads: t })]);
  const rows = [];
  try {
    for (const kernel of Object.keys(alone)) {
      for (const n of sizes) {
        log(`  copy cost: ${kernel} ${n.toLocaleString('en')} f32`);
        const args = cases[kernel].args(n);
        const modes = {
          'kernel alone (in wasm memory)': alone[kernel](engine, args),
          'direct call (copy in, kernel, copy out)': () => sabre.kernels[kernel](...args),
          ...Object.fromEntries(pools.map(([t, p]) => [`pool, ${t} thread${t > 1 ? 's' : ''}`, () => p.kernels[kernel](...args)])),
          'plain JS in place': () => js[kernel](...args),
        };
        const ms = {};
        for (const [mode, fn] of Object.entries(modes)) ms[mode] = (await measure(fn, reps)).ms;
        const k = ms['kernel alone (in wasm memory)'];
        const d = ms['direct call (copy in, kernel, copy out)'];
        rows.push({ kernel, n, type: 'f32', ms, copyShareOfDirect: (d - k) / d, directOverAlone: d / k });
      }
    }
  } finally {
    await Promise.all(pools.map(([, p]) => p.close()));
  }
  return rows;
}

module.exports = { copyCostBench };
