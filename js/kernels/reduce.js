'use strict';
// Kernel specs: reductions, merged in chunk order. See js/kernels/index.js for the spec fields.

const v = require('../validate');
const { outOfRange } = require('../errors');
const { compensatedSum, mergePair, pairValue, mergeMoments } = require('../chunks');
const { declare } = require('../declare');
const { MAP_GRAIN, BYTE_GRAIN } = require('./grains');

const x = { name: 'x', split: 'in', type: v.FLOATS };
const y = { name: 'y', split: 'in', type: v.FLOATS };

/** A reduction over `x` (and `y`) whose export returns a chunk's partial. */
const reduction = (name, params, combine, check) => declare({ export: name, params, grain: MAP_GRAIN, combine, check });

/**
 * Chan, Golub & LeVeque's merge of two { n, mean, m2, sum, comp } partials,
 * the mean from the merged compensated sum (mirrors `Stats::merge` in
 * src/kernels/reduce.rs), so the mean is sum(x) / n, bit for bit.
 */
function mergeStats(a, b) {
  if (a.n === 0) return b;
  if (b.n === 0) return a;
  const n = a.n + b.n;
  const d = b.mean - a.mean;
  const total = mergePair(a, b);
  return {
    n,
    mean: pairValue(total) / n,
    m2: a.m2 + b.m2 + d * d * ((a.n * b.n) / n),
    sum: total.sum,
    comp: total.comp,
  };
}

module.exports = {
  sum: reduction('sum', [x], (c, partials) => compensatedSum(partials)),

  linearRegression: reduction(
    'linreg',
    [x, y],
    (c, partials) => {
      const m = partials.reduce(mergeMoments);
      // slope = Sxy / Sxx; a constant x (Sxx = 0) gives NaN, as the formula does.
      const slope = m.cxy / m.m2x;
      return {
        slope,
        intercept: m.meanY - slope * m.meanX,
        r2: (m.cxy * m.cxy) / (m.m2x * m.m2y),
        n: m.n,
      };
    },
    (c) => {
      if (c.x.length < 2) throw outOfRange('x.length', 'at least 2 (a line needs two points)', c.x.length);
    },
  ),

  dot: reduction('dot', [x, y], (c, partials) => compensatedSum(partials)),

  // Math.min's rules (NaN wins, -0 < 0) are the kernel's, so it merges
  // partials; an empty array is one empty chunk: Infinity, like Math.min().
  min: reduction('min', [x], (c, partials) => Math.min(...partials)),

  max: reduction('max', [x], (c, partials) => Math.max(...partials)),

  meanVariance: reduction('meanVariance', [x], (c, partials) => {
    const { n, mean, m2 } = partials.reduce(mergeStats);
    // Population variance M2 / n, and the unbiased sample variance
    // M2 / (n - 1) (NaN below 2 elements). No data: every statistic is NaN.
    return {
      mean: n === 0 ? NaN : mean,
      variance: n === 0 ? NaN : m2 / n,
      sampleVariance: n < 2 ? NaN : m2 / (n - 1),
      n,
    };
  }),

  histogram: declare({
    export: 'histogram',
    suffixed: false,
    params: [{ name: 'bytes', split: 'in', type: v.BYTES }],
    grain: BYTE_GRAIN,
    combine(c, partials) {
      const counts = new Float64Array(256);
      for (const p of partials) for (let i = 0; i < 256; i++) counts[i] += p[i];
      return counts;
    },
  }),
};
