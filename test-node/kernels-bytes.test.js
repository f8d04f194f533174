'use strict';
// Byte maps (brightnessContrast, threshold, xorKey, and the SIMD grayscale and
// invert), through both the direct call and the pool, against a plain
// JavaScript reference, bit for bit, on sizes around the u8x16 lanes and the
// grain. Bad input at the end.

const { describe, it, after } = require('node:test');
const assert = require('node:assert/strict');
const { sabre, backends, badInputSuite, randomShared } = require('./helpers');

const GRAIN = 1 << 20; // js/kernels/grains.js BYTE_GRAIN
const SIZES = [0, 1, 3, 4, 5, 15, 16, 17, 31, 33, GRAIN - 1, GRAIN, GRAIN + 1, 2 * GRAIN + 5];
const PIXELS = [0, 1, 3, 4, 5, 7, 8, 9, GRAIN / 4 - 1, GRAIN / 4, GRAIN / 4 + 1, 600_001];

/** The documented formula, in JS integer arithmetic. */
function brightnessContrastRef(rgba, brightness, contrast) {
  const c = Math.round(contrast * 256);
  const out = rgba.slice();
  for (let i = 0; i < out.length; i++) {
    if (i % 4 === 3) continue;
    const y = (((rgba[i] - 128) * c + 128) >> 8) + 128 + brightness;
    out[i] = Math.min(255, Math.max(0, y));
  }
  return out;
}

for (const backend of backends()) {
  describe(`byte maps (${backend.name})`, () => {
    after(() => backend.close());

    it('brightnessContrast matches the integer formula, alpha kept', async () => {
      const params = [[0, 1], [0, 0], [40, 1], [-255, 1.17], [255, 256], [7, 1.3], [-20, 0.5]];
      for (const Type of [Uint8Array, Uint8ClampedArray]) {
        for (const px of PIXELS) {
          for (const [b, c] of px > 100 ? params.slice(3, 5) : params) {
            const rgba = randomShared(Type, 4 * px, px + 3);
            const want = brightnessContrastRef(rgba, b, c);
            const ret = await backend.call('brightnessContrast', rgba, b, c);
            assert.equal(ret, rgba);
            assert.deepEqual(rgba, want, `${Type.name} ${px} px (${b}, ${c})`);
          }
        }
      }
      const id = sabre.shared.from(Uint8Array.from({ length: 256 }, (_, i) => i));
      await backend.call('brightnessContrast', id, 0, 1);
      assert.deepEqual([...id], Array.from({ length: 256 }, (_, i) => i), 'identity');
    });

    it('threshold matches b >= t ? 255 : 0', async () => {
      for (const n of SIZES) {
        for (const t of n > 100 ? [128] : [0, 1, 127, 128, 255, 256]) {
          const b = randomShared(Uint8Array, n, n + t);
          const want = b.map((v) => (v >= t ? 255 : 0));
          const ret = await backend.call('threshold', b, t);
          assert.equal(ret, b);
          assert.deepEqual(b, want, `n=${n} t=${t}`);
        }
      }
      const c = randomShared(Uint8ClampedArray, 1000, 5);
      const want = c.map((v) => (v >= 99 ? 255 : 0));
      await backend.call('threshold', c, 99);
      assert.deepEqual(c, want);
    });

    it('xorKey follows the absolute index whatever the chunking', async () => {
      // Keys shorter and longer than a chunk, dividing it or not, and one
      // longer than the whole buffer (its window wraps in the last chunk).
      const cases = [];
      for (const n of SIZES.filter((n) => n <= 100)) for (const k of [1, 3, 16, 17]) cases.push([n, k]);
      for (const n of [GRAIN - 1, GRAIN + 1, 2 * GRAIN + 5]) for (const k of [3, 4097, GRAIN - 1, GRAIN + 3]) cases.push([n, k]);
      for (const [n, k] of cases) {
        const b = randomShared(Uint8Array, n, n + k);
        const key = randomShared(Uint8Array, k, k + 1);
        const want = new Uint8Array(n);
        for (let i = 0, j = 0; i < n; i++, j = j + 1 === k ? 0 : j + 1) want[i] = b[i] ^ key[j];
        const ret = await backend.call('xorKey', b, key);
        assert.equal(ret, b);
        assert.ok(Buffer.from(b.buffer, b.byteOffset, n).equals(want), `n=${n} k=${k}`);
      }
      // A key longer than the buffer, whose window wraps inside a chunk.
      const n = 2 * GRAIN + 5;
      const b = randomShared(Uint8Array, n, 77);
      const key = randomShared(Uint8Array, GRAIN + GRAIN / 2, 78);
      const want = b.map((v, i) => v ^ key[i % key.length]);
      await backend.call('xorKey', b, key);
      assert.ok(Buffer.from(b.buffer, b.byteOffset, n).equals(want), 'wrapping window');
      await backend.call('xorKey', b, key);
      assert.ok(b.every((v, i) => v === (want[i] ^ key[i % key.length])), 'XOR twice is the identity');
    });

    it('xorKey takes a key on a plain ArrayBuffer, on both paths', async () => {
      const b = randomShared(Uint8ClampedArray, GRAIN + 9, 1);
      const key = new Uint8Array([1, 2, 3, 250, 9]);
      const want = b.map((v, i) => v ^ key[i % 5]);
      await backend.call('xorKey', b, key);
      assert.deepEqual(b, want);
    });

    it('grayscale (SIMD) and invert still match on every size', async () => {
      for (const px of PIXELS) {
        const rgba = randomShared(Uint8ClampedArray, 4 * px, px + 21);
        const want = Uint8ClampedArray.from(rgba);
        for (let i = 0; i < want.length; i += 4) {
          const y = (77 * want[i] + 150 * want[i + 1] + 29 * want[i + 2] + 128) >> 8;
          want[i] = want[i + 1] = want[i + 2] = y;
        }
        await backend.call('grayscale', rgba);
        assert.deepEqual(rgba, want, `grayscale ${px} px`);
      }
      const white = sabre.shared.uint8(20).fill(255);
      await backend.call('grayscale', white);
      assert.deepEqual([...white], new Array(20).fill(255));
      for (const n of [0, 1, 15, 16, 17, 33]) {
        const b = randomShared(Uint8Array, n, n);
        const want = b.map((v) => 255 - v);
        await backend.call('invert', b);
        assert.deepEqual(b, want, `invert n=${n}`);
      }
    });
  });
}

