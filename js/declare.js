'use strict';
// The declarative kernel model: a kernel said as its parameters, from which
// the spec (js/kernels/index.js) is derived: argument checks, units and
// grain, loads into the scratch slots, the export call, write-backs, combine.
//
//   declare({
//     export: 'axpy',                 // wasm export; + F32/F64/I32/U32 by the
//                                     // element type when `suffixed` (default)
//     params: [
//       { name: 'y', split: 'inout', type: v.FLOATS },   // cut into chunks
//       { name: 'a', scalar: v.number },                 // checked, passed whole
//       { name: 'x', split: 'in', type: v.FLOATS },
//     ],
//     grain: MAP_GRAIN,               // units per chunk
//     combine: (call, partials) => ..., // default: the first written array
//   })
//
// Split arrays: 'in' is read, 'inout' read and written in place, 'out'
// written only. `align` elements make one unit (4 for RGBA pixels); every
// split array is as long as the first in units (and of its element type
// when declared with the same types), and a written one may not partly
// overlap another. `broadcast` arrays are passed whole to every chunk (read
// only); an `offset` parameter is no argument but the chunk's first unit.
// Users' kernels (js/custom.js) are declared with these same roles. The export takes the chunk's length in
// elements, then the scalars (or the fields `args` names), and finds each split array
// in the scratch slot of its name (src/bindings, `export!`): the contract
// test checks the names, the arguments and the slots against the wasm.
//
// Zero copy (issue 11, direct path so far): when every split array of a
// call is a live allocation of one shared memory (js/shared-memory.js) made
// on this thread, each chunk runs on that memory's own instance of the
// shared-memory build, through the export of the same name: 'in' arrays by
// address, written ones through its scratch region and the usual commit.
// Any other array keeps the copy path. On a pool, the pool asks `zeroCopy`
// and sends its workers an instance on that memory (js/pool, js/worker.js),
// set as their engine's `zeroCopy` for the pass. `paths` counts the chunks
// of each path (poolZeroCopy: chunks the pool sent so, counted here);
// NODE_DEBUG=sabre logs every zero-copy chunk (in workers too).
//
// Built-ins with a hand-written `run` (their chunks are not plain slices of
// their arrays) are listed in docs/ARCHITECTURE.md.

const v = require('./validate');
const { outOfRange } = require('./errors');
const { from: sharedFrom, isShared } = require('./shared');
const { ownerOf, assertNotFreed } = require('./shared-memory');

const debuglog = require('node:util').debuglog('sabre');

/**
 * The largest in-place map chunk, in grains (grain, below): 2^24 f32
 * elements, ~2.5 ms here. Measured on scale/axpy 1e7 f32, pool×2 (ms):
 * 2^20-element chunks 2.07 / 3.27, 2^21 1.96 / 3.17, one chunk per thread
 * (5e6) 1.38 / 1.73; native rayon×2 0.93 / 1.74.
 */
const IN_PLACE_MAX_GRAINS = 64;

/** Chunks run by declared kernels, by path (see above): for tests and stats. */
const paths = { copy: 0, zeroCopy: 0, poolZeroCopy: 0 };

const SUFFIXES = new Map([
  [Float32Array, 'F32'],
  [Float64Array, 'F64'],
  [Int32Array, 'I32'],
  [Uint32Array, 'U32'],
]);

/** The export of a suffixed kernel for arrays like `view`. */
const exportFor = (base, view) => base + SUFFIXES.get(view.constructor);


const typesOf = (p) => [].concat(p.type);

/**
 * The spec of a declared kernel. `decl.run` replaces the derived run (a
 * user's kernel: its ABI is wasm-bindgen's, see js/custom.js); without it
 * the kernel runs through sabre's scratch slots as described above.
 */
