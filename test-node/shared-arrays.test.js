'use strict';
// sabre.shared's arrays live in this thread's shared WebAssembly.Memory
// (js/shared.js): ordinary typed arrays to everything else, zeroed like a new
// SharedArrayBuffer, freed explicitly (free, Symbol.dispose) or by the
// collector's backstop, and kernels run on them without copies, directly
// and on a pool.

const { describe, it, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { root } = require('./helpers');

const dist = path.join(root, 'dist');
const sabre = require(dist);
const { paths } = require(path.join(dist, 'declare.js'));

/** Runs `code` in a fresh Node (with `sabre` required), returns its stdout lines; fails on a non-zero exit. */
function fresh(code, args = []) {
  const r = spawnSync(process.execPath, [...args, '-e', `const sabre = require(${JSON.stringify(dist)});\n${code}`], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim().split('\n');
}

describe('sabre.shared arrays', () => {
  const pool = new sabre.Pool({ threads: 2 });
  after(() => pool.close());

  it('are ordinary typed arrays over one shared memory, and kernels run on them without copies', async () => {
    const x = sabre.shared.float32(1000);
    const y = sabre.shared.float32(1000);
    assert.ok(x instanceof Float32Array && x.buffer instanceof SharedArrayBuffer);
    assert.ok(sabre.shared.isShared(x) && sabre.shared.isAllocated(x));
    assert.equal(x.byteOffset % 8, 0);
    assert.ok(x.byteOffset + x.byteLength <= y.byteOffset || y.byteOffset + y.byteLength <= x.byteOffset, 'distinct arrays');
    assert.ok(!sabre.shared.isAllocated(x.subarray(1)), 'a subarray is not an allocation');
    assert.ok(!sabre.shared.isAllocated(new Float32Array(new SharedArrayBuffer(8))));
    x.fill(2);
    const before = { ...paths };
    sabre.kernels.scale(x, 1.5);
    assert.ok(paths.zeroCopy > before.zeroCopy && paths.copy === before.copy, 'the direct call took the zero-copy path');
    await pool.kernels.axpy(y, 2, x);
    assert.ok(paths.poolZeroCopy > before.poolZeroCopy, 'the pool call took the zero-copy path');
    assert.ok(y.every((v) => v === 6));
    // A subarray still works, through the copy path.
    sabre.kernels.scale(x.subarray(10, 20), 2);
    assert.equal(x[9], 3);
    assert.equal(x[10], 6);
    assert.ok(paths.copy > before.copy);
    sabre.shared.free(x);
    sabre.shared.free(y);
  });

  it('are zeroed, even where a freed array was', () => {
    for (let round = 0; round < 3; round++) {
      const xs = Array.from({ length: 8 }, (_, i) => sabre.shared.float64(1000 + i * 7));
      for (const x of xs) {
        assert.ok(x.every((v) => v === 0), `a new array holds zeros (round ${round})`);
        x.fill(-1);
      }
      for (const x of xs) sabre.shared.free(x);
    }
    const big = sabre.shared.uint8(3 << 20).fill(255);
    sabre.shared.free(big);
    assert.ok(sabre.shared.uint8(3 << 20).every((v) => v === 0));
  });

  it('free: twice, foreign arrays, hand-made views and subarrays are clear errors', () => {
    const x = sabre.shared.float64(16);
    assert.throws(() => sabre.shared.free(new Float64Array(16)), { name: 'TypeError', code: 'ERR_SABRE_NOT_SHARED' });
    assert.throws(() => sabre.shared.free(x.subarray(0)), { name: 'TypeError', code: 'ERR_SABRE_NOT_SHARED' });
    assert.throws(() => sabre.shared.free(new Float64Array(x.buffer, x.byteOffset, 16)), { code: 'ERR_SABRE_NOT_SHARED', message: /made by hand/ });
    assert.throws(() => sabre.shared.free({ length: 1 }), { code: 'ERR_SABRE_NOT_SHARED' });
    sabre.shared.free(x);
    assert.throws(() => sabre.shared.free(x), { code: 'ERR_SABRE_FREED' });
    assert.throws(() => sabre.kernels.sum(x), { code: 'ERR_SABRE_FREED', message: /"x" was freed/ });
  });

  it('Symbol.dispose frees an array once; a freed array is left as is', () => {
    const before = sabre.shared.usage().arrays;
    const x = sabre.shared.float32(64);
    assert.equal(sabre.shared.usage().arrays, before + 1);
    assert.equal(Object.keys(x).length, 64, 'the dispose method is not enumerable');
    x[Symbol.dispose]();
    assert.equal(sabre.shared.usage().arrays, before);
    x[Symbol.dispose]();
    assert.throws(() => sabre.shared.free(x), { code: 'ERR_SABRE_FREED' });
  });

  it('allocation beyond the memory is a RangeError naming the size asked and the size left; everything keeps working', async () => {
    const { maximumBytes } = sabre.shared.usage();
    assert.equal(maximumBytes, 2 ** 32);
    assert.throws(() => sabre.shared.float64(2 ** 29 + 1), (err) => {
      assert.equal(err.name, 'RangeError');
      assert.equal(err.code, 'ERR_SABRE_SHARED_MEMORY_FULL');
      assert.match(err.message, new RegExp(`cannot allocate ${(2 ** 29 + 1) * 8} bytes`));
      assert.match(err.message, /bytes of the 4294967296-byte maximum are not yet grown into/);
      return true;
    });
    const x = sabre.shared.float64(1000).fill(1);
    assert.equal(await pool.kernels.sum(x), 1000);
    sabre.shared.free(x);
  });

  it('arrays dropped without free() come back to the memory: 3 GiB allocated in 48 MiB arrays, the memory stays small', () => {
    // In a fresh process, so that this file's other arrays do not count.
    const [grown, live] = fresh(`
      (async () => {
        for (let i = 0; i < 64; i++) {
          const x = sabre.shared.float64(6 << 20);
          x[x.length - 1] = i;
          if (sabre.kernels.max(x) !== i) throw new Error('wrong max');
          await new Promise(setImmediate);
        }
        const u = sabre.shared.usage();
        console.log(u.grownBytes);
        console.log(u.arrays);
      })();`);
    assert.ok(Number(grown) < 2 ** 30, `grown into ${grown} bytes for 3 GiB of arrays never freed`);
    assert.ok(Number(live) <= 24, `${live} arrays still live`);
  });
});

describe('sabre.shared under pool workers', () => {
  it('growth while workers hold views: arrays made after the memory grew run on the workers, exact', async () => {
    const pool = new sabre.Pool({ threads: 2 });
    try {
      const low = sabre.shared.float64(1 << 16).fill(1);
      assert.equal(await pool.kernels.sum(low), 1 << 16); // the workers attach with the memory as it is
      const grownBefore = sabre.shared.usage().grownBytes;
      const held = [];
      while (sabre.shared.usage().grownBytes < grownBefore + (256 << 20)) held.push(sabre.shared.float64(4 << 20));
      const high = held.at(-1).fill(0.5);
      assert.ok(high.byteOffset > grownBefore, 'the array lies beyond what the workers first saw');
      const [sumHigh, sumLow] = await Promise.all([pool.kernels.sum(high), pool.kernels.sum(low)]);
      assert.equal(sumHigh, (4 << 20) * 0.5);
      assert.equal(sumLow, 1 << 16);
      await pool.kernels.scale(high, 4, { transactional: false });
      assert.ok(high.every((v) => v === 2));
      await pool.kernels.scale(high, 0.25);
      assert.ok(high.every((v) => v === 0.5));
      for (const a of [low, ...held]) sabre.shared.free(a);
    } finally {
      await pool.close();
    }
  });

  it('100 workers started and ended leave the memory flat (their stacks and scratch are freed)', async () => {
    const x = sabre.shared.float32(1 << 20).fill(1);
    const grown = [];
    for (let round = 0; round < 50; round++) {
      const pool = new sabre.Pool({ threads: 2 });
      assert.equal(await pool.kernels.sum(x), 1 << 20);
      await pool.close();
      grown.push(sabre.shared.usage().grownBytes);
    }
    assert.equal(grown.at(-1), grown[2], `grown bytes after each pool: ${grown.join(', ')}`);
    sabre.shared.free(x);
  });
});
