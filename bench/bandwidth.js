'use strict';
// The memory-bandwidth floor of the memory-bound kernels: how fast this
// machine moves bytes in place, measured as a copy between two 80 MB arrays
// (read once, written once: what a streaming map does), so that each such
// kernel's time can be set against bytes moved ÷ bandwidth. One thread: on
// machines like this one, one core already saturates memory bandwidth for a
// streaming kernel (FACTS.md).

const { measure } = require('./measure');

const BYTES = 80 << 20;

/** `{ gbPerS, ms }`: bytes read plus bytes written per second, median of `reps` copies. */
async function measureBandwidth(reps) {
  const src = new Float64Array(new SharedArrayBuffer(BYTES)).fill(1.5);
  const dst = new Float64Array(new SharedArrayBuffer(BYTES));
  const { ms } = await measure(() => dst.set(src), reps);
  return { gbPerS: (2 * BYTES) / (ms / 1000) / 1e9, ms, bytes: 2 * BYTES };
}

module.exports = { measureBandwidth };
