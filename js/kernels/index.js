'use strict';
// The kernel table: for each kernel, how its arguments are checked, how a
// call splits into chunks, how one chunk runs on an Engine, and how partial
// results combine. Both the direct path and the pool's workers use it.
// Most kernels are declarations (js/declare.js) from which these fields are
// derived; the others write `run` by hand (see docs/ARCHITECTURE.md).
//
// Spec fields:
//   params            argument names (the arity; a pool call may add options)
//   contract          { exports, slots?, args? }: the wasm exports it calls
//                     (checked against the wasm's contract by
//                     test-node/contract.test.js; js/declare.js fills it in)
//   prepare(args, shared)  checks arguments, returns the call's plain-data form
//   units(call)       total units of work; grain(call): units per chunk
//   run(engine, call, start, end) -> { value, writes }
//   combine(call, partials)  the call's result from chunk results in order,
//                     or a Continuation (js/chunks.js) to run a further pass
//   plan(call)        a multi-pass kernel only: [units, grain] of every pass
//                     its combines will chain, so progress has one total
//                     (js/executor.js)
//   slices(call)      optional: { NAME: how a chunk reads array NAME }:
//                     { align } a chunk of units [s, t) reads only elements
//                     [s * align, t * align); { read: false } none (scratch,
//                     written only); absent: all of it. A cluster worker
//                     fetches no more (js/cluster/worker.js); declared
//                     kernels derive it (js/declare.js)
//   faultPoint(phase, call, start, end)  test-only kernels: called by the
//                     worker inside a write-back ('committing', 'committed')
// prepare returns canonical views of typed arrays (js/validate.js), never the
// caller's own objects; see docs/ARCHITECTURE.md.

// Each family lives in its own file beside this one; this file joins them.
const kernels = Object.freeze({
  ...require('./map'),
  ...require('./bytes'),
  ...require('./reduce'),
  ...require('./primes'),
  ...require('./mandelbrot'),
  ...require('./stencil'),
  ...require('./matmul'),
  ...require('./nbody'),
  ...require('./kmeans'),
  ...require('./sort'),
});

/** The built-in kernels plus those of `kernelsModule` (its `kernels` export). */
function kernelTable(kernelsModule) {
  return kernelsModule ? { ...kernels, ...require(kernelsModule).kernels } : kernels;
}

module.exports = { kernels, kernelTable };
