'use strict';
// Bad input: a TypeError or RangeError naming the argument, thrown before
// anything is modified, on both paths.

const { describe, it, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
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

  // A key sabre does not know is a misspelt or foreign option: ignored, it
  // would leave the default in force without a word (piscina's maxThreads
  // on a sabre Pool ran on every core).
  it('refuses options it does not know, naming the key (and sabre\'s name for a foreign one)', async () => {
    const unknown = (key, hint = /(?:)/) => ({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: new RegExp(`"${key}" argument must be one of .*unknown option.*${hint.source}`) });
    assert.throws(() => new sabre.Pool({ maxThreads: 1 }), unknown('options.maxThreads', /sabre's option is threads/));
    assert.throws(() => new sabre.Pool({ threads: 1, idelTimeout: 5 }), unknown('options.idelTimeout'));
    assert.throws(() => new sabre.Pool({ [Symbol('x')]: 1 }), unknown('options.Symbol\\(x\\)'));
    assert.throws(() => new sabre.Pool({ threads: { max: 2, maximum: 3 } }), unknown('options.threads.maximum'));
    await assert.rejects(pool.kernels.sum(f64(2), { timeOut: 5 }), unknown('options.timeOut'));
    await assert.rejects(pool.kernels.sum(f64(2), { inPlace: true }), unknown('options.inPlace', /transactional/));
    assert.throws(() => sabre.kernels.sum(f64(2), { fussed: true }), unknown('options.fussed'));
    await assert.rejects(pool.kmeans(f32(8), 2, 2, {}, { tries: 1 }), unknown('options.tries'));
    await assert.rejects(pool.kmeans(f32(8), 2, 2, { maxIterations: 3 }), unknown('options.maxIterations'));
    assert.throws(() => new sabre.Cluster({ pool: { threads: 1 }, jobchunks: 4 }), unknown('options.jobchunks'));
    // Options of one mode of the cluster given to the other.
    assert.throws(() => new sabre.Cluster({ queue: 'q' }), { name: 'TypeError', message: /"options.queue".*options.connection/ });
    assert.throws(() => new sabre.Cluster({ connection: 'redis://127.0.0.1:1', pool: {} }), { name: 'TypeError', message: /"options.pool"/ });
    // The pool's own call options mean nothing on a direct call, but are accepted (one object for both paths).
    assert.equal(sabre.kernels.sum(f64(2), { timeout: 5, signal: new AbortController().signal }), 2);
  });
});

// Each of these was found by test-node/fuzz.test.js (seed 9): a refusal that
// escaped as one of V8's own messages or as the caller's error, ran the
// caller's code, or a call that misbehaved on a value it accepts.
describe('hostile values: a refusal naming the argument, never a V8 message, never the value\'s own code', () => {
  const ranCode = [];
  /** Records any conversion of it to a primitive. */
  const tattle = () => ({
    valueOf() {
      ranCode.push('valueOf');
      return 1;
    },
    toString() {
      ranCode.push('toString');
      return '1';
    },
  });
  const notNumbers = () => [
    Symbol('s'),
    Object.create(null),
    new Proxy({}, { get: () => ranCode.push('Proxy get') }),
    { [Symbol.toPrimitive]: () => ranCode.push('toPrimitive') },
    tattle(),
  ];
  /** What a getter or trap may throw: not only Errors. */
  const thrownValues = () => [
    null,
    undefined,
    Symbol('thrown'),
    Object.create(null),
    { get message() { throw new Error('the message getter threw'); } },
    Object.assign(Object.create(null), { message: Symbol('message') }),
    new Proxy({}, { get() { throw new Error('a trap threw'); } }),
  ];
  const names = (name) => (err) => {
    assert.ok(err instanceof TypeError || err instanceof RangeError, `${err?.name}: ${err?.message}`);
    assert.equal(typeof err.code, 'string', err.message);
    assert.ok(err.message.includes(`"${name}"`), err.message);
    assert.doesNotMatch(err.message, /\[object /);
    return true;
  };
  const pool = new sabre.Pool({ threads: 1 });
  after(() => pool.close());

  it('pool options that are not numbers: idleTimeout, maxQueue, threads, threads.min, threads.max', () => {
    for (const [name, wrap] of [
      ['options.idleTimeout', (x) => ({ idleTimeout: x })],
      ['options.maxQueue', (x) => ({ maxQueue: x })],
      ['options.threads', (x) => ({ threads: x })],
      ['options.threads.min', (x) => ({ threads: { min: x } })],
      ['options.threads.max', (x) => ({ threads: { max: x } })],
    ]) {
      for (const value of notNumbers()) if (!(name === 'options.threads' && typeof value === 'object')) assert.throws(() => new sabre.Pool(wrap(value)), names(name));
    }
    assert.deepEqual(ranCode, []);
  });

  it('threads.min is checked before it is used: an out-of-range min names min, not the max derived from it', () => {
    assert.throws(() => new sabre.Pool({ threads: { min: 2000 } }), names('options.threads.min'));
    assert.throws(() => new sabre.Pool({ threads: { min: 2.5 } }), names('options.threads.min'));
  });

  it('a call option timeout that is not a number', async () => {
    for (const timeout of notNumbers()) await assert.rejects(pool.kernels.sum(f64(2), { timeout }), names('options.timeout'));
    assert.deepEqual(ranCode, []);
  });

  it('a getter or a Proxy trap that throws anything: null, undefined, a Symbol, an object whose message throws', async () => {
    for (const thrown of thrownValues()) {
      const getter = (key, rest = {}) => Object.defineProperty({ ...rest }, key, { enumerable: true, get: () => { throw thrown; } });
      const trap = new Proxy({}, { getOwnPropertyDescriptor: () => { throw thrown; } });
      assert.throws(() => sabre.kernels.mandelbrot(new Uint8Array(4), getter('width', { height: 2 })), names('view.width'));
      assert.throws(() => sabre.kernels.mandelbrot(new Uint8Array(4), trap), names('view.width'));
      assert.throws(() => new sabre.Pool(getter('idleTimeout')), names('options.idleTimeout'));
      assert.throws(() => new sabre.Pool(trap), names('options.threads'));
      assert.throws(() => sabre.kmeans(sabre.shared.float32(4), 1, 1, getter('seed')), names('options.seed'));
      await assert.rejects(pool.kernels.sum(f64(2), getter('timeout')), names('options.timeout'));
      await assert.rejects(pool.kernels.sum(f64(2), { signal: new Proxy(new AbortController().signal, { getPrototypeOf: () => { throw thrown; } }) }), names('options.signal'));
    }
  });

  it('a user kernel scalar whose getter throws anything cannot be sent: a TypeError naming it', async () => {
    const mine = pool.load(require(path.join(__dirname, 'fixtures', 'user-faults.js')));
    const x = f64(8);
    for (const thrown of thrownValues()) {
      const value = Object.defineProperty({}, 'field', { enumerable: true, get: () => { throw thrown; } });
      await assert.rejects(mine.addOne(x, value), names('options'));
    }
    assert.ok(x.every((v) => v === 1), 'nothing ran');
  });

  it('a Proxy around an AbortSignal is refused, and none of its traps runs', async () => {
    const traps = [];
    const handler = Object.fromEntries(Object.getOwnPropertyNames(Reflect).map((t) => [t, (...a) => (traps.push(t), Reflect[t](...a))]));
    const x = f64(4);
    await assert.rejects(pool.kernels.scale(x, 2, { signal: new Proxy(new AbortController().signal, handler) }), names('options.signal'));
    assert.deepEqual(traps, []);
    assert.ok(x.every((v) => v === 1));
  });

  it('an option getter that detaches an array argument: a TypeError naming the array, not V8\'s detached-buffer message (direct)', () => {
    const detach = (a) => structuredClone(a.buffer, { transfer: [a.buffer] });
    const out = new Uint8Array(0);
    const view = { width: 0, height: 3, get xMin() { detach(out); return -2; } };
    assert.throws(() => sabre.kernels.mandelbrot(out, view), (err) => names('out')(err) && /detached/.test(err.message));
    const points = new Float32Array(8).fill(1);
    assert.throws(() => sabre.kmeans(points, 2, 2, { get maxIter() { detach(points); return 5; } }), (err) => names('points')(err) && /detached/.test(err.message));
  });

  it('null is not "absent": a null view bound or thread count is refused, not replaced by its default', () => {
    for (const key of ['xMin', 'xMax', 'yMin', 'yMax', 'maxIter']) {
      assert.throws(() => sabre.kernels.mandelbrot(new Uint8Array(4), { width: 2, height: 2, [key]: null }), names(`view.${key}`));
    }
    assert.throws(() => new sabre.Pool({ threads: { min: null } }), names('options.threads.min'));
    assert.throws(() => new sabre.Pool({ threads: { max: null } }), names('options.threads.max'));
  });

  it('pool.kmeans reads its call options once, not once per iteration', async () => {
    const points = sabre.shared.float32(64);
    for (let i = 0; i < points.length; i++) points[i] = (i * 5) % 7;
    let reads = 0;
    const callOptions = { get timeout() { reads++; return 60_000; } };
    const fit = await pool.kmeans(points, 2, 3, { maxIter: 10, tol: 0 }, callOptions);
    assert.ok(fit.iterations > 1, `${fit.iterations} iterations`);
    assert.equal(reads, 1);
  });
});

describe('values a kernel accepts but mishandled (found by test-node/fuzz.test.js)', () => {
  it('gaussianBlur with a sigma so small that 2 sigma^2 underflows is the identity, not a failure inside the kernel', () => {
    for (const sigma of [1e-300, 5e-324, 1e-160]) {
      const input = new Uint8Array(4 * 3 * 5).map((_, i) => (i * 37) & 255);
      const out = new Uint8Array(input.length);
      assert.equal(sabre.kernels.gaussianBlur(out, input, 3, 5, sigma), out, `sigma ${sigma}`);
      assert.deepEqual(out, input, `sigma ${sigma}`);
    }
  });

  it('an image with no pixels is one empty chunk, however many rows it claims', async () => {
    const pool = new sabre.Pool({ threads: 1 });
    const reports = [];
    const onProgress = (p) => reports.push(p.chunks);
    const empty = sabre.shared.uint8(0);
    assert.equal(await pool.kernels.mandelbrot(empty, { width: 0, height: 2 ** 31 - 1 }, { onProgress }), empty);
    assert.equal(await pool.kernels.gaussianBlur(empty, sabre.shared.uint8(0), 0, 2 ** 31 - 1, 100, { onProgress }), empty);
    assert.deepEqual(reports, [1, 1]);
    await pool.close();
  });
});
