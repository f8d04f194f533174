'use strict';
// nbodyStep through the direct call and the pool, against a plain JavaScript
// step written with the same operations in the same order (so the bits must
// match), plus the physics: energy and momentum conserved over many steps.

const { describe, it, after } = require('node:test');
const assert = require('node:assert/strict');
const { sabre, backends, badInputSuite, rng } = require('./helpers');

/** The drift-kick-drift step of src/kernels/nbody.rs, body by body. */
function stepReference(pos, vel, mass, dt, eps) {
  const n = mass.length;
  const h = dt * 0.5;
  const e2 = eps * eps;
  const half = new Float64Array(3 * n);
  for (let i = 0; i < 3 * n; i++) half[i] = pos[i] + vel[i] * h;
  for (let i = 0; i < n; i++) {
    const a = [0, 0, 0];
    for (let j = 0; j < n; j++) {
      const dx = half[3 * j] - half[3 * i];
      const dy = half[3 * j + 1] - half[3 * i + 1];
      const dz = half[3 * j + 2] - half[3 * i + 2];
      const r2 = dx * dx + dy * dy + dz * dz + e2;
      if (r2 !== 0) {
        const f = mass[j] / (r2 * Math.sqrt(r2));
        a[0] += f * dx;
        a[1] += f * dy;
        a[2] += f * dz;
      }
    }
    for (let d = 0; d < 3; d++) {
      vel[3 * i + d] = vel[3 * i + d] + a[d] * dt;
      pos[3 * i + d] = half[3 * i + d] + vel[3 * i + d] * h;
    }
  }
}

/** Kinetic plus softened potential energy (G = 1). */
function energy(pos, vel, mass, eps) {
  let e = 0;
  const n = mass.length;
  for (let i = 0; i < n; i++) {
    e += 0.5 * mass[i] * (vel[3 * i] ** 2 + vel[3 * i + 1] ** 2 + vel[3 * i + 2] ** 2);
    for (let j = i + 1; j < n; j++) {
      const r2 = (pos[3 * i] - pos[3 * j]) ** 2 + (pos[3 * i + 1] - pos[3 * j + 1]) ** 2 + (pos[3 * i + 2] - pos[3 * j + 2]) ** 2;
      e -= (mass[i] * mass[j]) / Math.sqrt(r2 + eps * eps);
    }
  }
  return e;
}

const momentum = (vel, mass) => [0, 1, 2].map((d) => mass.reduce((s, m, i) => s + m * vel[3 * i + d], 0));

/** A random cluster on shared memory. */
function cluster(n, seed, speed = 0.1) {
  const r = rng(seed);
  // (TypedArray#map would return an array on a plain ArrayBuffer.)
  const pos = sabre.shared.from(Float64Array.from({ length: 3 * n }, () => 2 * r() - 1));
  const vel = sabre.shared.from(Float64Array.from({ length: 3 * n }, () => speed * (2 * r() - 1)));
  const mass = sabre.shared.from(Float64Array.from({ length: n }, () => 0.5 + r()));
  return { pos, vel, mass };
}

// Bodies: none, one, an odd count (a SIMD pair with itself), and counts that
// split into several chunks (2^18 / n bodies each, even).
const SIZES = [0, 1, 2, 3, 5, 64, 600, 1001];