// Bad input: a TypeError or RangeError naming the argument, thrown before
// anything is modified, on both paths.
const u8 = (n) => sabre.shared.uint8(n).fill(7);

const cases = [
  ['brightnessContrast', () => [u8(6), 0, 1], RangeError, /multiple of 4/],
  ['brightnessContrast', () => [u8(8), 256, 1], RangeError, /"brightness"/],
  ['brightnessContrast', () => [u8(8), 1.5, 1], RangeError, /"brightness"/],
  ['brightnessContrast', () => [u8(8), 0, -0.1], RangeError, /"contrast"/],
  ['brightnessContrast', () => [u8(8), 0, 257], RangeError, /"contrast"/],
  ['brightnessContrast', () => [u8(8), 0, NaN], RangeError, /"contrast"/],
  ['brightnessContrast', () => [u8(8), 0, '1'], TypeError, /"contrast" argument must be of type number/],
  ['brightnessContrast', () => [sabre.shared.float32(8), 0, 1], TypeError, /"rgba" argument must be a Uint8Array or Uint8ClampedArray/],
  ['threshold', () => [u8(4), 257], RangeError, /"t"/],
  ['threshold', () => [u8(4), -1], RangeError, /"t"/],
  ['threshold', () => [u8(4), 2.5], RangeError, /"t"/],
  ['threshold', () => [u8(4)], TypeError, /"t" argument must be of type number/],
  ['threshold', () => [[1, 2], 3], TypeError, /"bytes"/],
  ['xorKey', () => [u8(4), u8(0)], RangeError, /"key.length"/],
  ['xorKey', () => [u8(4), [1, 2]], TypeError, /"key" argument must be a Uint8Array or Uint8ClampedArray/],
  ['xorKey', () => [u8(4), 'secret'], TypeError, /"key"/],
  ['xorKey', () => {
    const b = u8(16);
    return [b.subarray(0, 8), b.subarray(4, 6)];
  }, RangeError, /"key" argument overlaps the "bytes"/],
  ['xorKey', () => {
    const b = u8(16);
    return [b, b];
  }, RangeError, /overlaps/],
  ['histogram', () => [[1, 2]], TypeError, /"bytes"/],
];

badInputSuite('byte maps, bad input', cases);
