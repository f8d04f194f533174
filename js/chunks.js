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
 * Merges compensated partials `{ sum, comp }` (a chunk's unrounded Neumaier
 * pair from the sum or dot kernel) in order, and rounds once: mirrors
 * `Neumaier::merge` and `value` in src/kernels/reduce.rs, the same
 * operations in the same order. Each partial's sum goes through the
 * compensated step and its correction is added to ours, so no chunk's
 * correction is lost: the result has Neumaier's error bound for the whole
 * array, not per chunk (rounding each chunk first loses up to
 * u |chunk sum| each, unbounded against the total).
 */
function compensatedSum(partials) {
  let sum = 0;
  let comp = 0;
  for (const p of partials) {
    const v = p.sum;
    const t = sum + v;
    comp += Math.abs(sum) >= Math.abs(v) ? sum - t + v : v - t + sum;
    comp += p.comp;
    sum = t;
  }
  // A non-finite running sum makes the compensation NaN (inf - inf): the
  // plain sum is then the IEEE answer (Infinity, or NaN).
  return Number.isFinite(sum) ? sum + comp : sum;
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
 * example the merge rounds after sorting chunks): the call's result becomes
 * that pass's result. `kernel` names a spec (internal specs start with '_'
 * and are not exposed as methods); `args` are already prepared.
 */
class Continuation {
  constructor(kernel, args) {
    this.kernel = kernel;
    this.args = args;
  }
}

module.exports = { chunkCount, chunkRange, compensatedSum, mergeMoments, Continuation };