for (const backend of backends()) {
  describe(`nbodyStep (${backend.name})`, () => {
    after(() => backend.close());

    it('matches the reference step bit for bit', async () => {
      for (const n of SIZES) {
        for (const eps of [0, 0.05]) {
          const { pos, vel, mass } = cluster(n, n + 1);
          const [p, v] = [Float64Array.from(pos), Float64Array.from(vel)];
          stepReference(p, v, mass, 0.01, eps);
          const ret = await backend.call('nbodyStep', pos, vel, mass, 0.01, eps);
          assert.equal(ret, pos, 'returns pos');
          assert.deepEqual(new Float64Array(pos), p, `positions n=${n} eps=${eps}`);
          assert.deepEqual(new Float64Array(vel), v, `velocities n=${n} eps=${eps}`);
        }
      }
    });

    it('conserves energy to second order in dt, and momentum, over 300 steps', async () => {
      // 16 bodies in a unit cube (masses 0.5-1.5, G = 1, softening 0.1):
      // t = 0.3 with dt = 1e-3 (300 steps) and dt = 5e-4 (600 steps).
      // Measured: relative energy errors 8.5e-6 and 2.1e-6, a ratio of 4.0,
      // as a second-order integrator should give. Tolerances: error below
      // 3e-5 for dt = 1e-3, ratio between 3 and 5.
      const eps = 0.1;
      const errors = [];
      for (const [dt, steps] of [[1e-3, 300], [5e-4, 600]]) {
        const { pos, vel, mass } = cluster(16, 7);
        const e0 = energy(pos, vel, mass, eps);
        const p0 = momentum(vel, mass);
        const scale = mass.reduce((s, m, i) => s + m * Math.hypot(vel[3 * i], vel[3 * i + 1], vel[3 * i + 2]), 0);
        for (let s = 0; s < steps; s++) await backend.call('nbodyStep', pos, vel, mass, dt, eps);
        errors.push(Math.abs((energy(pos, vel, mass, eps) - e0) / e0));
        // Pairwise forces cancel up to rounding.
        const p1 = momentum(vel, mass);
        for (let d = 0; d < 3; d++) assert.ok(Math.abs(p1[d] - p0[d]) < 1e-12 * Math.max(1, scale), `momentum ${d}: ${p0[d]} -> ${p1[d]}`);
      }
      assert.ok(errors[0] < 3e-5, `energy error ${errors[0]}`);
      const ratio = errors[0] / errors[1];
      assert.ok(ratio > 3 && ratio < 5, `halving dt divides the energy error by ${ratio}`);
    });

    it('skips pairs at distance 0 without softening', async () => {
      const pos = sabre.shared.from(new Float64Array([0, 0, 0, 0, 0, 0, 1, 0, 0]));
      const vel = sabre.shared.float64(9);
      const mass = sabre.shared.from(new Float64Array([1, 1, 1]));
      await backend.call('nbodyStep', pos, vel, mass, 0.1, 0);
      assert.ok(pos.every(Number.isFinite) && vel.every(Number.isFinite));
      assert.ok(vel[0] > 0 && vel[6] < 0, 'the pair at the origin is pulled toward the third body');
      assert.equal(vel[0], vel[3]);
    });
  });
}

describe('nbodyStep gives the same bits on 1 and 3 threads and directly', () => {
  const pools = [new sabre.Pool({ threads: 1 }), new sabre.Pool({ threads: 3 })];
  after(() => Promise.all(pools.map((p) => p.close())));

  it('over 3 steps of 1200 bodies (5 chunks)', async () => {
    const start = cluster(1200, 3);
    const direct = { pos: Float64Array.from(start.pos), vel: Float64Array.from(start.vel) };
    for (let s = 0; s < 3; s++) sabre.kernels.nbodyStep(direct.pos, direct.vel, start.mass, 0.005, 0.01);
    for (const pool of pools) {
      const pos = sabre.shared.from(start.pos);
      const vel = sabre.shared.from(start.vel);
      for (let s = 0; s < 3; s++) await pool.kernels.nbodyStep(pos, vel, start.mass, 0.005, 0.01);
      assert.deepEqual(new Float64Array(pos), direct.pos, `${pool.threads} threads`);
      assert.deepEqual(new Float64Array(vel), direct.vel, `${pool.threads} threads`);
    }
  });
});

const f64 = (n) => sabre.shared.float64(n).fill(1);
const badCases = [
  [() => [new Float32Array(3), f64(3), f64(1), 0.1, 0], TypeError, /"pos" argument must be a Float64Array/],
  [() => [f64(3), f64(3), [1], 0.1, 0], TypeError, /"mass" argument/],
  [() => [f64(3), f64(3), f64(1), NaN, 0], RangeError, /"dt"/],
  [() => [f64(3), f64(3), f64(1), '0.1', 0], TypeError, /"dt" argument must be of type number/],
  [() => [f64(3), f64(3), f64(1), 0.1, -1], RangeError, /"softening"/],
  [() => [f64(3), f64(3), f64(1), 0.1, Infinity], RangeError, /"softening"/],
  [() => [f64(4), f64(4), f64(1), 0.1, 0], RangeError, /"pos.length"/],
  [() => [f64(6), f64(3), f64(2), 0.1, 0], RangeError, /"vel.length"/],
  [() => [f64(6), f64(6), f64(3), 0.1, 0], RangeError, /"mass.length"/],
  [() => {
    const x = f64(9);
    return [x.subarray(0, 3), x.subarray(3, 6), x.subarray(2, 3), 0.1, 0];
  }, RangeError, /"mass" argument overlaps the "pos"/],
  [() => {
    const x = f64(6);
    return [x, x, f64(2), 0.1, 0];
  }, RangeError, /"vel" argument overlaps/],
];

badInputSuite('nbodyStep bad input', badCases.map((c) => ['nbodyStep', ...c]));
