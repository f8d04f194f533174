'use strict';
// Every kernel, through both the direct call and the pool, against a plain
// JavaScript reference, on sizes that cover one chunk, chunk edges and many
// chunks.

const { describe, it, after } = require('node:test');
const assert = require('node:assert/strict');
const { sabre, backends, randomShared } = require('./helpers');

const GRAIN = 1 << 18; // js/kernels.js MAP_GRAIN
const SIZES = [0, 1, 3, 4, 5, 17, GRAIN - 1, GRAIN, GRAIN + 1, 3 * GRAIN + 7];

function primesBelow(n) {
  const comp = new Uint8Array(n + 1);
  const out = new Uint8Array(n);
  for (let i = 2; i < n; i++) {
    if (!comp[i]) {
      out[i] = 1;
      for (let j = i * i; j <= n; j += i) comp[j] = 1;
    }
  }
  return out;
}

function mandelbrotReference(v) {
  const out = new Uint8Array(v.width * v.height);
  for (let row = 0; row < v.height; row++) {
    for (let col = 0; col < v.width; col++) {
      const cx = v.xMin + col * ((v.xMax - v.xMin) / v.width);
      const cy = v.yMin + row * ((v.yMax - v.yMin) / v.height);
      let zr = 0;
      let zi = 0;
      let k = 0;
      while (k < v.maxIter && zr * zr + zi * zi <= 4) {
        const nzi = 2 * zr * zi + cy;
        zr = zr * zr - zi * zi + cx;
        zi = nzi;
        k++;
      }
      out[row * v.width + col] = Math.floor((255 * k) / v.maxIter);
    }
  }
  return out;
}

