'use strict';
// Shared by the node:test suites: the package under test (dist/, exactly as
// published), the two backends every kernel test runs against, and seeded
// random data.

const assert = require('node:assert/strict');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const sabre = require(path.join(root, 'dist'));

const faultGlue = path.join(root, 'build', 'wasm-faults', 'sabre.js');
const faultKernels = path.join(__dirname, 'fixtures', 'fault-kernels.js');

const { kInternal } = require(path.join(root, 'dist', 'internal.js'));

/**
 * A pool that can also run the test-only fault kernels (through the private
 * test wiring); `internal` adds internal options (js/internal.js), such as
 * `batchChunks`.
 */
function faultPool(options = {}, internal = {}) {
  return new sabre.Pool({ ...options, [kInternal]: { gluePath: faultGlue, kernelsModule: faultKernels, ...internal } });
}

/**
 * The two ways to call a kernel. Both take the same arguments and are
 * awaited, so one test body checks both; `pool` uses 3 threads so that chunks
 * really are spread and finish out of order.
 */
function backends() {
  let pool = null;
  return [
    { name: 'direct', call: async (k, ...args) => sabre.kernels[k](...args), close: async () => {} },
    {
      name: 'pool',
      call: (k, ...args) => {
        pool ??= new sabre.Pool({ threads: 3 });
        return pool.kernels[k](...args);
      },
      close: async () => pool?.close(),
    },
  ];
}

/** Mulberry32: seeded floats in [0, 1). */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomShared(Type, n, seed, scale = 200) {
  const r = rng(seed);
  const out = sabre.shared.from(new Type(n), Type);
  for (let i = 0; i < n; i++) out[i] = Type === Uint8Array || Type === Uint8ClampedArray ? Math.floor(r() * 256) : (r() - 0.5) * scale;
  return out;
}

/**
 * Asserts that two typed arrays hold the same bytes: their own ranges, never
 * `.buffer` (in sabre.shared that is the whole shared memory, and a
 * Buffer.from(buffer) is a live view, not a copy). A failure names the first
 * differing byte instead of diffing megabytes (which can run a process out
 * of heap).
 */
function assertSameBytes(actual, expected, message = 'same bytes') {
  const a = Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength);
  const b = Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength);
  if (a.equals(b)) return;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  assert.fail(`${message}: ${a.length} and ${b.length} bytes, first difference at byte ${i} (${a[i]} vs ${b[i]})`);
}

const snapshot = (args) => args.filter(ArrayBuffer.isView).map((a) => a.slice());

/**
 * Bad-input cases `[kernel, makeArgs, ErrorClass, messagePattern]`, run on
 * both backends: each must reject with that class, a message naming the
 * argument and a `code`, and leave every array argument untouched.
 */
function badInputSuite(title, cases) {
  const { describe, it, after } = require('node:test');
  for (const backend of backends()) {
    describe(`${title} (${backend.name})`, () => {
      after(() => backend.close());
      for (const [kernel, make, Cls, pattern] of cases) {
        it(`${kernel}: ${pattern}`, async () => {
          const args = make();
          const before = snapshot(args);
          await assert.rejects(async () => backend.call(kernel, ...args), (err) => {
            assert.ok(err instanceof Cls, `${err.name}: ${err.message}`);
            assert.match(err.message, pattern);
            assert.ok(err.code, 'has a code');
            return true;
          });
          assert.deepEqual(snapshot(args), before, 'arguments untouched');
        });
      }
    });
  }
}

module.exports = { root, sabre, faultPool, backends, badInputSuite, rng, randomShared, assertSameBytes };
