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
// split array has the first one's element type and length, and a written
// one may not partly overlap another. The export takes the chunk's length in
// elements, then the scalars (or the fields `args` names), and finds each split array
// in the scratch slot of its name (src/bindings, `export!`): the contract
// test checks the names, the arguments and the slots against the wasm.
//
// Built-ins with a hand-written `run` (their chunks are not plain slices of
// their arrays) are listed in docs/ARCHITECTURE.md.

const v = require('./validate');

const SUFFIXES = new Map([
  [Float32Array, 'F32'],
  [Float64Array, 'F64'],
  [Int32Array, 'I32'],
  [Uint32Array, 'U32'],
]);

/** The export of a suffixed kernel for arrays like `view`. */
const exportFor = (base, view) => base + SUFFIXES.get(view.constructor);


function declare(decl) {
  const { params, grain } = decl;
  const splits = params.filter((p) => p.split);
  const scalars = params.filter((p) => p.scalar);
  const first = splits[0];
  const align = first.align ?? 1;
  const written = splits.filter((p) => p.split !== 'in');
  const suffixed = decl.suffixed ?? true;
  // The export's arguments after the chunk length: the scalars, or the
  // fields `args` names (of what `derive` made).
  const argNames = decl.args ?? scalars.map((p) => p.name);
  const argsOf = (c) => argNames.map((name) => c[name]);

  return {
    params: params.map((p) => p.name),
    // For the contract test: the exports this kernel calls, with the slots
    // and the arguments it passes them.
    contract: {
      exports: suffixed ? first.type.map((T) => exportFor(decl.export, { constructor: T })) : [decl.export],
      slots: splits.map((p) => p.name),
      args: ['len', ...argNames],
    },
    prepare(values, shared) {
      const call = {};
      params.forEach((p, i) => {
        if (p.split) {
          call[p.name] = v.typedArray(p.name, values[i], p.type, shared);
          p.check?.(call[p.name]);
        } else {
          call[p.name] = p.scalar(p.name, values[i]);
        }
      });
      for (const p of splits.slice(1)) {
        v.sameType(p.name, call[p.name], call[first.name]);
        v.sameLength(p.name, call[p.name], call[first.name]);
        if (p.split !== 'in' || first.split !== 'in') v.noPartialOverlap(p.name, call[p.name], call[first.name]);
      }
      decl.check?.(call);
      return decl.derive ? decl.derive(call) : call;
    },
    units: (c) => c[first.name].length / align,
    grain: () => grain,
    run(e, c, s, t) {
      const k = e.kernel(suffixed ? exportFor(decl.export, c[first.name]) : decl.export);
      const [from, to] = [s * align, t * align];
      for (const p of splits) {
        if (p.split === 'out') k.reserve(p.name, c[p.name], to - from);
        else k.load(p.name, c[p.name], from, to);
      }
      const value = k.call(to - from, ...argsOf(c));
      if (written.length === 0) return { value };
      return { value, writes: written.map((p) => k.write(p.name, c[p.name], from, to)) };
    },
    combine: decl.combine ?? ((c) => c[written[0].name]),
  };
}

module.exports = { declare, exportFor, SUFFIXES };
