'use strict';
// Users' own kernels (examples/custom-kernel): the same suite on the direct
// path and the pool, against plain-JS references; per-worker state; the
// mistakes a user can make, each a clear error rather than a hang.

const { describe, it, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { sabre, randomShared, assertSameBytes } = require('./helpers');
const mine = require('../examples/custom-kernel/kernels');

const model = require('../examples/custom-kernel/model.json').coefficients;
const polyRef = (x) => model.reduceRight((acc, c) => acc * x + c, 0);

const backends = () => {
  let pool = null;
  return [
    { name: 'direct', get: () => sabre.load(mine), close: async () => {} },
    {
      name: 'pool',
      get: () => (pool ??= new sabre.Pool({ threads: 3 })).load(mine),
      close: async () => pool?.close(),
    },
  ];
};

for (const b of backends()) {
  describe(`custom kernels (${b.name})`, () => {
    after(() => b.close());

    it('a map with per-instance state (polyval, model loaded by init)', async () => {
      const k = b.get();
      for (const n of [0, 1, 7, (1 << 18) - 1, (1 << 18) + 1, 3 << 18]) {
        const x = randomShared(Float64Array, n, n + 1, 4);
        const y = sabre.shared.float64(n).fill(NaN);
        const ret = await k.polyval(y, x);
        assert.equal(ret, y, 'returns the written array');
        for (let i = 0; i < n; i++) assert.equal(y[i], polyRef(x[i]), `n=${n} i=${i}`);
      }
    });

    it('a reduction combined in chunk order (sumSquares)', async () => {
      const k = b.get();
      const x = randomShared(Float64Array, (5 << 18) + 3, 9, 2);
      // The reference adds per-chunk sums in chunk order, as sabre does.
      let want = 0;
      for (let c = 0; c < x.length; c += 1 << 18) {
        let s = 0;
        for (const v of x.subarray(c, c + (1 << 18))) s += v * v;
        want = c === 0 ? s : want + s;
      }
      assert.equal(await k.sumSquares(x), want);
    });

    it('bad arguments are TypeError/RangeError naming them; kernel errors keep their message', async () => {
      const k = b.get();
      await assert.rejects(async () => k.polyval(sabre.shared.float64(3), [1, 2, 3]), { name: 'TypeError', message: /"x" argument must be a Float64Array/ });
      await assert.rejects(async () => k.polyval(sabre.shared.float64(3), sabre.shared.float64(4)), { name: 'RangeError', message: /"x.length"/ });
    });
  });
}

describe('custom kernels on a pool: abort, stats', () => {
  it('abort and stats work as for built-ins', async () => {
    const pool = new sabre.Pool({ threads: 2 });
    const k = pool.load(mine);
    const x = sabre.shared.float64(1 << 20).fill(1);
    const ac = new AbortController();
    const aborted = k.sumSquares(x, { signal: ac.signal });
    ac.abort();
    await assert.rejects(aborted, { name: 'AbortError' });
    assert.equal(await k.sumSquares(x), 1 << 20);
    const stats = pool.stats().sinceStart.kernels['sumSquares (kernels.js)'];
    assert.equal(stats.calls, 2);
    assert.equal(stats.failed, 1);
    assert.ok(stats.chunks >= 4 && stats.chunks <= 8, 'the finished call ran 4 chunks; the aborted one ran at most 4');
    await pool.close();
  });
});

describe('a worker that does not start the chunks queued at it', () => {
  // The fixture holds every worker but the first one that loads it in its
  // init (as a model load that takes long would), until the test releases
  // it: the chunks queued at the held worker, its first one included, must
  // move to the idle one (js/pool/scheduler.js #steal), or the call would
  // wait for the held worker. Released at the end either way.
  it('an idle worker takes them over, the head chunk too: the call settles while the other is still held', async () => {
    const fs = require('node:fs');
    const os = require('node:os');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sabre-slow-'));
    process.env.SABRE_TEST_SLOW_DIR = dir; // read by the workers' init
    const pool = new sabre.Pool({ threads: 2 });
    let timer;
    try {
      const file = path.join(__dirname, 'fixtures', 'custom', 'slow-second-worker.js');
      const onPool = pool.load(require(file));
      const direct = sabre.load(require(file));
      // One chunk: one worker loads the declaration and is the first.
      await onPool.polyval(sabre.shared.float64(16), randomShared(Float64Array, 16, 1));
      // Eight chunks: the other worker gets its first with the declaration and is held.
      const n = 8 << 18;
      const x = randomShared(Float64Array, n, 2);
      const y = sabre.shared.float64(n);
      const held = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('the call waited for the held worker (20 s)')), 20_000);
      });
      assert.equal(await Promise.race([onPool.polyval(y, x), held]), y);
      const want = new Float64Array(n);
      direct.polyval(want, new Float64Array(x));
      assertSameBytes(y, want);
      assert.ok(!fs.existsSync(path.join(dir, 'release')), 'released before the call settled');
    } finally {
      clearTimeout(timer);
      fs.writeFileSync(path.join(dir, 'release'), '');
      await pool.close();
      delete process.env.SABRE_TEST_SLOW_DIR;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('mistakes in the user module are clear errors', () => {
  const fixture = (name) => require(path.join(__dirname, 'fixtures', 'custom', `bad-${name}.js`));
  const cases = [
    ['path', 'ERR_SABRE_MODULE_NOT_FOUND', /no such file .*no-such-pkg/],
    ['export', 'ERR_SABRE_MISSING_EXPORT', /no export "sum_of_squares" \(it exports: .*sum_squares/],
    ['signature', 'ERR_SABRE_SIGNATURE', /"sum_squares" takes 1 arguments but the declaration passes 2 \(x, extra\)/],
  ];
  for (const [name, code, message] of cases) {
    it(`wrong ${name}: ${code}, on the direct path and on a pool`, () => {
      assert.throws(() => sabre.load(fixture(name)), { code, message });
      const pool = new sabre.Pool({ threads: 1 });
      assert.throws(() => pool.load(fixture(name)), { code, message });
      return pool.close();
    });
  }

  it('a declaration that fails only in the workers rejects every call with its error', async () => {
    const pool = new sabre.Pool({ threads: 2 });
    const k = pool.load(fixture('worker-init'));
    const x = sabre.shared.float64(3 << 18);
    for (let i = 0; i < 2; i++) {
      await assert.rejects(k.polyval(sabre.shared.float64(3 << 18), x), { message: 'model.bin is missing in this worker' });
    }
    await pool.close();
  });

  it('a malformed declaration is a TypeError when it is made', () => {
    const bad = [
      [{ wasm: 5, kernels: { a: { params: [] } } }, /`wasm` must be the path/],
      [{ wasm: 'x.js', kernels: {} }, /at least one kernel/],
      [{ wasm: 'x.js', kernels: { a: { params: [{ name: 'x', type: 'number' }] } } }, /needs one parameter with `split`/],
      [{ wasm: 'x.js', kernels: { a: { params: [{ name: 'x', split: 'sideways', type: Float64Array }] } } }, /split must be 'in', 'inout' or 'out'/],
      [{ wasm: 'x.js', kernels: { a: { params: [{ name: 'x', split: 'in' }] } } }, /type \(x\) must be a typed-array class/],
      // A misspelt key would be ignored and its default used: refused by name.
      [{ wasm: 'x.js', kernel: {} }, /the definition has an unknown key `kernel` \(it may have: wasm, init, kernels\)/],
      [{ wasm: 'x.js', kernels: { a: { params: [{ name: 'x', split: 'in', type: Float64Array }], grains: 4 } } }, /kernels\.a has an unknown key `grains`/],
      [{ wasm: 'x.js', kernels: { a: { params: [{ name: 'x', split: 'in', type: Float64Array, aling: 2 }] } } }, /kernels\.a\.params\[0\] has an unknown key `aling`/],
    ];
    for (const [def, message] of bad) {
      assert.throws(() => sabre.defineKernels(module, def), { name: 'TypeError', code: 'ERR_SABRE_KERNEL_DEFINITION', message });
    }
    assert.throws(() => sabre.defineKernels({}, { wasm: 'x.js', kernels: {} }), /`module`/);
    assert.throws(() => sabre.load({}), { name: 'TypeError', message: /defineKernels/ });
  });
});

it('examples/custom-kernel runs as written', () => {
  const { spawnSync } = require('node:child_process');
  const r = spawnSync(process.execPath, [path.join(__dirname, '..', 'examples', 'custom-kernel'), '300000'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.n, 300000);
  assert.equal(out.sameDirect, true);
});
