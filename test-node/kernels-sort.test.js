'use strict';
// sort, through both the direct call and the pool, against
// TypedArray.prototype.sort() element for element (Object.is: -0 before +0,
// every NaN last), on sizes below, at and above the grain (a sample sort
// above it, with uneven partition and bucket chunks), with NaNs of both
// signs and several payloads, signed zeros, infinities, duplicates and
// skewed data. Then: an aborted sort leaves x a
// permutation of its values (in fact unchanged or sorted), and bad input.

const path = require('node:path');
const { describe, it, after } = require('node:test');
const assert = require('node:assert/strict');
const { root, sabre, backends, rng } = require('./helpers');

const { SORT_GRAIN: G } = require(path.join(root, 'dist', 'kernels', 'grains'));
const { kernels: specs } = require(path.join(root, 'dist', 'kernels'));
const TYPES = [Float64Array, Float32Array, Int32Array, Uint32Array];
// Above G a sample sort: 3G is 3 partition chunks, 5G + 3 is 6 (a short last one).
const SIZES = [0, 1, 2, 3, 17, 1000, G - 1, G, G + 1, 3 * G, 5 * G + 3];
/** Sizes for Float32Array and Uint32Array (Float64Array and Int32Array take all). */
const SMALLER = SIZES.filter((n) => n <= G + 1);

/** Bit patterns of NaNs: quiet, negative, signalling, odd payloads. */
const NAN64 = [[0x7ff80000, 0], [0xfff80000, 0], [0x7ff00000, 1], [0xfff00000, 0xdeadbeef], [0x7fffffff, 0xffffffff]];
const NAN32 = [0x7fc00000, 0xffc00000, 0x7f800001, 0xff800123];

/** Random data of `Type` on a SharedArrayBuffer, with specials and duplicates. */
function data(Type, n, seed) {
  const r = rng(seed);
  const x = sabre.shared.from(new Type(n), Type);
  const float = Type === Float64Array || Type === Float32Array;
  for (let i = 0; i < n; i++) {
    const u = r();
    if (u < 0.1) x[i] = Math.floor(r() * 8) - 4; // duplicates
    else if (Type === Uint32Array) x[i] = Math.floor(r() * 2 ** 32);
    else if (Type === Int32Array) x[i] = Math.floor(r() * 2 ** 32) - 2 ** 31;
    else x[i] = (r() - 0.5) * 10 ** Math.floor(r() * 12);
  }
  if (!float) {
    const ends = Type === Int32Array ? [-(2 ** 31), 2 ** 31 - 1, 0, -1] : [0, 2 ** 32 - 1, 1];
    for (let i = 0; i < ends.length && i < n; i++) x[Math.floor(r() * n)] = ends[i];
    return x;
  }
  const specials = [0, -0, Infinity, -Infinity, Type === Float64Array ? 5e-324 : 1e-45, -Number.MAX_VALUE];
  const words = new Uint32Array(x.buffer, x.byteOffset, (n * Type.BYTES_PER_ELEMENT) / 4);
  for (let k = 0; k < Math.min(n, 8 + n / 50); k++) {
    const i = Math.floor(r() * n);
    const kind = k % (specials.length + 1);
    if (kind < specials.length) x[i] = specials[kind];
    else if (Type === Float64Array) {
      // Little-endian: the low word first.
      const [hi, lo] = NAN64[k % NAN64.length];
      words[2 * i] = lo;
      words[2 * i + 1] = hi;
    } else words[i] = NAN32[k % NAN32.length];
  }
  return x;
}

/** Element for element with Object.is (so -0 !== 0 and NaN is NaN); fast on mismatch. */
function assertSame(got, want, what) {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i])) assert.fail(`${what}: [${i}] is ${got[i]}, expected ${want[i]}`);
  }
}

