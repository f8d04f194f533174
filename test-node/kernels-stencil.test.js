'use strict';
// gaussianBlur through the direct call and the pool (1 and 3 threads),
// against a plain JavaScript two-pass reference: the arithmetic is integer,
// so every path must give exactly the same bytes. Bad input at the end.

const { describe, it, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { root, sabre, backends, badInputSuite, randomShared } = require('./helpers');

const { gaussianWeights } = require(path.join(root, 'dist', 'kernels', 'stencil.js'));

/** The blur written out pixel by pixel with clamped coordinates. */
function blurReference(input, width, height, sigma) {
  const w = gaussianWeights(sigma);
  const r = w.length - 1;
  const clamp = (v, hi) => (v < 0 ? 0 : v > hi ? hi : v);
  const vert = new Float64Array(input.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 4; c++) {
        let s = 0;
        for (let j = -r; j <= r; j++) s += w[Math.abs(j)] * input[(clamp(y + j, height - 1) * width + x) * 4 + c];
        vert[(y * width + x) * 4 + c] = Math.floor((s + 128) / 256);
      }
    }
  }
  const out = new Uint8Array(input.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 4; c++) {
        let s = 0;
        for (let i = -r; i <= r; i++) s += w[Math.abs(i)] * vert[(y * width + clamp(x + i, width - 1)) * 4 + c];
        out[(y * width + x) * 4 + c] = Math.floor((s + 2 ** 23) / 2 ** 24);
      }
    }
  }
  return out;
}

// [width, height, sigma]: empty, single pixels and rows, a halo larger than
// the image, and sizes that split into several bands (2^19 pixel-taps each).
const CASES = [
  [0, 0, 1],
  [0, 5, 1],
  [5, 0, 1],
  [2 ** 31 - 1, 0, 1], // empty images at the largest width and height: nothing to run
  [0, 2 ** 31 - 1, 1],
  [1, 1, 2],
  [1, 9, 1.5],
  [9, 1, 1.5],
  [7, 5, 10],
  [33, 17, 0],
  [33, 17, 0.3],
  [512, 300, 3], // 102 rows per band: 3 bands
  [97, 1500, 1], // 1351 rows per band: 2 bands, odd width
  [40, 200, 25], // radius 75: halos cross several bands
];

describe('gaussianWeights', () => {
  it('sums to 65536, is symmetric-decreasing and close to the Gaussian', () => {
    for (const sigma of [0, 0.1, 0.5, 1, 2.5, 7, 33.3, 100]) {
      const w = gaussianWeights(sigma);
      assert.equal(w[0] + 2 * w.slice(1).reduce((a, b) => a + b, 0), 65536, `sigma ${sigma}`);
      for (let i = 1; i < w.length; i++) assert.ok(w[i] <= w[i - 1], `sigma ${sigma} tap ${i}`);
      if (sigma > 0) {
        const r = Math.ceil(3 * sigma);
        assert.ok(w.length <= r + 1);
        let total = 0;
        for (let i = -r; i <= r; i++) total += Math.exp(-(i * i) / (2 * sigma * sigma));
        for (let i = 0; i < w.length; i++) {
          const ideal = (65536 * Math.exp(-(i * i) / (2 * sigma * sigma))) / total;
          assert.ok(Math.abs(w[i] - ideal) <= 1, `sigma ${sigma} tap ${i}: ${w[i]} vs ${ideal}`);
        }
      }
    }
  });
});

for (const backend of backends()) {
  describe(`gaussianBlur (${backend.name})`, () => {
    after(() => backend.close());

    it('matches the integer two-pass reference byte for byte', async () => {
      for (const [width, height, sigma] of CASES) {
        for (const Type of [Uint8Array, Uint8ClampedArray]) {
          const input = randomShared(Type, 4 * width * height, width * 31 + height);
          const before = input.slice();
          const out = sabre.shared.from(new Type(input.length).fill(7));
          const ret = await backend.call('gaussianBlur', out, input, width, height, sigma);
          assert.equal(ret, out, 'returns out');
          assert.deepEqual(new Uint8Array(out.buffer, out.byteOffset, out.length), blurReference(input, width, height, sigma), `${Type.name} ${width}x${height} sigma ${sigma}`);
          assert.deepEqual(input, before, 'input untouched');
        }
      }
    });

    it('keeps a flat image flat, sigma 0 is a copy, and views into one buffer work', async () => {
      const flat = sabre.shared.uint8(4 * 30 * 20).fill(201);
      const out = sabre.shared.uint8(flat.length);
      await backend.call('gaussianBlur', out, flat, 30, 20, 4);
      assert.ok(out.every((b) => b === 201));
      const img = randomShared(Uint8Array, 4 * 11 * 6, 3);
      await backend.call('gaussianBlur', out.subarray(0, img.length), img, 11, 6, 0);
      assert.deepEqual(out.subarray(0, img.length), img);
      // out and input side by side in one SharedArrayBuffer (not overlapping).
      const both = randomShared(Uint8Array, 2 * 4 * 9 * 9, 8);
      const src = both.subarray(0, 324);
      const dst = both.subarray(324);
      await backend.call('gaussianBlur', dst, src, 9, 9, 1.2);
      assert.deepEqual(new Uint8Array(dst), blurReference(src, 9, 9, 1.2));
    });
  });
}

describe('gaussianBlur gives the same bytes on 1 and 3 threads and directly', () => {
  const pools = [new sabre.Pool({ threads: 1 }), new sabre.Pool({ threads: 3 })];
  after(() => Promise.all(pools.map((p) => p.close())));

  it('on an image of many bands', async () => {
    const [width, height, sigma] = [300, 1000, 2]; // 249 rows per band: 5 bands
    const input = randomShared(Uint8Array, 4 * width * height, 99);
    const direct = sabre.shared.uint8(input.length);
    sabre.kernels.gaussianBlur(direct, input, width, height, sigma);
    for (const pool of pools) {
      const out = sabre.shared.uint8(input.length);
      await pool.kernels.gaussianBlur(out, input, width, height, sigma);
      assert.deepEqual(out, direct, `${pool.threads} threads`);
    }
  });
});

const u8 = (n) => sabre.shared.uint8(n);
const badCases = [
  [() => [[1, 2, 3, 4], u8(4), 1, 1, 1], TypeError, /"out" argument must be a Uint8Array or Uint8ClampedArray/],
  [() => [u8(4), new Float32Array(4), 1, 1, 1], TypeError, /"input" argument/],
  [() => [u8(4), u8(4), 1.5, 1, 1], RangeError, /"width"/],
  [() => [u8(4), u8(4), 1, -1, 1], RangeError, /"height"/],
  [() => [u8(4), u8(4), 1, 1, '1'], TypeError, /"sigma" argument must be of type number/],
  [() => [u8(4), u8(4), 1, 1, -0.5], RangeError, /"sigma"/],
  [() => [u8(4), u8(4), 1, 1, NaN], RangeError, /"sigma"/],
  [() => [u8(4), u8(4), 1, 1, 101], RangeError, /"sigma"/],
  [() => [u8(8), u8(4), 1, 1, 1], RangeError, /"out.length"/],
  [() => [u8(4), u8(8), 1, 1, 1], RangeError, /"input.length"/],
  [() => {
    const a = u8(8);
    return [a.subarray(0, 4), a.subarray(2, 6), 1, 1, 1];
  }, RangeError, /overlaps/],
  [() => {
    const a = u8(4);
    return [a, a, 1, 1, 1];
  }, RangeError, /separate buffer/],
];

badInputSuite('gaussianBlur bad input', badCases.map((c) => ['gaussianBlur', ...c]));
