'use strict';
// matmul through the direct call and the pool, against a naive triple loop.
//
// Tolerance: against the product accumulated in f64, each element must be
// within (k + 1) * 2^-24 * sum_p |a[i][p] * b[p][j]|, the classic bound for
// a length-k dot product summed in f32. The kernel also promises more: every
// element is summed in p order with each product and sum rounded to f32, so
// it equals the naive f32 loop bit for bit (checked too).

const { describe, it, after } = require('node:test');
const assert = require('node:assert/strict');
const { sabre, backends, badInputSuite, randomShared } = require('./helpers');

function naive(a, b, m, k, n) {
  const c32 = new Float32Array(m * n);
  const c64 = new Float64Array(m * n);
  const mag = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      let t = 0;
      let u = 0;
      for (let p = 0; p < k; p++) {
        const prod = a[i * k + p] * b[p * n + j]; // exact in f64
        s = Math.fround(s + Math.fround(prod));
        t += prod;
        u += Math.abs(prod);
      }
      c32[i * n + j] = s;
      c64[i * n + j] = t;
      mag[i * n + j] = u;
    }
  }
  return { c32, c64, mag };
}

function check(c, a, b, m, k, n, what) {
  const { c32, c64, mag } = naive(a, b, m, k, n);
  for (let i = 0; i < m * n; i++) {
    const tol = (k + 1) * 2 ** -24 * mag[i];
    assert.ok(Math.abs(c[i] - c64[i]) <= tol, `${what}: element ${i} ${c[i]} vs ${c64[i]} (tol ${tol})`);
  }
  assert.deepEqual(new Float32Array(c), c32, `${what}: bit-exact against the f32 loop`);
}

// [m, k, n]: empty dimensions, sizes around the 4x8 tile and the k block of
// 256, and products that split into several bands of rows (2^22 / (k n)
// rows each, rounded up to a multiple of 4).
const SHAPES = [
  [0, 0, 0],
  [0, 3, 4],
  [3, 0, 4],
  [3, 4, 0],
  [1, 1, 1],
  [5, 7, 9],
  [4, 8, 8],
  [17, 33, 13],
  [9, 257, 17],
  [2100, 64, 64], // 1024 rows per band: 3 bands
  [801, 300, 37], // 380 rows per band: 3 bands
];

for (const backend of backends()) {
  describe(`matmul (${backend.name})`, () => {
    after(() => backend.close());

    it('matches the naive triple loop', async () => {
      for (const [m, k, n] of SHAPES) {
        const a = randomShared(Float32Array, m * k, m + 3 * k, 4);
        const b = randomShared(Float32Array, k * n, n + 7 * k, 4);
        const c = sabre.shared.float32(m * n).fill(NaN);
        const ret = await backend.call('matmul', c, a, b, m, k, n);
        assert.equal(ret, c, 'returns c');
        check(c, a, b, m, k, n, `${m}x${k}x${n}`);
      }
    });

    it('a square matrix times itself (a and b may alias), and special values', async () => {
      const a = randomShared(Float32Array, 19 * 19, 5, 2);
      const c = sabre.shared.float32(19 * 19);
      await backend.call('matmul', c, a, a, 19, 19, 19);
      check(c, a, a, 19, 19, 19, 'a*a');
      const x = sabre.shared.from(new Float32Array([1, Infinity, 0, 2]));
      const y = sabre.shared.from(new Float32Array([1, 0, 1, NaN]));
      const z = sabre.shared.float32(4);
      await backend.call('matmul', z, x, y, 2, 2, 2);
      assert.equal(z[0], Infinity);
      assert.ok(Number.isNaN(z[1]) && Number.isNaN(z[3]));
      assert.equal(z[2], 2);
    });

    it('sees a B changed between calls and runs calls with different Bs at once', async () => {
      const [m, k, n] = [1100, 64, 64]; // 2 bands: the per-instance B cache is used
      const a = randomShared(Float32Array, m * k, 1, 2);
      const b = randomShared(Float32Array, k * n, 2, 2);
      const c = sabre.shared.float32(m * n);
      await backend.call('matmul', c, a, b, m, k, n);
      check(c, a, b, m, k, n, 'first');
      b.reverse();
      await backend.call('matmul', c, a, b, m, k, n);
      check(c, a, b, m, k, n, 'after changing b');
      const b2 = randomShared(Float32Array, k * n, 3, 2);
      const c2 = sabre.shared.float32(m * n);
      await Promise.all([backend.call('matmul', c, a, b, m, k, n), backend.call('matmul', c2, a, b2, m, k, n)]);
      check(c, a, b, m, k, n, 'concurrent 1');
      check(c2, a, b2, m, k, n, 'concurrent 2');
    });
  });
}

describe('matmul gives the same bits on 1 and 3 threads and directly', () => {
  const pools = [new sabre.Pool({ threads: 1 }), new sabre.Pool({ threads: 3 })];
  after(() => Promise.all(pools.map((p) => p.close())));

  it('on a product of many bands', async () => {
    const [m, k, n] = [301, 129, 250]; // 132 rows per band: 3 bands
    const a = randomShared(Float32Array, m * k, 11);
    const b = randomShared(Float32Array, k * n, 12);
    const direct = sabre.shared.float32(m * n);
    sabre.kernels.matmul(direct, a, b, m, k, n);
    for (const pool of pools) {
      const c = sabre.shared.float32(m * n);
      await pool.kernels.matmul(c, a, b, m, k, n);
      assert.deepEqual(c, direct, `${pool.threads} threads`);
    }
  });
});

const f32 = (n) => sabre.shared.float32(n).fill(1);
const badCases = [
  [() => [f32(4), f32(4), new Float64Array(4), 2, 2, 2], TypeError, /"b" argument must be a Float32Array/],
  [() => [[0, 0, 0, 0], f32(4), f32(4), 2, 2, 2], TypeError, /"c" argument/],
  [() => [f32(4), f32(4), f32(4), 2.5, 2, 2], RangeError, /"m"/],
  [() => [f32(4), f32(4), f32(4), 2, -2, 2], RangeError, /"k"/],
  [() => [f32(4), f32(4), f32(4), 2, 2, '2'], TypeError, /"n" argument must be of type number/],
  [() => [f32(6), f32(4), f32(4), 2, 2, 2], RangeError, /"c.length"/],
  [() => [f32(4), f32(6), f32(4), 2, 2, 2], RangeError, /"a.length"/],
  [() => [f32(4), f32(4), f32(6), 2, 2, 2], RangeError, /"b.length"/],
  [() => {
    const x = f32(8);
    return [x.subarray(0, 4), x.subarray(3, 7), f32(4), 2, 2, 2];
  }, RangeError, /"a" argument overlaps/],
  [() => {
    const x = f32(4);
    return [x, f32(4), x, 2, 2, 2];
  }, RangeError, /"b" argument overlaps/],
];

badInputSuite('matmul bad input', badCases.map((c) => ['matmul', ...c]));