for (const backend of backends()) {
  describe(`sort (${backend.name})`, () => {
    after(() => backend.close());

    it('matches TypedArray.prototype.sort() and returns x', async () => {
      for (const Type of TYPES) {
        for (const n of Type === Float64Array ? SIZES : Type === Int32Array ? SIZES.slice(0, -1) : SMALLER) {
          const x = data(Type, n, n + 1);
          const want = x.slice().sort();
          const ret = await backend.call('sort', x);
          assert.equal(ret, x, 'returns x');
          assertSame(x, want, `${Type.name} n=${n}`);
        }
      }
    });

    it('puts -0 before +0 and every NaN last', async () => {
      const x = sabre.shared.from(new Float64Array([NaN, 0, -Infinity, -0, 1, NaN, -0, Infinity, 0, -1]));
      new Uint32Array(x.buffer, x.byteOffset, 2)[1] = 0xfff80000; // x[0]: a negative NaN
      await backend.call('sort', x);
      assertSame(x, [-Infinity, -1, -0, -0, 0, 0, 1, Infinity, NaN, NaN], 'Float64Array');
    });

    it('sorts sorted, reverse-sorted and constant data, and a subarray only', async () => {
      const n = 2 * G + 5;
      const up = sabre.shared.from(data(Float64Array, n, 9).sort());
      const want = up.slice();
      await backend.call('sort', up);
      assertSame(up, want, 'sorted');
      const down = sabre.shared.from(want.slice().reverse());
      await backend.call('sort', down);
      assertSame(down, want, 'reverse-sorted');
      const flat = sabre.shared.int32(n).fill(7);
      await backend.call('sort', flat);
      assert.ok(flat.every((v) => v === 7), 'constant');

      const all = data(Int32Array, G + 40, 10);
      const copy = all.slice();
      const part = all.subarray(13, G + 30);
      await backend.call('sort', part);
      assertSame(part, copy.subarray(13, G + 30).sort(), 'the subarray');
      assertSame(all.subarray(0, 13), copy.subarray(0, 13), 'before it');
      assertSame(all.subarray(G + 30), copy.subarray(G + 30), 'after it');
    });

    it('sorts skewed data: few distinct values, a tight cluster with outliers, NaNs and zeros only', async () => {
      const n = 3 * G + 1;
      const r = rng(5);
      const few = sabre.shared.from(new Float64Array(n).map(() => [3, -1, 0.5][Math.floor(r() * 3)]));
      const cluster = sabre.shared.from(new Float64Array(n).map((_, i) => (i % 1000 === 0 ? (r() - 0.5) * 1e300 : 1 + r() * 1e-12)));
      const odd = sabre.shared.from(new Float32Array(n).map(() => [NaN, 0, -0, -Infinity][Math.floor(r() * 4)]));
      for (const [x, what] of [[few, 'few values'], [cluster, 'cluster'], [odd, 'NaN, zeros, -Infinity']]) {
        const want = x.slice().sort();
        await backend.call('sort', x);
        assertSame(x, want, what);
      }
    });
  });
}

