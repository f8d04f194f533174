'use strict';
// Kernels: in-place maps on bytes and RGBA pixels, declared (js/declare.js);
// xorKey's chunks also need the key's bytes from the chunk's phase on, by hand.

const v = require('../validate');
const { outOfRange } = require('../errors');
const shared = require('../shared');
const { declare } = require('../declare');
const { BYTE_GRAIN } = require('./grains');

/** RGBA arrays hold whole pixels. */
function wholePixels(rgba) {
  if (rgba.length % 4 !== 0) {
    const err = new RangeError(`The "rgba" argument must hold whole RGBA pixels (length a multiple of 4). Received length ${rgba.length}`);
    err.code = 'ERR_OUT_OF_RANGE';
    throw err;
  }
}

function contrastArg(name, contrast) {
  v.number(name, contrast);
  if (!(contrast >= 0 && contrast <= 256)) throw outOfRange(name, '>= 0 and <= 256', contrast);
  return contrast;
}

const bytes = { name: 'bytes', split: 'inout', type: v.BYTES };
const rgba = { name: 'rgba', split: 'inout', type: v.BYTES, align: 4, check: wholePixels };

module.exports = {
  invert: declare({ export: 'invert', suffixed: false, params: [bytes], grain: BYTE_GRAIN }),

  // Units are pixels: a chunk never cuts one.
  grayscale: declare({ export: 'grayscaleRgba', suffixed: false, params: [rgba], grain: BYTE_GRAIN / 4 }),

  brightnessContrast: declare({
    export: 'brightnessContrast',
    suffixed: false,
    params: [rgba, { name: 'brightness', scalar: (n, x) => v.integer(n, x, -255, 255) }, { name: 'contrast', scalar: contrastArg }],
    grain: BYTE_GRAIN / 4,
    // The gain in 1/256 steps, as the kernel takes it (src/kernels/bytes.rs).
    derive: ({ rgba, brightness, contrast }) => ({ rgba, brightness, contrastQ8: Math.round(contrast * 256) }),
    args: ['brightness', 'contrastQ8'],
  }),

  threshold: declare({
    export: 'threshold',
    suffixed: false,
    params: [bytes, { name: 't', scalar: (n, x) => v.integer(n, x, 0, 256) }],
    grain: BYTE_GRAIN,
  }),

  xorKey: {
    params: ['bytes', 'key'],
    contract: { exports: ['xorKey'] },
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
      const x = e.kernel('xorKey');
      x.load('bytes', bytes, s, t);
      // The key phase follows the absolute index: byte i uses key[i % k].
      const k = key.length;
      const p = s % k;
      if (k <= len) {
        x.load('key', key, 0, k);
        x.call(len, k, p);
      } else if (p + len <= k) {
        // A key longer than the chunk: copy only the window it uses.
        x.load('key', key, p, p + len);
        x.call(len, len, 0);
      } else {
        // The window wraps around the key's end: copy it in two pieces.
        // Reserve first: it may grow the memory, which detaches the old buffer.
        const at = x.reserve('key', key, len);
        const dst = new Uint8Array(e.memory.buffer, at, len);
        dst.set(key.subarray(p));
        dst.set(key.subarray(0, len - (k - p)), k - p);
        x.call(len, len, 0);
      }
      return { writes: [x.write('bytes', bytes, s, t)] };
    },
    combine: (c) => c.bytes,
  },
};
