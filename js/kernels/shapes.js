'use strict';
// Spec factories for the commonest shapes, so a kernel of that shape is one
// line of what differs: a float array `x` in MAP_GRAIN chunks whose wasm
// export is `${name}F32` / `${name}F64`.

const v = require('../validate');
const { MAP_GRAIN, suffix } = require('./grains');

/** A reduction over `x`: the export returns a chunk's partial. */
function floatReduction(name, combine) {
  return {
    params: ['x'],
    prepare([x], shared) {
      return { x: v.typedArray('x', x, v.FLOATS, shared) };
    },
    units: (c) => c.x.length,
    grain: () => MAP_GRAIN,
    run(e, c, s, t) {
      e.load(0, c.x, s, t);
      return { value: e.wasm[`${name}${suffix(c.x)}`](t - s) };
    },
    combine,
  };
}

/**
 * A reduction over two float arrays `x` and `y` of one type and length
 * (export `${name}F32` / `${name}F64` over slots 0 and 1); `check` may reject
 * more (e.g. too short).
 */
function floatPairReduction(name, combine, check = () => {}) {
  return {
    params: ['x', 'y'],
    prepare([rawX, rawY], shared) {
      const x = v.typedArray('x', rawX, v.FLOATS, shared);
      const y = v.typedArray('y', rawY, v.FLOATS, shared);
      v.sameType('y', y, x);
      v.sameLength('y', y, x);
      check(x, y);
      return { x, y };
    },
    units: (c) => c.x.length,
    grain: () => MAP_GRAIN,
    run(e, c, s, t) {
      e.load(0, c.x, s, t);
      e.load(1, c.y, s, t);
      return { value: e.wasm[`${name}${suffix(c.x)}`](t - s) };
    },
    combine,
  };
}

/** A map in place on `x` with numeric arguments `scalars` (checked by `check`). */
function floatMap(name, scalars = [], check = () => {}) {
  return {
    params: ['x', ...scalars],
    prepare([x, ...values], shared) {
      const call = { x: v.typedArray('x', x, v.FLOATS, shared) };
      scalars.forEach((s, i) => (call[s] = v.number(s, values[i])));
      check(call);
      return call;
    },
    units: (c) => c.x.length,
    grain: () => MAP_GRAIN,
    run(e, c, s, t) {
      e.load(0, c.x, s, t);
      e.wasm[`${name}${suffix(c.x)}`](t - s, ...scalars.map((k) => c[k]));
      return { writes: [[0, c.x, s, t]] };
    },
    combine: (c) => c.x,
  };
}

module.exports = { floatReduction, floatPairReduction, floatMap };