describe('sort aborted mid-way (pool)', () => {
  // The sample chunk, 4 partition chunks, m bucket chunks, one commit
  // chunk: abort from onProgress after the k-th chunk across all passes.
  const n = 3 * G + 5;
  const plan = specs.sort.plan(specs.sort.prepare([new Float64Array(n)], false));
  assert.deepEqual(plan.map(([units]) => units).filter((u, i) => i !== 2), [1, n, 1], 'sample, partition, buckets, commit');
  const [, [, partGrain], [buckets, bucketGrain]] = plan;
  assert.equal(Math.ceil(n / partGrain), 4);
  const m = Math.ceil(buckets / bucketGrain);
  const total = 1 + 4 + m + 1;
  const units = 1 + n + buckets + 1;
  const original = data(Float64Array, n, 77);
  const sorted = original.slice().sort();
  // Aborting in the progress callback of a pass's last chunk must not let
  // the pass combine and continue (a bug found this way, fixed in the pool).
  const stops = [
    [1, 'after the sample'],
    [3, 'in the partition pass'],
    [5, 'at the end of the partition pass'],
    [6, 'at the start of the bucket pass'],
    [5 + Math.ceil(m / 2), 'in the bucket pass'],
    [5 + m, 'at the end of the bucket pass'],
    [total, 'after the commit'],
  ];

  it('reports progress over the whole call: one total, done only growing, every pass counted', async () => {
    const pool = new sabre.Pool({ threads: 2 });
    const reports = [];
    await pool.kernels.sort(sabre.shared.from(original), { onProgress: (p) => reports.push(p) });
    await pool.close();
    assert.equal(reports.length, total, 'one report per chunk of every pass');
    for (const [i, p] of reports.entries()) {
      assert.deepEqual([p.total, p.chunks], [units, total], `report ${i}: the totals of the whole call`);
      assert.equal(p.chunksDone, i + 1, `report ${i}: chunksDone`);
      if (i > 0) assert.ok(p.done > reports[i - 1].done, `report ${i}: done grows (${reports[i - 1].done} -> ${p.done})`);
    }
    assert.equal(reports.at(-1).done, units, 'the last report is all of it');
  });

  for (const [k, where] of stops) {
    it(`leaves x unchanged or sorted, so a permutation of its values, when aborted ${where} (chunk ${k} of ${total})`, async () => {
      const pool = new sabre.Pool({ threads: 2 });
      const x = sabre.shared.from(original);
      const ac = new AbortController();
      let seen = 0;
      const onProgress = () => {
        if (++seen === k) ac.abort();
      };
      await assert.rejects(pool.kernels.sort(x, { signal: ac.signal, onProgress }), { name: 'AbortError' });
      const settled = x.slice();
      // close() waits until no call of the pool is live: nothing may touch x
      // after its promise settled.
      await pool.close();
      assertSame(x, settled, 'x unchanged after the promise settled');
      assertSame(x.slice().sort(), sorted, 'a permutation of the original values');
      const unchanged = x.every((v, i) => Object.is(v, original[i]));
      const done = x.every((v, i) => Object.is(v, sorted[i]));
      assert.ok(unchanged || done, 'unchanged or completely sorted');
      if (k < total) assert.ok(unchanged, 'aborted before the commit: unchanged');
    });
  }
});

// Bad input: a TypeError naming the argument, before anything is modified.
const cases = [
  [() => [[3, 1, 2]], /"x" argument must be a Float64Array, Float32Array, Int32Array or Uint32Array/],
  [() => [sabre.shared.uint8(4)], /"x" argument must be a Float64Array, Float32Array, Int32Array or Uint32Array/],
  [() => [new BigInt64Array(new SharedArrayBuffer(16))], /"x" argument/],
  [() => [null], /"x" argument/],
  [() => [], /"x" argument/],
];

for (const backend of backends()) {
  describe(`sort, bad input (${backend.name})`, () => {
    after(() => backend.close());
    for (const [make, pattern] of cases) {
      it(`${pattern}`, async () => {
        const args = make();
        const before = args.filter(ArrayBuffer.isView).map((a) => a.slice());
        await assert.rejects(async () => backend.call('sort', ...args), (err) => {
          assert.ok(err instanceof TypeError, `${err.name}: ${err.message}`);
          assert.match(err.message, pattern);
          assert.equal(err.code, 'ERR_INVALID_ARG_TYPE');
          return true;
        });
        assert.deepEqual(args.filter(ArrayBuffer.isView).map((a) => a.slice()), before, 'arguments untouched');
      });
    }
  });
}

describe('sort on a pool needs a SharedArrayBuffer', () => {
  it('rejects a Float64Array on a plain ArrayBuffer, and the direct call sorts it', async () => {
    const pool = new sabre.Pool({ threads: 1 });
    try {
      const x = new Float64Array([3, 1, 2]);
      await assert.rejects(pool.kernels.sort(x), (err) => {
        assert.ok(err instanceof TypeError);
        assert.match(err.message, /backed by a SharedArrayBuffer/);
        return true;
      });
      assert.deepEqual([...x], [3, 1, 2], 'untouched');
      assert.deepEqual([...sabre.kernels.sort(x)], [1, 2, 3]);
    } finally {
      await pool.close();
    }
  });
});
