'use strict';
// Reductions (dot, min, max, meanVariance, histogram), through both the
// direct call and the pool, against a plain JavaScript reference, on sizes
// around the SIMD lanes and the grain, with NaN, signed zeros and infinities.
// Bad input at the end.

const { describe, it, after } = require('node:test');
const assert = require('node:assert/strict');
const { sabre, backends, badInputSuite, randomShared, rng } = require('./helpers');

const GRAIN = 1 << 18; // js/kernels/grains.js MAP_GRAIN
const BYTE_GRAIN = 1 << 20;
// Math.min over an array too long to spread into arguments.
const jsMin = (v) => v.reduce((m, e) => Math.min(m, e), Infinity);
const jsMax = (v) => v.reduce((m, e) => Math.max(m, e), -Infinity);
const SIZES = [0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 33, GRAIN - 1, GRAIN, GRAIN + 1, 2 * GRAIN + 7];

// Exact arithmetic for the references of the compensated sums. A finite
// double is m * 2^e with m an integer of at most 53 bits, so as BigInt pairs
// { m, e } products are exact, and sums are exact once every term is scaled
// to the smallest exponent.
const f64Bits = new Float64Array(1);
const u64Bits = new BigUint64Array(f64Bits.buffer);
function exact(v) {
  f64Bits[0] = v;
  const bits = u64Bits[0];
  const biased = Number((bits >> 52n) & 0x7ffn);
  assert.ok(biased < 0x7ff, 'finite');
  const frac = bits & ((1n << 52n) - 1n);
  const m = biased === 0 ? frac : frac | (1n << 52n);
  return { m: bits >> 63n ? -m : m, e: Math.max(biased, 1) - 1075 };
}
const exactMul = (a, b) => ({ m: a.m * b.m, e: a.e + b.e });
const exactAbs = (a) => ({ m: a.m < 0n ? -a.m : a.m, e: a.e });
function exactSum(terms) {
  const e = terms.reduce((lo, t) => Math.min(lo, t.e), 0);
  let m = 0n;
  for (const t of terms) m += t.m << BigInt(t.e - e);
  return { m, e };
}
/** The nearest double, about (for messages and for bounds with slack). */
function approx({ m, e }) {
  const shift = Math.max(0, (m < 0n ? -m : m).toString(2).length - 64);
  return Number(m >> BigInt(shift)) * 2 ** (e + shift);
}
/** Whether |got - want| <= bound, exactly (got and bound are doubles). */
function within(got, want, bound) {
  const err = exactSum([exact(got), { m: -want.m, e: want.e }]);
  const b = exact(bound);
  const e = Math.min(err.e, b.e);
  const abs = (err.m < 0n ? -err.m : err.m) << BigInt(err.e - e);
  return abs <= b.m << BigInt(b.e - e);
}

// The Neumaier bound checked for a compensated sum of n terms p_i with exact
// sum S, u = 2^-53:  |result - S| <= 2u|S| + 2 n^2 u^2 Σ|p_i|.
// Why this bound: for Neumaier's algorithm with exact error terms (TwoSum),
// Ogita, Rump & Oishi ("Accurate sum and dot product", SIAM J. Sci. Comput.
// 2005, Prop. 4.5) prove |result - S| <= u|S| + γ(n-1)² Σ|p_i|, with
// γ(k) = ku / (1 - ku). Their proof uses only that the running sums and the
// correction are each floating-point sums of at most n terms, which stays
// true of sabre's tree (8 lanes per chunk, lanes folded, chunks merged in
// order) as long as every chunk's correction reaches the final rounding; the
// issue's looser form above follows for n u < 1/4. A chunk that rounds its
// own sum before the merge adds u|chunk sum| instead, unbounded against |S|.
// The bound is evaluated in floating point; the factor (1 + 2^-20) covers its
// own rounding (relative error below n u).
const U = 2 ** -53;
function neumaierBound(S, absSum, n) {
  return (2 * U * Math.abs(approx(S)) + 2 * n * n * U * U * approx(absSum)) * (1 + 2 ** -20);
}

/**
 * The data of `cancelling` (~1e6 elements) and what sum and dot must honour:
 * `{ kernel, what, want, bound }`, `want` exact. Computed once per type (the
 * exact references take a second or so) for both backends.
 */
const cancellingCases = new Map();
function cancellingCase(Type) {
  if (cancellingCases.has(Type)) return cancellingCases.get(Type);
  const n = 1_000_003;
  const { x, y } = cancelling(Type, n, Type === Float64Array ? 71 : 72);
  const xs = Array.from(x, exact);
  const S = exactSum(xs);
  const refs = [{ kernel: 'sum', what: 'exact sum', want: S, bound: neumaierBound(S, exactSum(xs.map(exactAbs)), n) }];
  // dot. f32: every product of two f32 values is exact in f64, so the
  // reference is the exact sum of the exact products. f64: the kernel rounds
  // each product once (wasm has no fused multiply-add), then sums the rounded
  // products p_i = fl(x_i y_i) with the compensated sum: the result is within
  // the bound of Σ p_i exactly (JS's x * y is the same IEEE product), and
  // within u Σ|x_i y_i| more of the exact dot.
  const products = xs.map((v, i) => exactMul(v, exact(y[i])));
  const P = exactSum(products);
  const absP = exactSum(products.map(exactAbs));
  if (Type === Float32Array) {
    refs.push({ kernel: 'dot', what: 'exact dot', want: P, bound: neumaierBound(P, absP, n) });
  } else {
    const rounded = Array.from(x, (v, i) => exact(v * y[i]));
    const R = exactSum(rounded);
    const b = neumaierBound(R, exactSum(rounded.map(exactAbs)), n);
    refs.push({ kernel: 'dot', what: 'exact sum of the rounded products', want: R, bound: b });
    refs.push({ kernel: 'dot', what: 'exact dot', want: P, bound: b + U * approx(absP) * (1 + 2 ** -20) });
  }
  const c = { x, y, refs };
  cancellingCases.set(Type, c);
  return c;
}

