'use strict';
// Kernel specs: reductions, merged in chunk order. See js/kernels/index.js for the spec fields.

const v = require('../validate');
const { outOfRange } = require('../errors');
const { compensatedSum, mergeMoments } = require('../chunks');
const { MAP_GRAIN, suffix } = require('./grains');

module.exports = {
  sum: {
    params: ['x'],
    prepare([x], shared) {
      return { x: v.typedArray('x', x, v.FLOATS, shared) };
    },
    units: (c) => c.x.length,
    grain: () => MAP_GRAIN,
    run(e, c, s, t) {
      e.load(0, c.x, s, t);
      return { value: e.wasm[`sum${suffix(c.x)}`](t - s) };
    },
    combine: (c, partials) => compensatedSum(partials),
  },

  linearRegression: {
    params: ['x', 'y'],
    prepare([x, y], shared) {
      v.typedArray('x', x, v.FLOATS, shared);
      v.typedArray('y', y, v.FLOATS, shared);
      v.sameType('y', y, x);
      v.sameLength('y', y, x);
      if (x.length < 2) throw outOfRange('x.length', 'at least 2 (a line needs two points)', x.length);
      return { x, y };
    },
    units: (c) => c.x.length,
    grain: () => MAP_GRAIN,
    run(e, c, s, t) {
      e.load(0, c.x, s, t);
      e.load(1, c.y, s, t);
      return { value: e.wasm[`linreg${suffix(c.x)}`](t - s) };
    },
    combine(c, partials) {
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
  },

};