function declare(decl) {
  const { params, grain } = decl;
  const splits = params.filter((p) => p.split);
  const scalars = params.filter((p) => !p.split && !p.broadcast && !p.offset);
  const first = splits[0];
  const alignOf = (p) => p.align ?? 1;
  const unitsOf = (p, view) => view.length / alignOf(p);
  const written = splits.filter((p) => p.split !== 'in');
  // An in-place map: what `transactional: false` changes (no value to combine).
  const inPlaceMap = written.length > 0 && !decl.combine && !decl.run;
  const suffixed = decl.suffixed ?? true;
  // The export's arguments after the chunk length: the scalars, or the
  // fields `args` names (of what `derive` made).
  const argNames = decl.args ?? scalars.map((p) => p.name);
  const argsOf = (c) => argNames.map((name) => c[name]);
  const sliceMap = Object.fromEntries(splits.map((p) => [p.name, p.split === 'out' ? { read: false } : { align: alignOf(p) }]));

  /** A split or broadcast array, checked (a broadcast one is only read: on a pool, shared once). */
  function array(p, value, shared) {
    assertNotFreed(value, p.name);
    const view = v.typedArray(p.name, value, typesOf(p), shared && p.split !== undefined);
    p.check?.(view);
    if (view.length % alignOf(p) !== 0) throw outOfRange(`${p.name}.length`, `a multiple of ${alignOf(p)}`, view.length);
    return p.broadcast && shared && !isShared(view) ? sharedFrom(view) : view;
  }

  /** The other split arrays against the first: type, length in units, overlap. */
  function crossCheck(call) {
    const a = call[first.name];
    for (const p of splits.slice(1)) {
      const b = call[p.name];
      if (p.type === first.type) v.sameType(p.name, b, a);
      if (alignOf(p) === 1 && alignOf(first) === 1) v.sameLength(p.name, b, a);
      else if (unitsOf(p, b) !== unitsOf(first, a)) {
        throw outOfRange(`${p.name}.length`, `${unitsOf(first, a) * alignOf(p)} (as long as "${first.name}" in units)`, b.length);
      }
      if (p.split !== 'in' || first.split !== 'in') v.noPartialOverlap(p.name, b, a);
    }
  }

  /** The shared memory holding every split array of the call, if one does. */
  function zeroCopyOf(c) {
    // The caller's arrays, not sabre's canonical views of them, are registered.
    const owner = ownerOf(v.original(c[first.name]));
    if (!owner) return undefined;
    for (const p of splits) if (ownerOf(v.original(c[p.name])) !== owner) return undefined;
    return owner;
  }

  function slotRun(e, c, s, t) {
    const name = suffixed ? exportFor(decl.export, c[first.name]) : decl.export;
    const align = alignOf(first);
    const [from, to] = [s * align, t * align];
    // A pool worker's engine carries the instance the pool flagged this pass for.
    const owner = e.zeroCopy ?? zeroCopyOf(c);
    if (owner) {
      paths.zeroCopy++;
      if (debuglog.enabled) debuglog('%s: zero-copy chunk [%d, %d)', name, from, to);
      return owner.runChunk(name, splits, c, from, to, argsOf(c), { inPlace: e.inPlace === true, begin: e.zeroCopyBegin });
    }
    paths.copy++;
    const k = e.kernel(name);
    for (const p of splits) {
      if (p.split === 'out') k.reserve(p.name, c[p.name], to - from);
      else k.load(p.name, c[p.name], from, to);
    }
    const value = k.call(to - from, ...argsOf(c));
    if (written.length === 0) return { value };
    return { value, writes: written.map((p) => k.write(p.name, c[p.name], from, to)) };
  }

  return {
    params: params.filter((p) => !p.offset).map((p) => p.name),
    // For the contract test: the exports this kernel calls, with the slots
    // and the arguments it passes them (sabre's own kernels only).
    contract: decl.run
      ? undefined
      : {
          exports: suffixed ? typesOf(first).map((T) => exportFor(decl.export, { constructor: T })) : [decl.export],
          slots: splits.map((p) => p.name),
          args: ['len', ...argNames],
        },
    prepare(values, shared) {
      const call = {};
      let i = 0;
      for (const p of params) {
        if (p.offset) continue; // not an argument: the chunk's first unit
        const value = values[i++];
        call[p.name] = p.split || p.broadcast ? array(p, value, shared) : p.scalar(p.name, value, shared);
      }
      crossCheck(call);
      decl.check?.(call);
      return decl.derive ? decl.derive(call) : call;
    },
    units: (c) => unitsOf(first, c[first.name]),
    // For a pool: the shared memory holding every split array of the call,
    // when its workers can run it there (the export does not allocate).
    zeroCopy: decl.run
      ? undefined
      : (c) => {
          const owner = zeroCopyOf(c);
          const name = suffixed ? exportFor(decl.export, c[first.name]) : decl.export;
          return owner && !owner.allocates(name) ? owner : undefined;
        },
    // Bytes a call must move at the least: each split array read once, an
    // 'inout' one written back too (the benchmark's bandwidth floor).
    traffic: (c) => splits.reduce((sum, p) => sum + c[p.name].byteLength * (p.split === 'inout' ? 2 : 1), 0),
    // For a cluster worker (js/cluster/worker.js): what a chunk of units
    // [s, t) reads of each array: those units of a split one (`align`
    // elements each), nothing of an 'out' one; a broadcast one whole.
    slices: () => sliceMap,
    // Whether `transactional: false` changes how it runs (an in-place map).
    inPlaceMap,
    // The caller's arrays a zero-copy pass runs on: pinned while it runs.
    zeroCopyArrays: (c) => [...new Set(splits.map((p) => v.original(c[p.name])))],
    // transactional: false on a map in the shared memory: nothing is copied
    // per chunk and no scratch bounds it, so one chunk per thread (`how.threads`,
    // the pool's; 1 direct), at most IN_PLACE_MAX_GRAINS grains (abort and
    // progress latency); the result does not depend on where chunks end.
    grain(c, how) {
      if (!(how?.inPlace && inPlaceMap && zeroCopyOf(c))) return grain;
      return Math.max(grain, Math.min(Math.ceil(unitsOf(first, c[first.name]) / (how.threads ?? 1)), grain * IN_PLACE_MAX_GRAINS));
    },
    run: decl.run ?? slotRun,
    combine: decl.combine ?? ((c) => (written.length ? c[written[0].name] : undefined)),
  };
}

module.exports = { declare, exportFor, SUFFIXES, paths };
