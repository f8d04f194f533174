'use strict';
// Kernel specs: elementwise maps on float arrays. See js/kernels/index.js for the spec fields.

const v = require('../validate');
const { outOfRange } = require('../errors');
const { MAP_GRAIN, suffix } = require('./grains');
const { floatMap } = require('./shapes');

module.exports = {
  scale: floatMap('scale', ['a']),

  axpy: {
    params: ['y', 'a', 'x'],
    prepare([rawY, a, rawX], shared) {
      const y = v.typedArray('y', rawY, v.FLOATS, shared);
      v.number('a', a);
      const x = v.typedArray('x', rawX, v.FLOATS, shared);
      v.sameType('x', x, y);
      v.sameLength('x', x, y);
      v.noPartialOverlap('x', x, y);
      return { y, a, x };
    },
    units: (c) => c.y.length,
    grain: () => MAP_GRAIN,
    run(e, c, s, t) {
      e.load(0, c.y, s, t);
      e.load(1, c.x, s, t);
      e.wasm[`axpy${suffix(c.y)}`](t - s, c.a);
      return { writes: [[0, c.y, s, t]] };
    },
    combine: (c) => c.y,
  },

  axpby: {
    params: ['y', 'a', 'x', 'b'],
    prepare([rawY, a, rawX, b], shared) {
      const y = v.typedArray('y', rawY, v.FLOATS, shared);
      v.number('a', a);
      const x = v.typedArray('x', rawX, v.FLOATS, shared);
      v.number('b', b);
      v.sameType('x', x, y);
      v.sameLength('x', x, y);
      v.noPartialOverlap('x', x, y);
      return { y, a, x, b };
    },
    units: (c) => c.y.length,
    grain: () => MAP_GRAIN,
    run(e, c, s, t) {
      e.load(0, c.y, s, t);
      e.load(1, c.x, s, t);
      e.wasm[`axpby${suffix(c.y)}`](t - s, c.a, c.b);
      return { writes: [[0, c.y, s, t]] };
    },
    combine: (c) => c.y,
  },

  clamp: floatMap('clamp', ['lo', 'hi'], ({ lo, hi }) => {
    if (Number.isNaN(lo)) throw outOfRange('lo', 'a number, not NaN', lo);
    if (Number.isNaN(hi)) throw outOfRange('hi', 'a number, not NaN', hi);
    if (lo > hi) throw outOfRange('lo', `<= hi (${hi})`, lo);
  }),

  abs: floatMap('abs'),
};
