'use strict';
// The kernel a cluster worker runs on its local Pool (added to the pool's
// table through the internal `kernelsModule` option, js/internal.js): pool
// chunks `[first, end)` of a kernel's pass, exactly as the pool cuts it. Its
// chunk `i` is the pass's chunk `first + i` (it starts at unit
// `first * grain`, a multiple of the grain), so every partial is the one a
// local call would have made, and the client combines them all in order.
// Its result is the list of those chunks' `{ value, writes }`, each write
// `[name, from, to]`: which argument array, which elements.
//
// `_clusterRange` runs a built-in kernel (or a pass of one) named in the
// range; a user's kernel gets its own range kernel, `_clusterRange:NAME`,
// derived when its declaration is loaded (`derive`, called by the pool and
// by its worker threads), so it runs on that crate's engine.

const { kernels } = require('../kernels');

/** The name of the argument that is `view`. */
function nameOf(args, view) {
  for (const key of Object.keys(args)) if (args[key] === view) return key;
  throw new Error('sabre cluster: a chunk wrote an array that is not one of its arguments');
}

/** A range kernel over the spec `specOf(range)` returns. */
const rangeOf = (specOf) => ({
  params: ['range'],
  // `range`: { kernel, args, units, grain, first, end }, made by the worker
  // from a job's data (js/cluster/worker.js); args are already prepared.
  prepare: ([range]) => range,
  units: (r) => Math.max(0, Math.min(r.units, r.end * r.grain) - r.first * r.grain),
  grain: (r) => r.grain,
  run(engine, r, start, end) {
    const offset = r.first * r.grain;
    const out = specOf(r).run(engine, r.args, start + offset, end + offset);
    const writes = out.writes?.map(([, view, from, to]) => [nameOf(r.args, view), from, to]);
    return { value: { value: out.value, writes }, writes: out.writes };
  },
  combine: (r, partials) => partials,
});

/** The range kernels of a user declaration's specs (by qualified name). */
function derive(specs) {
  const out = {};
  for (const [name, spec] of Object.entries(specs)) {
    out[`_clusterRange:${name}`] = { ...rangeOf(() => spec), gluePath: spec.gluePath, definition: spec.definition, displayName: spec.displayName };
  }
  return out;
}

module.exports = { kernels: { _clusterRange: rangeOf((r) => kernels[r.kernel]) }, derive };
