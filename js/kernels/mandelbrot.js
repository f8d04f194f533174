'use strict';
// Kernel specs: Mandelbrot rows. See js/kernels/index.js for the spec fields.

const v = require('../validate');
const { outOfRange } = require('../errors');
const { MANDEL_PIXELS } = require('./grains');

module.exports = {
  mandelbrot: {
    params: ['out', 'view'],
    contract: { exports: ['mandelbrot'] },
    prepare([rawOut, rawView], shared) {
      // The view first: its getters are the caller's last code to run, so
      // none can detach or shrink `out` after it was checked.
      const view = v.ownProps('view', rawView, ['width', 'height', 'xMin', 'xMax', 'yMin', 'yMax', 'maxIter']);
      const out = v.typedArray('out', rawOut, [Uint8Array], shared);
      // Only an absent (undefined) bound takes its default: null is refused.
      const or = (x, fallback) => (x === undefined ? fallback : x);
      const p = {
        width: v.integer('view.width', view.width, 0, 2 ** 31 - 1),
        height: v.integer('view.height', view.height, 0, 2 ** 31 - 1),
        xMin: v.finite('view.xMin', or(view.xMin, -2)),
        xMax: v.finite('view.xMax', or(view.xMax, 1)),
        yMin: v.finite('view.yMin', or(view.yMin, -1.5)),
        yMax: v.finite('view.yMax', or(view.yMax, 1.5)),
        maxIter: v.integer('view.maxIter', or(view.maxIter, 256), 1, 2 ** 32 - 1),
      };
      if (out.length !== p.width * p.height) {
        throw outOfRange('out.length', `view.width * view.height = ${p.width * p.height}`, out.length);
      }
      return { out, view: p };
    },
    units: (c) => (c.view.width === 0 ? 0 : c.view.height), // rows; none without pixels (one empty chunk, not 2^16)
    grain: (c) => Math.max(1, Math.floor(MANDEL_PIXELS / Math.max(1, c.view.width))),
    run(e, c, s, t) {
      const w = c.view.width;
      const x = e.kernel('mandelbrot');
      x.reserve('out', c.out, (t - s) * w);
      x.call((t - s) * w, c.view, s);
      return { writes: [x.write('out', c.out, s * w, t * w)] };
    },
    combine: (c) => c.out,
  },
};
