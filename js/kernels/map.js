'use strict';
// Kernels: elementwise maps in place on float arrays, declared (js/declare.js).

const v = require('../validate');
const { outOfRange } = require('../errors');
const { declare } = require('../declare');
const { MAP_GRAIN } = require('./grains');

const x = { name: 'x', split: 'inout', type: v.FLOATS };
const y = { name: 'y', split: 'inout', type: v.FLOATS };
const xIn = { name: 'x', split: 'in', type: v.FLOATS };
const num = (name) => ({ name, scalar: v.number });

module.exports = {
  scale: declare({ export: 'scale', params: [x, num('a')], grain: MAP_GRAIN }),

  axpy: declare({ export: 'axpy', params: [y, num('a'), xIn], grain: MAP_GRAIN }),

  axpby: declare({ export: 'axpby', params: [y, num('a'), xIn, num('b')], grain: MAP_GRAIN }),

  clamp: declare({
    export: 'clamp',
    params: [x, num('lo'), num('hi')],
    grain: MAP_GRAIN,
    check({ lo, hi }) {
      if (Number.isNaN(lo)) throw outOfRange('lo', 'a number, not NaN', lo);
      if (Number.isNaN(hi)) throw outOfRange('hi', 'a number, not NaN', hi);
      if (lo > hi) throw outOfRange('lo', `<= hi (${hi})`, lo);
    },
  }),

  abs: declare({ export: 'abs', params: [x], grain: MAP_GRAIN }),

  sqrt: declare({ export: 'sqrt', params: [x], grain: MAP_GRAIN }),
};
