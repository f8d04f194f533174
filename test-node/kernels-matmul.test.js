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

// The fused mode ({ fused: true }: f32x4.relaxed_madd, js/relaxed.js). Not
// bit-identical to the naive loop: each element must be within
// k * 2^-23 * sum_p |a[i][p] * b[p][j]| of the product in f64 (above the
// bound of either rounding model of relaxed_madd: fused, one rounding per
// step, or mul then add, two; src/kernels/matmul.rs `bound`). Where no step
// rounds (small integers) it equals the exact mode bit for bit, and on one
// machine its bits do not depend on the bands or the threads.
const relaxed = require(require('node:path').join(__dirname, '..', 'dist', 'relaxed.js'));
const RELAXED_FLAG = '--experimental-wasm-relaxed-simd';
const nodeMajor = Number(process.versions.node.split('.')[0]);

function checkFused(c, a, b, m, k, n, what) {
  const { c64, mag } = naive(a, b, m, k, n);
  for (let i = 0; i < m * n; i++) {
    const tol = k * 2 ** -23 * mag[i];
    assert.ok(Math.abs(c[i] - c64[i]) <= tol, `${what}: element ${i} ${c[i]} vs ${c64[i]} (tol ${tol})`);
  }
}

describe('matmul { fused }: where it runs', () => {
  it('sabre.features.relaxedSimd is this runtime\'s answer to a relaxed_madd module, decided at load', () => {
    assert.ok(Object.isFrozen(sabre.features));
    assert.equal(sabre.features.relaxedSimd, WebAssembly.validate(relaxed.PROBE));
    assert.equal(relaxed.PROBE.length, 37); // as README and js/relaxed.js say
    // The probe really is relaxed_madd: the same module with f32x4.add's
    // opcode (two operands, not three) is invalid everywhere.
    const wrong = Uint8Array.from(relaxed.PROBE);
    wrong.set([0xe4, 0x01], wrong.length - 3);
    assert.equal(WebAssembly.validate(wrong), false);
    const flagged = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].includes(RELAXED_FLAG);
    if (nodeMajor >= 22) assert.equal(sabre.features.relaxedSimd, true, 'Node 22 and later have relaxed SIMD by default');
    else assert.equal(sabre.features.relaxedSimd, flagged, `Node ${nodeMajor} has relaxed SIMD only with ${RELAXED_FLAG}`);
  });

  it('the default module compiles without relaxed SIMD; the fused module needs it', () => {
    const fs = require('node:fs');
    const wasm = (f) => fs.readFileSync(require('node:path').join(__dirname, '..', 'dist', 'wasm', f));
    assert.equal(WebAssembly.validate(wasm('sabre_bg.wasm')), true);
    assert.equal(WebAssembly.validate(wasm('sabre_relaxed_bg.wasm')), sabre.features.relaxedSimd);
  });
});

badInputSuite('matmul bad options.fused', [
  ...[1, 'yes', null, {}].map((fused) => ['matmul', () => [f32(4), f32(4), f32(4), 2, 2, 2, { fused }], TypeError, /"options\.fused" argument must be a boolean/]),
  ['scale', () => [f32(4), 2, { fused: true }], TypeError, /"options\.fused" argument must be false or undefined \(scale has no fused mode; matmul has\)/],
]);

