'use strict';
// Kernel specs: primes in a range (segmented sieve). See js/kernels/index.js for the spec fields.

const v = require('../validate');
const { BYTE_GRAIN, PRIME_GRAIN, MAX_PRIME_CHUNKS, MAX_PRIME_GRAIN } = require('./grains');

// hi <= 2^53: above it doubles skip integers (2^53 + 1 is not a double).
const MAX_HI = 2 ** 53;

module.exports = {
  countPrimes: {
    params: ['lo', 'hi'],
    contract: { exports: ['countPrimes'] },
    prepare([lo, hi]) {
      v.integer('lo', lo, 0, MAX_HI);
      v.integer('hi', hi, lo, MAX_HI);
      return { lo, hi };
    },
    units: (c) => c.hi - c.lo,
    grain: (c) => Math.min(MAX_PRIME_GRAIN, Math.max(PRIME_GRAIN, Math.ceil((c.hi - c.lo) / MAX_PRIME_CHUNKS))),
    run(e, c, s, t) {
      return { value: e.kernel('countPrimes').call(c.lo + s, c.lo + t) };
    },
    combine: (c, partials) => partials.reduce((a, b) => a + b, 0),
  },

  markPrimes: {
    params: ['out', 'lo'],
    contract: { exports: ['markPrimes'] },
    prepare([rawOut, lo], shared) {
      const out = v.typedArray('out', rawOut, [Uint8Array], shared);
      v.integer('lo', lo, 0, MAX_HI - out.length);
      return { out, lo };
    },
    units: (c) => c.out.length,
    grain: () => BYTE_GRAIN,
    run(e, c, s, t) {
      const x = e.kernel('markPrimes');
      x.reserve('out', c.out, t - s);
      const value = x.call(t - s, c.lo + s);
      return { value, writes: [x.write('out', c.out, s, t)] };
    },
    combine: (c, partials) => partials.reduce((a, b) => a + b, 0),
  },

};
