'use strict';
// Reductions (dot, min, max, meanVariance, histogram), through both the
// direct call and the pool, against a plain JavaScript reference, on sizes
// around the SIMD lanes and the grain, with NaN, signed zeros and infinities.
// Bad input at the end.

const { describe, it, after } = require('node:test');
const assert = require('node:assert/strict');
const { sabre, backends, badInputSuite, randomShared } = require('./helpers');

const GRAIN = 1 << 18; // js/kernels/grains.js MAP_GRAIN
const BYTE_GRAIN = 1 << 20;
// Math.min over an array too long to spread into arguments.
const jsMin = (v) => v.reduce((m, e) => Math.min(m, e), Infinity);
const jsMax = (v) => v.reduce((m, e) => Math.max(m, e), -Infinity);
const SIZES = [0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 33, GRAIN - 1, GRAIN, GRAIN + 1, 2 * GRAIN + 7];

for (const backend of backends()) {
  describe(`reductions (${backend.name})`, () => {
    after(() => backend.close());

    it('dot matches a plain loop within the compensated bound', async () => {
      for (const Type of [Float32Array, Float64Array]) {
        for (const n of SIZES) {
          const x = randomShared(Type, n, n + 1);
          const y = randomShared(Type, n, n + 2);
          let naive = 0;
          let abs = 0;
          for (let i = 0; i < n; i++) {
            naive += x[i] * y[i];
            abs += Math.abs(x[i] * y[i]);
          }
          const got = await backend.call('dot', x, y);
          // Naive's own error is up to n * 2^-53 * abs; ours is ~2^-53 * abs.
          assert.ok(Math.abs(got - naive) <= 1e-10 * abs, `${Type.name} n=${n}: ${got} vs ${naive}`);
        }
      }
    });

    it('dot is compensated across chunks and exact on integer data', async () => {
      // 1e16 + a million ones - 1e16, spread over 4 chunks: naive gives 0.
      const x = sabre.shared.float64(1_000_002).fill(1);
      x[0] = 1e16;
      x[x.length - 1] = -1e16;
      const ones = sabre.shared.float64(x.length).fill(1);
      assert.equal(await backend.call('dot', x, ones), 1_000_000);
      // Small integers: every sum is exact, so the answer is exact.
      const n = 3 * GRAIN + 5;
      const a = sabre.shared.float32(n);
      const b = sabre.shared.float32(n);
      let want = 0;
      for (let i = 0; i < n; i++) {
        a[i] = (i % 17) - 8;
        b[i] = (i % 13) - 6;
        want += a[i] * b[i];
      }
      assert.equal(await backend.call('dot', a, b), want);
      assert.equal(await backend.call('dot', sabre.shared.float32(0), sabre.shared.float32(0)), 0);
    });

    it('dot gives the IEEE answer with infinities and NaN', async () => {
      const mk = (vals) => sabre.shared.from(new Float64Array(vals));
      assert.equal(await backend.call('dot', mk([1, Infinity, 2]), mk([1, 1, 1])), Infinity);
      assert.ok(Number.isNaN(await backend.call('dot', mk([Infinity, 1]), mk([0, 1]))));
      assert.ok(Number.isNaN(await backend.call('dot', mk([1, NaN]), mk([1, 1]))));
      // Infinity in a later chunk than finite partials.
      const big = sabre.shared.float64(GRAIN + 3).fill(1);
      big[GRAIN + 1] = -Infinity;
      assert.equal(await backend.call('dot', big, sabre.shared.float64(GRAIN + 3).fill(1)), -Infinity);
    });

    it('min and max match Math.min and Math.max, NaN and -0 included', async () => {
      for (const Type of [Float32Array, Float64Array]) {
        for (const n of SIZES) {
          const x = randomShared(Type, n, 7 * n + 1);
          const variants = [x];
          if (n > 0) {
            const nan = sabre.shared.from(x);
            nan[n - 1] = NaN; // last chunk, last lane
            const zeros = sabre.shared.from(new Type(n));
            zeros[Math.floor(n / 2)] = -0;
            const negZeros = Type.from(zeros, (v) => -v);
            const inf = sabre.shared.from(x);
            inf[0] = -Infinity;
            inf[n - 1] = Infinity;
            variants.push(nan, zeros, sabre.shared.from(negZeros), inf);
          }
          for (const [k, v] of variants.entries()) {
            assert.ok(Object.is(await backend.call('min', v), jsMin(v)), `min ${Type.name} n=${n} case ${k}`);
            assert.ok(Object.is(await backend.call('max', v), jsMax(v)), `max ${Type.name} n=${n} case ${k}`);
          }
        }
      }
      assert.equal(await backend.call('min', sabre.shared.float64(0)), Infinity);
      assert.equal(await backend.call('max', sabre.shared.float32(0)), -Infinity);
      // A NaN in the first chunk beats a smaller value in a later one.
      const x = sabre.shared.float64(2 * GRAIN + 1).fill(5);
      x[3] = NaN;
      x[2 * GRAIN] = -1e300;
      assert.ok(Number.isNaN(await backend.call('min', x)));
      assert.ok(Number.isNaN(await backend.call('max', x)));
    });

    it('meanVariance matches the two-pass textbook formulas', async () => {
      for (const Type of [Float32Array, Float64Array]) {
        for (const n of SIZES) {
          const x = randomShared(Type, n, 11 * n + 3);
          for (let i = 0; i < n; i++) x[i] += 1000; // offset: a one-pass formula would cancel
          let s = 0;
          for (const v of x) s += v;
          const mean = s / n;
          let m2 = 0;
          for (const v of x) m2 += (v - mean) ** 2;
          const got = await backend.call('meanVariance', x);
          assert.equal(got.n, n);
          if (n === 0) {
            assert.ok([got.mean, got.variance, got.sampleVariance].every(Number.isNaN), 'empty: all NaN');
            continue;
          }
          assert.ok(Math.abs(got.mean - mean) <= 1e-11 * Math.abs(mean), `mean ${Type.name} n=${n}`);
          assert.ok(Math.abs(got.variance - m2 / n) <= 1e-9 * (m2 / n) + 1e-300, `variance ${Type.name} n=${n}: ${got.variance} vs ${m2 / n}`);
          if (n === 1) {
            assert.equal(got.variance, 0);
            assert.ok(Number.isNaN(got.sampleVariance), 'n=1: sample variance NaN');
          } else {
            assert.ok(Math.abs(got.sampleVariance - m2 / (n - 1)) <= 1e-9 * (m2 / (n - 1)) + 1e-300, `sampleVariance n=${n}`);
          }
        }
      }
      const c = await backend.call('meanVariance', sabre.shared.float64(GRAIN + 9).fill(-2.5));
      assert.deepEqual(c, { mean: -2.5, variance: 0, sampleVariance: 0, n: GRAIN + 9 });
      const nan = sabre.shared.float64(GRAIN + 9).fill(1);
      nan[GRAIN + 3] = NaN;
      const r = await backend.call('meanVariance', nan);
      assert.ok(Number.isNaN(r.mean) && Number.isNaN(r.variance));
      const inf = sabre.shared.float32(10).fill(1);
      inf[4] = Infinity;
      const ri = await backend.call('meanVariance', inf);
      assert.equal(ri.mean, Infinity);
      assert.ok(Number.isNaN(ri.variance));
    });

    it('histogram counts every byte value', async () => {
      for (const Type of [Uint8Array, Uint8ClampedArray]) {
        for (const n of [0, 1, 3, 4, 5, 15, 16, 17, BYTE_GRAIN - 1, BYTE_GRAIN, BYTE_GRAIN + 1, 2 * BYTE_GRAIN + 5]) {
          if (Type === Uint8ClampedArray && n > 17 && n !== BYTE_GRAIN + 1) continue;
          const b = randomShared(Type, n, n + 13);
          const want = new Float64Array(256);
          for (const v of b) want[v]++;
          const before = b.slice();
          const got = await backend.call('histogram', b);
          assert.ok(got instanceof Float64Array && got.length === 256);
          assert.deepEqual(got, want, `${Type.name} n=${n}`);
          assert.deepEqual(b, before, 'input untouched');
        }
      }
      const same = sabre.shared.uint8(BYTE_GRAIN + 7).fill(200);
      const h = await backend.call('histogram', same);
      assert.equal(h[200], BYTE_GRAIN + 7);
      assert.equal(h.reduce((a, c) => a + c, 0), BYTE_GRAIN + 7);
    });

    it('sum of infinities is the IEEE answer, across chunks too', async () => {
      const x = sabre.shared.float64(GRAIN + 5).fill(1);
      x[GRAIN + 2] = Infinity;
      assert.equal(await backend.call('sum', x), Infinity);
      x[0] = -Infinity;
      assert.ok(Number.isNaN(await backend.call('sum', x)));
      assert.equal(await backend.call('sum', sabre.shared.from(new Float64Array([1, Infinity]))), Infinity);
    });
  });
}

// Bad input: a TypeError or RangeError naming the argument, thrown before
// anything is modified, on both paths.
const f32 = (n) => sabre.shared.float32(n).fill(1);
const f64 = (n) => sabre.shared.float64(n).fill(1);

const cases = [
  ['dot', () => [f64(3), f64(4)], RangeError, /"y.length"/],
  ['dot', () => [f64(3), f32(3)], TypeError, /"y" argument must be a Float64Array, like the first array/],
  ['dot', () => [[1, 2], f64(2)], TypeError, /"x" argument/],
  ['min', () => [new Int16Array(3)], TypeError, /"x" argument must be a Float32Array or Float64Array/],
  ['max', () => [null], TypeError, /"x"/],
  ['meanVariance', () => [[1, 2, 3]], TypeError, /"x"/],
  ['histogram', () => [f32(4)], TypeError, /"bytes" argument must be a Uint8Array or Uint8ClampedArray/],
  ['histogram', () => [new Int8Array(4)], TypeError, /"bytes"/],
];

badInputSuite('reductions, bad input', cases);
