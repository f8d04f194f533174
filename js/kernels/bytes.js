'use strict';
// Kernel specs: in-place maps on bytes and RGBA pixels. See js/kernels/index.js for the spec fields.

const v = require('../validate');
const { outOfRange } = require('../errors');
const shared = require('../shared');
const { BYTE_GRAIN } = require('./grains');

/** RGBA arrays hold whole pixels. */
function rgbaArg(raw, isShared) {
  const rgba = v.typedArray('rgba', raw, v.BYTES, isShared);
  if (rgba.length % 4 !== 0) {
    const err = new RangeError(`The "rgba" argument must hold whole RGBA pixels (length a multiple of 4). Received length ${rgba.length}`);
    err.code = 'ERR_OUT_OF_RANGE';
    throw err;
  }
  return rgba;
}

module.exports = {
  invert: {
    params: ['bytes'],
    prepare([bytes], isShared) {
      return { bytes: v.typedArray('bytes', bytes, v.BYTES, isShared) };
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
    prepare([rgba], isShared) {
      return { rgba: rgbaArg(rgba, isShared) };
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

  brightnessContrast: {
    params: ['rgba', 'brightness', 'contrast'],
    prepare([raw, brightness, contrast], isShared) {
      const rgba = rgbaArg(raw, isShared);
      v.integer('brightness', brightness, -255, 255);
      v.number('contrast', contrast);
      if (!(contrast >= 0 && contrast <= 256)) throw outOfRange('contrast', '>= 0 and <= 256', contrast);
      // The gain in 1/256 steps, as the kernel takes it (src/kernels/bytes.rs).
      return { rgba, brightness, contrastQ8: Math.round(contrast * 256) };
    },
    units: (c) => c.rgba.length / 4, // pixels: a chunk never cuts a pixel
    grain: () => BYTE_GRAIN / 4,
    run(e, c, s, t) {
      e.load(0, c.rgba, 4 * s, 4 * t);
      e.wasm.brightnessContrast(4 * (t - s), c.brightness, c.contrastQ8);
      return { writes: [[0, c.rgba, 4 * s, 4 * t]] };
    },
    combine: (c) => c.rgba,
  },

  threshold: {
    params: ['bytes', 't'],
    prepare([bytes, t], isShared) {
      return { bytes: v.typedArray('bytes', bytes, v.BYTES, isShared), t: v.integer('t', t, 0, 256) };
    },
    units: (c) => c.bytes.length,
    grain: () => BYTE_GRAIN,
    run(e, c, s, t) {
      e.load(0, c.bytes, s, t);
      e.wasm.threshold(t - s, c.t);
      return { writes: [[0, c.bytes, s, t]] };
    },
    combine: (c) => c.bytes,
  },

  xorKey: {
    params: ['bytes', 'key'],
    prepare([rawBytes, rawKey], isShared) {
      const bytes = v.typedArray('bytes', rawBytes, v.BYTES, isShared);
      const key = v.typedArray('key', rawKey, v.BYTES, false);
      if (key.length === 0) throw outOfRange('key.length', '>= 1', 0);
      // Chunks would XOR with key bytes that other chunks already changed.
      v.noOverlap('key', key, 'bytes', bytes);
      // The key is only read: on a pool, one that is not on a
      // SharedArrayBuffer is copied there once, rather than cloned per chunk.
      return { bytes, key: isShared && !shared.isShared(key) ? shared.from(key, Uint8Array) : key };
    },
    units: (c) => c.bytes.length,
    grain: () => BYTE_GRAIN,
    run(e, c, s, t) {
      const { bytes, key } = c;
      const len = t - s;
      if (len === 0) return {};
      e.load(0, bytes, s, t);
      // The key phase follows the absolute index: byte i uses key[i % k].
      const k = key.length;
      const p = s % k;
      if (k <= len) {
        e.load(1, key, 0, k);
        e.wasm.xorKey(len, k, p);
      } else if (p + len <= k) {
        // A key longer than the chunk: copy only the window it uses.
        e.load(1, key, p, p + len);
        e.wasm.xorKey(len, len, 0);
      } else {
        // The window wraps around the key's end: copy it in two pieces.
        const dst = new Uint8Array(e.memory.buffer, e.reserve(1, key, len), len);
        dst.set(key.subarray(p));
        dst.set(key.subarray(0, len - (k - p)), k - p);
        e.wasm.xorKey(len, len, 0);
      }
      return { writes: [[0, bytes, s, t]] };
    },
    combine: (c) => c.bytes,
  },
};
