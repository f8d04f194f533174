'use strict';
// Crash drills: every kernel that writes into the caller's arrays, called
// again and again on the pool while pool.simulateCrash() ends a busy worker
// at a seeded random moment (a random delay, or right after a seeded number
// of chunks have reported, when the other worker may have just written a
// chunk back and not yet replied). Every call must still resolve with exactly
// what the direct call computes on a copy of the same input: no chunk applied
// twice, none half-written, no value of a written chunk lost.
// SABRE_DRILL_SEED replays a run; SABRE_DRILL_CALLS sets calls per kernel.

const { describe, it, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { sabre, rng } = require('./helpers');

const SEED = Number(process.env.SABRE_DRILL_SEED ?? 20261201);
const CALLS = Number(process.env.SABRE_DRILL_CALLS ?? 16);
const userFaults = path.join(__dirname, 'fixtures', 'user-faults.js');

function sharedFloats(r, n, Type = Float64Array) {
  const x = sabre.shared.from(new Type(n), Type);
  for (let i = 0; i < n; i++) x[i] = Math.round((r() - 0.5) * 64) / 4;
  return x;
}
function sharedBytes(r, n) {
  const x = sabre.shared.uint8(n);
  for (let i = 0; i < n; i++) x[i] = Math.floor(r() * 256);
  return x;
}
const copy = (a) => (ArrayBuffer.isView(a) ? a.slice() : a);

const CHUNKS = 12; // chunks per call: crashes land mid-call
const MAP = CHUNKS << 18; // elements, at 2^18 per chunk
const BYTES = CHUNKS << 20; // bytes, at 2^20 per chunk
const user = require(userFaults);

// kernel -> (random) => arguments; the first typed-array arguments are the
// ones written in place, compared after each call.
const drills = {
  scale: (r) => [sharedFloats(r, MAP), 3],
  axpy: (r) => [sharedFloats(r, MAP, Float32Array), 2, sharedFloats(r, MAP, Float32Array)],
  axpby: (r) => [sharedFloats(r, MAP), 0.5, sharedFloats(r, MAP), -2],
  invert: (r) => [sharedBytes(r, BYTES)],
  xorKey: (r) => [sharedBytes(r, BYTES), sabre.shared.from(Uint8Array.of(7, 91, 200, 13, 255))],
  brightnessContrast: (r) => [sharedBytes(r, BYTES), 17, 1.25],
  markPrimes: (r) => [sabre.shared.uint8(BYTES), Math.floor(r() * 1e9)],
  kmeansStep: (r) => {
    const points = sharedFloats(r, 8 * 2 ** 16 * 2, Float32Array); // 2^17 points of 8 dims
    const centroids = sharedFloats(r, 8 * 16, Float32Array);
    return [points, 8, centroids, sabre.shared.int32(points.length / 8).fill(-1)];
  },
  sort: (r) => [sharedFloats(r, 5 << 18)],
  matmul: (r) => [sabre.shared.float32(256 * 256), sharedFloats(r, 256 * 256, Float32Array), sharedFloats(r, 256 * 256, Float32Array), 256, 256, 256],
  'user scaleInout': (r) => [sharedFloats(r, 64 * 1024), -1.5],
  'user addOne': (r) => [sharedFloats(r, 64 * 1024), { any: 'value' }],
};

describe(`crash drills (seed ${SEED}, ${CALLS} calls per kernel)`, () => {
  const pool = new sabre.Pool({ threads: 2 });
  const mine = pool.load(user);
  const direct = sabre.load(user);
  let crashes = 0;
  after(async () => {
    await pool.close();
    assert.ok(crashes >= Object.keys(drills).length, `crashes landed: ${crashes}`);
  });

  for (const [name, make] of Object.entries(drills)) {
    it(`${name}: every result exact under random crashes`, async () => {
      const r = rng(SEED ^ [...name].reduce((h, c) => (h * 31 + c.charCodeAt(0)) | 0, 0));
      const [onPool, onThread] = name.startsWith('user ')
        ? [mine[name.slice(5)], direct[name.slice(5)]]
        : [pool.kernels[name], sabre.kernels[name]];
      for (let i = 0; i < CALLS; i++) {
        const args = make(r);
        const expectedArgs = args.map(copy);
        const expected = onThread(...expectedArgs);
        // Crash after a delay of 0-8 ms, or once `at` chunks have reported.
        const byProgress = r() < 0.5;
        const at = 1 + Math.floor(r() * CHUNKS);
        const delay = r() * 8;
        let fired = false;
        const crash = () => {
          if (!fired && pool.simulateCrash() !== null) crashes++;
          fired = true;
        };
        const timer = byProgress ? null : setTimeout(crash, delay);
        const got = await onPool(...args, byProgress ? { onProgress: ({ chunksDone }) => chunksDone === at && crash() } : undefined);
        clearTimeout(timer);
        const what = `${name} call ${i} (crash ${byProgress ? `after ${at} chunks` : `at ${delay.toFixed(1)} ms`})`;
        if (ArrayBuffer.isView(expected)) assert.equal(got, args[expectedArgs.indexOf(expected)], `${what}: returns the caller's array`);
        else assert.deepEqual(got, expected, `${what}: value`);
        args.forEach((a, k) => {
          if (ArrayBuffer.isView(a)) assert.deepEqual(a, expectedArgs[k], `${what}: argument ${k}`);
        });
      }
    });
  }
});
