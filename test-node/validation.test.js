'use strict';
// Bad input: a TypeError or RangeError naming the argument, thrown before
// anything is modified, on both paths.

const { describe, it, after } = require('node:test');
const assert = require('node:assert/strict');
const { sabre, badInputSuite } = require('./helpers');

const f32 = (n) => sabre.shared.float32(n).fill(1);
const f64 = (n) => sabre.shared.float64(n).fill(1);

const cases = [
  ['scale', () => [[1, 2, 3], 2], TypeError, /"x" argument must be a Float32Array or Float64Array/],
  ['scale', () => [new Int32Array(4), 2], TypeError, /"x"/],
  ['scale', () => [f32(4), '2'], TypeError, /"a" argument must be of type number/],
  ['axpy', () => [f32(4), 2, f64(4)], TypeError, /"x" argument must be a Float32Array, like the first array/],
  ['axpy', () => [f32(4), 2, f32(5)], RangeError, /"x.length"/],
  ['axpy', () => {
    const y = f64(8);
    return [y.subarray(0, 4), 2, y.subarray(2, 6)];
  }, RangeError, /partly overlaps/],
  ['invert', () => [f32(4)], TypeError, /"bytes" argument must be a Uint8Array or Uint8ClampedArray/],
  ['grayscale', () => [sabre.shared.uint8(6)], RangeError, /multiple of 4/],
  ['sum', () => [null], TypeError, /"x"/],
  ['linearRegression', () => [f64(3), f64(4)], RangeError, /"y.length"/],
  ['linearRegression', () => [f64(1), f64(1)], RangeError, /at least 2/],
  ['countPrimes', () => [10, 5], RangeError, /"hi"/],
  ['countPrimes', () => [-1, 5], RangeError, /"lo"/],
  ['countPrimes', () => [0, 2 ** 53 + 2], RangeError, /"hi"/],
  ['countPrimes', () => [0.5, 5], RangeError, /"lo"/],
  ['markPrimes', () => [sabre.shared.uint8(4), 2 ** 53], RangeError, /"lo"/],
  ['mandelbrot', () => [sabre.shared.uint8(5), { width: 2, height: 2 }], RangeError, /"out.length"/],
  ['mandelbrot', () => [sabre.shared.uint8(4), { width: 2, height: 2, maxIter: 0 }], RangeError, /"view.maxIter"/],
  ['mandelbrot', () => [sabre.shared.uint8(4), { width: 2, height: 2, xMin: NaN }], RangeError, /"view.xMin"/],
  ['mandelbrot', () => [sabre.shared.uint8(4), null], TypeError, /"view"/],
];

/** Snapshot of every typed array in `args`, to prove nothing was touched. */
badInputSuite('bad input', cases);

describe('the pool needs SharedArrayBuffer-backed arrays', () => {
  const pool = new sabre.Pool({ threads: 1 });
  after(() => pool.close());

  it('rejects a plain ArrayBuffer with a TypeError naming the argument', async () => {
    const y = new Float32Array(8).fill(1);
    await assert.rejects(pool.kernels.axpy(y, 2, sabre.shared.float32(8)), {
      name: 'TypeError',
      code: 'ERR_INVALID_ARG_TYPE',
      message: /"y" argument must be a Float32Array or Float64Array backed by a SharedArrayBuffer/,
    });
    await assert.rejects(pool.kernels.axpy(sabre.shared.float32(8), 2, new Float32Array(8)), { message: /"x" argument/ });
    assert.deepEqual([...y], new Array(8).fill(1));
  });

  it('the direct path accepts plain arrays', () => {
    const x = new Float64Array([1, 2]);
    sabre.kernels.scale(x, 3);
    assert.deepEqual([...x], [3, 6]);
  });

  it('rejects bad call options', async () => {
    await assert.rejects(pool.kernels.sum(f64(2), { timeout: -1 }), { name: 'RangeError', message: /"options.timeout"/ });
    await assert.rejects(pool.kernels.sum(f64(2), { signal: {} }), { name: 'TypeError', message: /"options.signal"/ });
    await assert.rejects(pool.kernels.sum(f64(2), 5), { name: 'TypeError', message: /"options"/ });
  });

  it('rejects bad pool options', () => {
    assert.throws(() => new sabre.Pool({ threads: 0 }), { name: 'RangeError', message: /"options.threads"/ });
    assert.throws(() => new sabre.Pool({ maxQueue: -1 }), { name: 'RangeError', message: /"options.maxQueue"/ });
    assert.throws(() => new sabre.Pool(null), { name: 'TypeError', message: /"options"/ });
  });
});
