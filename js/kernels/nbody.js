'use strict';
// Kernel specs: direct-sum gravity, one leapfrog step. See js/kernels/index.js for the spec fields.
//
// Every body's new state depends on the old positions of all bodies, so no
// chunk may write before all have read. A chunk therefore returns the new
// positions and velocities of its bodies as its value (copied out of wasm
// memory), and `combine` writes them all into pos and vel once every chunk
// has finished, in chunk order. That also makes a step all-or-nothing: an
// aborted, failed or timed-out step leaves pos and vel untouched. The cost is
// O(n) copying per chunk (all positions, velocities and masses in, its bodies
// out) against O(n * chunk) force terms.

const v = require('../validate');
const { outOfRange } = require('../errors');

// Grain, measured on a 2-core x86-64 VM (Node 20, n = 1000 and 4000): the
// f64x2 kernel (two bodies per SIMD lane pair) costs 3.8-4.0 ns per
// body-body term, 1.8-1.9x faster than the build without +simd128 and
// 2.5-3.3x faster than the same loop in plain JS (all three give the same
// bits). A chunk computes ~2^18 terms (its bodies times n), about 1 ms.
const NBODY_WORK = 1 << 18;

module.exports = {
  nbodyStep: {
    params: ['pos', 'vel', 'mass', 'dt', 'softening'],
    contract: { exports: ['nbodyStep'] },
    prepare([rawPos, rawVel, rawMass, dt, softening], shared) {
      const pos = v.typedArray('pos', rawPos, [Float64Array], shared);
      const vel = v.typedArray('vel', rawVel, [Float64Array], shared);
      const mass = v.typedArray('mass', rawMass, [Float64Array], shared);
      v.finite('dt', dt);
      v.finite('softening', softening);
      if (softening < 0) throw outOfRange('softening', 'a finite number >= 0', softening);
      if (pos.length % 3 !== 0) throw outOfRange('pos.length', 'a multiple of 3 (x, y, z per body)', pos.length);
      v.sameLength('vel', vel, pos);
      if (mass.length !== pos.length / 3) throw outOfRange('mass.length', `pos.length / 3 = ${pos.length / 3}`, mass.length);
      v.noOverlap('vel', vel, 'pos', pos);
      v.noOverlap('mass', mass, 'pos', pos);
      v.noOverlap('mass', mass, 'vel', vel);
      return { pos, vel, mass, dt, softening };
    },
    units: (c) => c.mass.length, // bodies
    grain: (c) => 2 * Math.ceil(Math.max(1, Math.floor(NBODY_WORK / Math.max(1, c.mass.length))) / 2),
    run(e, c, s, t) {
      const n = c.mass.length;
      const x = e.kernel('nbodyStep');
      x.load('pos', c.pos, 0, 3 * n);
      x.load('vel', c.vel, 0, 3 * n);
      x.load('mass', c.mass, 0, n);
      return { value: x.call(n, s, t, c.dt, c.softening) };
    },
    combine(c, partials) {
      let at = 0;
      for (const part of partials) {
        const len = part.length / 2;
        c.pos.set(part.subarray(0, len), at);
        c.vel.set(part.subarray(len), at);
        at += len;
      }
      return c.pos;
    },
  },
};