for (const backend of backends()) {
  describe(`matmul { fused } (${backend.name})`, () => {
    after(() => backend.close());
    const supported = sabre.features.relaxedSimd;

    it('without relaxed SIMD: ERR_SABRE_RELAXED_SIMD_UNSUPPORTED naming the flag, nothing written, exact calls unaffected', { skip: supported && 'this runtime has relaxed SIMD' }, async () => {
      const [m, k, n] = [9, 17, 5];
      const a = randomShared(Float32Array, m * k, 41);
      const b = randomShared(Float32Array, k * n, 42);
      const c = sabre.shared.float32(m * n).fill(7);
      await assert.rejects(
        async () => backend.call('matmul', c, a, b, m, k, n, { fused: true }),
        (err) => {
          assert.equal(err.name, 'SabreError');
          assert.equal(err.code, 'ERR_SABRE_RELAXED_SIMD_UNSUPPORTED');
          assert.match(err.message, /--experimental-wasm-relaxed-simd/);
          assert.match(err.message, new RegExp(`Node ${process.version.replace(/\./g, '\\.')}`));
          return true;
        },
      );
      assert.ok(c.every((x) => x === 7), 'c untouched');
      await backend.call('matmul', c, a, b, m, k, n, { fused: false });
      check(c, a, b, m, k, n, 'fused: false is the exact mode');
    });

    it('is within the bound on every shape, exact where nothing rounds, special values', { skip: !supported && 'no relaxed SIMD here' }, async () => {
      for (const [m, k, n] of SHAPES) {
        const a = randomShared(Float32Array, m * k, m + 3 * k, 4);
        const b = randomShared(Float32Array, k * n, n + 7 * k, 4);
        const c = sabre.shared.float32(m * n).fill(NaN);
        const ret = await backend.call('matmul', c, a, b, m, k, n, { fused: true });
        assert.equal(ret, c, 'returns c');
        checkFused(c, a, b, m, k, n, `fused ${m}x${k}x${n}`);
      }
      const [m, k, n] = [37, 130, 29];
      const a = sabre.shared.from(randomShared(Float32Array, m * k, 1, 16).map(Math.round));
      const b = sabre.shared.from(randomShared(Float32Array, k * n, 2, 16).map(Math.round));
      const c = sabre.shared.float32(m * n);
      await backend.call('matmul', c, a, b, m, k, n, { fused: true });
      check(c, a, b, m, k, n, 'small integers'); // bit-exact, like the exact mode
      const x = sabre.shared.from(new Float32Array([1, Infinity, 0, 2]));
      const y = sabre.shared.from(new Float32Array([1, 0, 1, NaN]));
      const z = sabre.shared.float32(4);
      await backend.call('matmul', z, x, y, 2, 2, 2, { fused: true });
      assert.equal(z[0], Infinity);
      assert.ok(Number.isNaN(z[1]) && Number.isNaN(z[3]));
      assert.equal(z[2], 2);
    });

    it('fused and exact calls at once, on changing Bs: each mode keeps its own B cache', { skip: !supported && 'no relaxed SIMD here' }, async () => {
      const [m, k, n] = [1100, 64, 64]; // 2 bands
      const a = randomShared(Float32Array, m * k, 5, 2);
      const b = randomShared(Float32Array, k * n, 6, 2);
      const [c1, c2] = [sabre.shared.float32(m * n), sabre.shared.float32(m * n)];
      await Promise.all([backend.call('matmul', c1, a, b, m, k, n, { fused: true }), backend.call('matmul', c2, a, b, m, k, n)]);
      checkFused(c1, a, b, m, k, n, 'fused');
      check(c2, a, b, m, k, n, 'exact beside it');
      b.reverse();
      await backend.call('matmul', c1, a, b, m, k, n, { fused: true });
      checkFused(c1, a, b, m, k, n, 'fused after changing b');
    });
  });
}

describe('matmul { fused } gives the same bits on 1 and 3 threads and directly', { skip: !sabre.features.relaxedSimd && 'no relaxed SIMD here' }, () => {
  const pools = [new sabre.Pool({ threads: 1 }), new sabre.Pool({ threads: 3 })];
  after(() => Promise.all(pools.map((p) => p.close())));

  it('on a product of many bands', async () => {
    const [m, k, n] = [301, 129, 250]; // 3 bands
    const a = randomShared(Float32Array, m * k, 11);
    const b = randomShared(Float32Array, k * n, 12);
    const direct = sabre.kernels.matmul(sabre.shared.float32(m * n), a, b, m, k, n, { fused: true });
    for (const pool of pools) {
      const c = sabre.shared.float32(m * n);
      await pool.kernels.matmul(c, a, b, m, k, n, { fused: true });
      assert.deepEqual(c, direct, `${pool.threads} threads`);
    }
  });
});

// Node 20: the same checks in a child started with the flag (its pool's
// workers are threads of that process: they see the flag too).
describe(`matmul { fused } under ${RELAXED_FLAG}`, { skip: sabre.features.relaxedSimd && 'relaxed SIMD is on already' }, () => {
  it('is supported, within the bound, and the same bits directly and on a pool of 2', () => {
    const { execFileSync } = require('node:child_process');
    const script = `
      const assert = require('node:assert/strict');
      const sabre = require(${JSON.stringify(require('node:path').join(__dirname, '..', 'dist'))});
      assert.equal(sabre.features.relaxedSimd, true);
      const [m, k, n] = [67, 300, 45];
      const a = sabre.shared.from(new Float32Array(m * k).map((_, i) => Math.sin(i)));
      const b = sabre.shared.from(new Float32Array(k * n).map((_, i) => Math.cos(i)));
      const direct = sabre.kernels.matmul(sabre.shared.float32(m * n), a, b, m, k, n, { fused: true });
      const pool = new sabre.Pool({ threads: 2 });
      pool.kernels.matmul(sabre.shared.float32(m * n), a, b, m, k, n, { fused: true }).then((c) => {
        assert.deepEqual(c, direct);
        process.stdout.write(JSON.stringify({ direct: Array.from(direct), a: Array.from(a), b: Array.from(b) }));
        return pool.close();
      });`;
    const out = JSON.parse(execFileSync(process.execPath, [RELAXED_FLAG, '-e', script], { encoding: 'utf8' }));
    checkFused(out.direct, out.a, out.b, 67, 300, 45, `fused under ${RELAXED_FLAG}`);
  });
});
