'use strict';
// Kernel specs: in-place maps on bytes and RGBA pixels. See js/kernels/index.js for the spec fields.

const v = require('../validate');
const { BYTE_GRAIN } = require('./grains');

module.exports = {
  invert: {
    params: ['bytes'],
    prepare([bytes], shared) {
      return { bytes: v.typedArray('bytes', bytes, v.BYTES, shared) };
    },
    units: (c) => c.bytes.length,
    grain: () => BYTE_GRAIN,
    run(e, c, s, t) {
      e.load(0, c.bytes, s, t);
      e.wasm.invert(t - s);
      return { writes: [[0, c.bytes, s, t]] };
    },
    combine: (c) => c.bytes,
  },

  grayscale: {
    params: ['rgba'],
    prepare([rgba], shared) {
      v.typedArray('rgba', rgba, v.BYTES, shared);
      if (rgba.length % 4 !== 0) {
        const err = new RangeError(`The "rgba" argument must hold whole RGBA pixels (length a multiple of 4). Received length ${rgba.length}`);
        err.code = 'ERR_OUT_OF_RANGE';
        throw err;
      }
      return { rgba };
    },
    units: (c) => c.rgba.length / 4, // pixels: a chunk never cuts a pixel
    grain: () => BYTE_GRAIN / 4,
    run(e, c, s, t) {
      e.load(0, c.rgba, 4 * s, 4 * t);
      e.wasm.grayscaleRgba(4 * (t - s));
      return { writes: [[0, c.rgba, 4 * s, 4 * t]] };
    },
    combine: (c) => c.rgba,
  },

};