const alloc = (Type, n) => (Type === Float32Array ? sabre.shared.float32(n) : sabre.shared.float64(n));

/**
 * Seeded data whose sum nearly cancels: 4 in 5 elements are huge (2^59 to
 * 2^60), positive in the first half of those slots and their exact
 * negations, shuffled, in the second half; every 5th element is small, in
 * [-2^12, 2^12). So the exact sum is that of the small ones (~1e6), while a
 * chunk of the first half sums to ~2^77, whose ulp (2^25) is far over the
 * bound (~2e4 here): rounding a chunk's own sum before the merge loses up to
 * half of it (f64), or, in f32 where the huge values have 24 bits, the small
 * values that chunk absorbed into its correction. `y` (for dot) repeats a
 * huge pair's factor at both its places, so the products cancel the same way
 * (also rounded f64 products: fl(-a b) = -fl(a b)); its other values are in
 * [1, 2).
 */
function cancelling(Type, n, seed) {
  const r = rng(seed);
  const x = alloc(Type, n);
  const y = alloc(Type, n);
  // 64 random bits, rounded to the type: full significands.
  const r64 = () => r() + r() * 2 ** -32;
  const small = (i) => {
    x[i] = (2 * r64() - 1) * 2 ** 12;
    y[i] = 1 + r64();
  };
  const huge = [];
  for (let i = 0; i < n; i++) {
    if (i % 5 === 4) small(i);
    else huge.push(i);
  }
  if (huge.length % 2) small(huge.pop());
  const h = huge.length / 2;
  const perm = Array.from({ length: h }, (_, k) => k);
  for (let k = h - 1; k > 0; k--) {
    const j = Math.floor(r() * (k + 1));
    [perm[k], perm[j]] = [perm[j], perm[k]];
  }
  for (let k = 0; k < h; k++) {
    const [p, q] = [huge[k], huge[h + perm[k]]];
    x[p] = 2 ** 59 * (1 + r64());
    y[p] = 1 + r64();
    x[q] = -x[p];
    y[q] = y[p];
  }
  return { x, y };
}

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
          // The mean is the compensated sum over n, the very bits of sum(x) / n.
          assert.ok(Object.is(got.mean, (await backend.call('sum', x)) / n), `mean is sum / n, ${Type.name} n=${n}`);
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

    it('sum, dot and meanVariance keep every chunk\'s correction: exact where a chunk boundary splits a cancellation', async () => {
      // 1e17 + 1 rounds to 1e17 (its ulp is 16), so a chunk that rounds its
      // own compensated sum loses the 1; the -1e17 is in the next chunk.
      // Exact sum: 1.
      const n = GRAIN + 8;
      const x = sabre.shared.float64(n);
      x[0] = 1e17;
      x[1] = 1;
      x[GRAIN] = -1e17;
      assert.equal(await backend.call('sum', x), 1, 'sum f64');
      assert.equal(await backend.call('dot', x, sabre.shared.float64(n).fill(1)), 1, 'dot f64');
      assert.equal((await backend.call('meanVariance', x)).mean, 1 / n, 'meanVariance mean');
      // The correction held by a lane (lane 0 gets elements 0 and 8) survives too.
      x[1] = 0;
      x[8] = 1;
      assert.equal(await backend.call('sum', x), 1, 'sum f64, correction in one lane');
      // f32: 2^54 + 1 rounds to 2^54 in f64 as well.
      const x32 = sabre.shared.float32(n);
      x32[0] = 2 ** 54;
      x32[1] = 1;
      x32[GRAIN] = -(2 ** 54);
      assert.equal(await backend.call('sum', x32), 1, 'sum f32');
      // dot f32: f32 values of 24 bits or less, products exact in f64:
      // (3 * 2^25)(5 * 2^25) = 15 * 2^50 (ulp 2, so + 1 is lost when rounded),
      // 1 * 1, then -(15 * 2^50) in the next chunk. Exact dot: 1.
      const a = sabre.shared.float32(n);
      const b = sabre.shared.float32(n);
      [a[0], b[0]] = [3 * 2 ** 25, 5 * 2 ** 25];
      [a[1], b[1]] = [1, 1];
      [a[GRAIN], b[GRAIN]] = [-3 * 2 ** 25, 5 * 2 ** 25];
      assert.equal(await backend.call('dot', a, b), 1, 'dot f32');
    });

    it('sum and dot of ~1e6 cancelling values are within the Neumaier bound of the exact answer', async () => {
      for (const Type of [Float64Array, Float32Array]) {
        const { x, y, refs } = cancellingCase(Type);
        const got = { sum: await backend.call('sum', x), dot: await backend.call('dot', x, y) };
        for (const { kernel, what, want, bound } of refs) {
          const v = got[kernel];
          assert.ok(within(v, want, bound), `${kernel} ${Type.name}: ${v} vs ${what} ${approx(want)}, bound ${bound}`);
        }
      }
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