for (const backend of backends()) {
  describe(`kernels (${backend.name})`, () => {
    after(() => backend.close());

    it('scale matches a * x for Float32Array and Float64Array', async () => {
      for (const Type of [Float32Array, Float64Array]) {
        for (const n of SIZES) {
          const x = randomShared(Type, n, n + 1);
          // `a` is converted to the element type first, as in BLAS sscal.
          const want = Type.from(x, (v) => (Type === Float32Array ? Math.fround(Math.fround(1.7) * v) : 1.7 * v));
          const ret = await backend.call('scale', x, 1.7);
          assert.equal(ret, x, 'returns the array it scaled');
          assert.deepEqual(x, want, `${Type.name} n=${n}`);
        }
      }
    });

    it('axpy matches a * x + y, and allows y aliased as x', async () => {
      for (const Type of [Float32Array, Float64Array]) {
        for (const n of SIZES) {
          const x = randomShared(Type, n, 2 * n + 1);
          const y = randomShared(Type, n, 3 * n + 1);
          const want = Type.from(y, (v, i) => (Type === Float32Array ? Math.fround(Math.fround(-0.5 * x[i]) + v) : -0.5 * x[i] + v));
          await backend.call('axpy', y, -0.5, x);
          assert.deepEqual(y, want, `${Type.name} n=${n}`);
        }
      }
      const y = sabre.shared.from(new Float64Array([1, 2, 3]));
      await backend.call('axpy', y, 2, y);
      assert.deepEqual([...y], [3, 6, 9]);
    });

    it('invert and grayscale match the byte formulas', async () => {
      for (const n of [0, 1, 15, 16, 17, (1 << 20) + 3, 3 << 20]) {
        const b = randomShared(Uint8Array, n, n + 7);
        const want = b.map((v) => 255 - v);
        await backend.call('invert', b);
        assert.deepEqual(b, want, `invert n=${n}`);
      }
      for (const px of [0, 1, 5, (1 << 18) - 1, (1 << 18) + 1, 600_000]) {
        const rgba = randomShared(Uint8ClampedArray, 4 * px, px + 11);
        const want = Uint8ClampedArray.from(rgba);
        for (let i = 0; i < want.length; i += 4) {
          const y = (77 * want[i] + 150 * want[i + 1] + 29 * want[i + 2] + 128) >> 8;
          want[i] = want[i + 1] = want[i + 2] = y;
        }
        await backend.call('grayscale', rgba);
        assert.deepEqual(rgba, want, `grayscale ${px} px`);
      }
    });

    it('sum is compensated: exact on data a naive sum gets wrong', async () => {
      for (const Type of [Float32Array, Float64Array]) {
        for (const n of SIZES) {
          const x = randomShared(Type, n, 5 * n + 3);
          let naive = 0;
          let abs = 0;
          for (const v of x) {
            naive += v;
            abs += Math.abs(v);
          }
          const got = await backend.call('sum', x);
          assert.ok(Math.abs(got - naive) <= 1e-10 * abs + 1e-300, `${Type.name} n=${n}: ${got} vs ${naive}`);
        }
      }
      // 1e16 + a million ones - 1e16, spread across chunks: naive gives 0.
      const x = sabre.shared.float64(1_000_002).fill(1);
      x[0] = 1e16;
      x[x.length - 1] = -1e16;
      assert.equal(await backend.call('sum', x), 1_000_000);
    });

    it('linearRegression matches the textbook closed form', async () => {
      for (const Type of [Float32Array, Float64Array]) {
        for (const n of [2, 3, 100, GRAIN + 1, 2 * GRAIN + 5]) {
          const x = randomShared(Type, n, n);
          const noise = randomShared(Type, n, n + 99, 1);
          const y = sabre.shared.from(Type.from(x, (v, i) => 2.5 * v - 4 + noise[i]));
          let [sx, sy, sxx, syy, sxy] = [0, 0, 0, 0, 0];
          for (let i = 0; i < n; i++) {
            sx += x[i];
            sy += y[i];
            sxx += x[i] * x[i];
            syy += y[i] * y[i];
            sxy += x[i] * y[i];
          }
          const slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
          const intercept = (sy - slope * sx) / n;
          const r = (n * sxy - sx * sy) / Math.sqrt((n * sxx - sx * sx) * (n * syy - sy * sy));
          const fit = await backend.call('linearRegression', x, y);
          assert.equal(fit.n, n);
          assert.ok(Math.abs(fit.slope - slope) < 1e-7 * Math.abs(slope), `slope n=${n}`);
          assert.ok(Math.abs(fit.intercept - intercept) < 1e-6 * Math.max(1, Math.abs(intercept)), `intercept n=${n}`);
          assert.ok(Math.abs(fit.r2 - r * r) < 1e-9, `r2 n=${n}`);
        }
      }
      const flat = sabre.shared.from(new Float64Array([3, 3, 3]));
      assert.ok(Number.isNaN((await backend.call('linearRegression', flat, sabre.shared.from(new Float64Array([1, 2, 3])))).slope));
    });

    it('countPrimes matches a sieve and known values of pi(n)', async () => {
      const ref = primesBelow(300_000);
      for (const [lo, hi] of [[0, 0], [0, 2], [0, 3], [2, 3], [3, 100], [1000, 1000], [7919, 300_000]]) {
        const want = ref.subarray(lo, hi).reduce((a, b) => a + b, 0);
        assert.equal(await backend.call('countPrimes', lo, hi), want, `[${lo}, ${hi})`);
      }
      assert.equal(await backend.call('countPrimes', 0, 1e8 + 1), 5_761_455); // pi(1e8), 6 chunks
      const top = 2 ** 53 + 1;
      assert.equal(await backend.call('countPrimes', top - 112, top), 1); // 2^53 - 111 is prime
    });

    it('countPrimes: pi(10^k) for k = 1..9 (pool) or 1..8 (direct)', async () => {
      const pi = [4, 25, 168, 1229, 9592, 78_498, 664_579, 5_761_455, 50_847_534];
      const last = backend.name === 'pool' ? 9 : 8;
      for (let k = 1; k <= last; k++) assert.equal(await backend.call('countPrimes', 0, 10 ** k), pi[k - 1], `pi(10^${k})`);
    });

    it('markPrimes writes a byte map of the primes', async () => {
      const ref = primesBelow(3_500_000);
      for (const [lo, n] of [[0, 0], [0, 10], [5, 1], [100, 3_000_000]]) {
        const out = sabre.shared.uint8(n).fill(7);
        const count = await backend.call('markPrimes', out, lo);
        assert.deepEqual(out, ref.slice(lo, lo + n));
        assert.equal(count, ref.subarray(lo, lo + n).reduce((a, b) => a + b, 0));
      }
    });

    it('mandelbrot matches the escape-time reference', async () => {
      for (const [w, h] of [[0, 0], [1, 1], [7, 3], [300, 200]]) {
        const view = { width: w, height: h, xMin: -2, xMax: 0.6, yMin: -1.2, yMax: 1.2, maxIter: 100 };
        const out = sabre.shared.uint8(w * h);
        await backend.call('mandelbrot', out, view);
        assert.deepEqual(out, mandelbrotReference(view), `${w}x${h}`);
      }
    });
  });
}
