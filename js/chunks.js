'use strict';
// How a call is split and how partial results combine.
//
// A call covers `units` units of work (elements, pixels, rows, numbers); a
// chunk is `grain` consecutive units, the last one shorter. The grain comes
// from the kernel and the input only, never from the thread count or timing,
// so a reduction is bit-identical on 1 or 64 threads and on the direct path.

/** Number of chunks a call of `units` splits into. */
function chunkCount(units, grain) {
  return units === 0 ? 1 : Math.ceil(units / grain);
}

/** Units `[start, end)` of chunk `index`. */
function chunkRange(index, units, grain) {
  const start = index * grain;
  return [start, Math.min(units, start + grain)];
}

/**
 * Adds compensated pair `b` ({ sum, comp }) to pair `a`: `b.sum` through
 * the compensated step, `b.comp` into the correction (mirrors
 * `Neumaier::merge` in src/kernels/reduce.rs: the same operations in the
 * same order, so the same bits).
 */
function mergePair(a, b) {
  const t = a.sum + b.sum;
  const err = Math.abs(a.sum) >= Math.abs(b.sum) ? a.sum - t + b.sum : b.sum - t + a.sum;
  return { sum: t, comp: a.comp + err + b.comp };
}

/**
 * A pair's rounded value. A non-finite running sum makes the correction NaN
 * (inf - inf): the plain sum is then the IEEE answer (Infinity, or NaN).
 */
const pairValue = (p) => (Number.isFinite(p.sum) ? p.sum + p.comp : p.sum);

/**
 * Merges compensated partials `{ sum, comp }` (a chunk's unrounded Neumaier
 * pair from the sum or dot kernel) in order, and rounds once. Each
 * partial's correction is kept, so the result has Neumaier's error bound for
 * the whole array, not per chunk (rounding each chunk first loses up to
 * u |chunk sum| each, unbounded against the total).
 */
function compensatedSum(partials) {
  return pairValue(partials.reduce(mergePair, { sum: 0, comp: 0 }));
}

/** Chan et al.'s merge of two regression moment partials (see reduce.rs). */
function mergeMoments(a, b) {
  if (a.n === 0) return b;
  if (b.n === 0) return a;
  const n = a.n + b.n;
  const dx = b.meanX - a.meanX;
  const dy = b.meanY - a.meanY;
  const f = (a.n * b.n) / n;
  return {
    n,
    meanX: a.meanX + (dx * b.n) / n,
    meanY: a.meanY + (dy * b.n) / n,
    m2x: a.m2x + b.m2x + dx * dx * f,
    m2y: a.m2y + b.m2y + dy * dy * f,
    cxy: a.cxy + b.cxy + dx * dy * f,
  };
}

/**
 * What a spec's `combine` returns to run a further pass over the data (for
 * example a sort's bucket pass after its partition): the call's result becomes
 * that pass's result. `kernel` names a spec (internal specs start with '_'
 * and are not exposed as methods); `args` are already prepared.
 */
class Continuation {
  constructor(kernel, args) {
    this.kernel = kernel;
    this.args = args;
  }
}

module.exports = { chunkCount, chunkRange, mergePair, pairValue, compensatedSum, mergeMoments, Continuation };
