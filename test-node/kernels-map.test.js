'use strict';
// Float maps (axpby, clamp, abs), through both the direct call and the pool,
// against a plain JavaScript reference, bit for bit, on sizes around the SIMD
// lanes and the grain, with NaN, signed zeros and infinities in the data.
// Bad input at the end.

const { describe, it, after } = require('node:test');
const assert = require('node:assert/strict');
const { sabre, backends, badInputSuite, randomShared } = require('./helpers');

const GRAIN = 1 << 18; // js/kernels/grains.js MAP_GRAIN
const SIZES = [0, 1, 2, 3, 4, 5, 7, 8, 9, 17, GRAIN - 1, GRAIN, GRAIN + 1, 2 * GRAIN + 7];
const SPECIALS = [NaN, 0, -0, Infinity, -Infinity, 5e-324, -1e300];

/** Random floats with the special values written at the start (where they fit). */
function data(Type, n, seed) {
  const x = randomShared(Type, n, seed);
  for (let i = 0; i < SPECIALS.length && 3 * i < n; i++) x[3 * i] = SPECIALS[i];
  return x;
}

/** `op` rounded like the element type: Math.fround after each step for f32. */
const rounder = (Type) => (Type === Float32Array ? Math.fround : (v) => v);

for (const backend of backends()) {
  describe(`float maps (${backend.name})`, () => {
    after(() => backend.close());

    it('axpby matches (a * x) + (b * y), each step rounded, and allows y aliased as x', async () => {
      for (const Type of [Float32Array, Float64Array]) {
        const r = rounder(Type);
        for (const n of SIZES) {
          const x = data(Type, n, n + 1);
          const y = randomShared(Type, n, 2 * n + 5);
          const [a, b] = [r(0.3), r(-1.7)];
          const want = Type.from(y, (yv, i) => r(r(a * x[i]) + r(b * yv)));
          const ret = await backend.call('axpby', y, 0.3, x, -1.7);
          assert.equal(ret, y, 'returns y');
          assert.deepEqual(y, want, `${Type.name} n=${n}`);
        }
      }
      const y = sabre.shared.from(new Float64Array([1, 2, 3]));
      await backend.call('axpby', y, 2, y, 0.5);
      assert.deepEqual([...y], [2.5, 5, 7.5]);
    });

    it('clamp matches v < lo ? lo : v > hi ? hi : v (NaN stays NaN, -0 kept)', async () => {
      const bounds = [[-10, 10], [0, 1], [0, 0], [-0, 0], [-Infinity, 5], [-5, Infinity], [0.1, 0.2]];
      for (const Type of [Float32Array, Float64Array]) {
        const r = rounder(Type);
        for (const n of SIZES) {
          for (const [lo, hi] of n > GRAIN ? bounds.slice(0, 2) : bounds) {
            const x = data(Type, n, 3 * n + 1);
            const [l, h] = [r(lo), r(hi)];
            const want = Type.from(x, (v) => (v < l ? l : v > h ? h : v));
            const ret = await backend.call('clamp', x, lo, hi);
            assert.equal(ret, x);
            assert.deepEqual(x, want, `${Type.name} n=${n} [${lo}, ${hi}]`);
          }
        }
      }
      const x = sabre.shared.from(new Float64Array([NaN, -0, 0, 3, -3]));
      await backend.call('clamp', x, 0, 1);
      assert.ok(Number.isNaN(x[0]));
      assert.ok(Object.is(x[1], -0), 'clamp(-0, 0, 1) is -0');
      assert.deepEqual([...x.subarray(2)], [0, 1, 0]);
    });

    it('abs matches Math.abs (-0 becomes 0)', async () => {
      for (const Type of [Float32Array, Float64Array]) {
        for (const n of SIZES) {
          const x = data(Type, n, 5 * n + 2);
          const want = Type.from(x, Math.abs);
          const ret = await backend.call('abs', x);
          assert.equal(ret, x);
          assert.deepEqual(x, want, `${Type.name} n=${n}`);
          if (n > 3) assert.ok(Object.is(x[3], 0), '-0 becomes 0');
        }
      }
    });

    it('sqrt matches Math.sqrt, rounded to the element type (-0 stays -0, negatives NaN)', async () => {
      for (const Type of [Float32Array, Float64Array]) {
        for (const n of SIZES) {
          const x = data(Type, n, 7 * n + 1);
          const want = Type.from(x, Math.sqrt);
          const ret = await backend.call('sqrt', x);
          assert.equal(ret, x);
          assert.deepEqual(x, want, `${Type.name} n=${n}`);
        }
      }
    });

    it('scale and axpy still match the reference on special values', async () => {
      for (const Type of [Float32Array, Float64Array]) {
        const r = rounder(Type);
        for (const n of [0, 1, 5, 17, GRAIN + 1]) {
          const x = data(Type, n, n + 7);
          const y = data(Type, n, n + 8).reverse();
          const wantScale = Type.from(x, (v) => r(r(-2.5) * v));
          const wantAxpy = Type.from(y, (v, i) => r(r(r(0.7) * wantScale[i]) + v));
          await backend.call('scale', x, -2.5);
          assert.deepEqual(x, wantScale, `scale ${Type.name} n=${n}`);
          await backend.call('axpy', y, 0.7, x);
          assert.deepEqual(y, wantAxpy, `axpy ${Type.name} n=${n}`);
        }
      }
    });
  });
}

// Bad input: a TypeError or RangeError naming the argument, thrown before
// anything is modified, on both paths.
const f32 = (n) => sabre.shared.float32(n).fill(1);
const f64 = (n) => sabre.shared.float64(n).fill(1);

const cases = [
  ['axpby', () => [f32(4), 2, f64(4), 1], TypeError, /"x" argument must be a Float32Array, like the first array/],
  ['axpby', () => [f32(4), 2, f32(5), 1], RangeError, /"x.length"/],
  ['axpby', () => [f32(4), 2, f32(4), '1'], TypeError, /"b" argument must be of type number/],
  ['axpby', () => [f32(4), undefined, f32(4), 1], TypeError, /"a" argument/],
  ['axpby', () => {
    const y = f64(8);
    return [y.subarray(0, 4), 2, y.subarray(1, 5), 1];
  }, RangeError, /partly overlaps/],
  ['clamp', () => [f64(4), 2, 1], RangeError, /"lo" is out of range. It must be <= hi/],
  ['clamp', () => [f64(4), NaN, 1], RangeError, /"lo" is out of range/],
  ['clamp', () => [f64(4), 0, NaN], RangeError, /"hi" is out of range/],
  ['clamp', () => [f64(4), 0, '1'], TypeError, /"hi" argument must be of type number/],
  ['clamp', () => [new Int32Array(4), 0, 1], TypeError, /"x" argument must be a Float32Array or Float64Array/],
  ['abs', () => [[1, -2]], TypeError, /"x" argument/],
  ['abs', () => [sabre.shared.uint8(3)], TypeError, /"x" argument/],
];

badInputSuite('float maps, bad input', cases);
