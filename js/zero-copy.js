'use strict';
// A zero-copy chunk on sabre's shared-memory build (see js/shared-memory.js):
// the arrays of a declared kernel (js/declare.js) are passed to the export
// of the same name by address, and what it writes goes through a scratch
// region that the commit copies back, so a chunk stays all or nothing.

const { contractOf } = require('./contract');

/**
 * Whether two views of the shared memory share bytes (by offset: views made
 * before and after a growth have different SharedArrayBuffer objects).
 */
const overlaps = (a, b) => a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;

/** The error a failed shared export wrote to its result buffer: `js_name\0code\0message`. */
function exportError(memory, ptr, bytes) {
  const [name, code, message] = Buffer.from(new Uint8Array(memory.buffer, ptr, bytes).slice()).toString('utf8').split('\0');
  const err = name === 'RangeError' ? new RangeError(message) : new Error(message);
  err.code = code;
  return err;
}

/**
 * `runChunk(name, splits, c, from, to, args)`: export `name` (a kernel of
 * js/declare.js) on elements [from, to) of the split arrays `splits` of the
 * prepared call `c`, all in `memory`. Returns `{ value, writes }` as a
 * declared run does: each write's source is this instance's scratch region
 * of the slot, a view over the shared memory, which the commit copies into
 * the caller's range (so a chunk stays all or nothing). `buffers`: the
 * instance's `result()` buffer and `scratchFor(slot index, bytes)` region.
 */
function zeroCopyRunner(module, memory, exports, buffers) {
  const contract = contractOf(module);
  const { scratchFor } = buffers;

  return function runChunk(name, splits, c, from, to, args, inPlace = false) {
    const entry = contract.get(name);
    if (!entry) throw new Error(`sabre: the shared-memory build has no kernel export "${name}"`);
    const result = buffers.result();
    const len = to - from;
    // Pointers in the export's slot order; a written array (unless
    // `inPlace`: transactional: false), or any array overlapping one already
    // passed by address (no two slots may alias: Rust's &mut rule), goes
    // through scratch. Allocate first: growth makes memory.buffer new.
    const plan = entry.slots.map((slotName, i) => {
      const p = splits.find((q) => q.name === slotName);
      const view = c[slotName];
      return { p, view, i, bytes: len * view.BYTES_PER_ELEMENT };
    });
    const direct = [];
    for (const s of plan) {
      if ((inPlace || s.p.split === 'in') && !direct.some((d) => overlaps(d.view, s.view))) {
        s.ptr = s.view.byteOffset + from * s.view.BYTES_PER_ELEMENT;
        direct.push(s);
      } else s.ptr = scratchFor(s.i, s.bytes);
    }
    const buffer = memory.buffer;
    for (const s of plan) {
      s.scratch = s.ptr !== s.view.byteOffset + from * s.view.BYTES_PER_ELEMENT ? new s.view.constructor(buffer, s.ptr, len) : null;
      if (s.scratch && s.p.split !== 'out') s.scratch.set(s.view.subarray(from, to));
    }
    const sp = exports.__stack_pointer.value;
    let n;
    try {
      n = exports[name](result, ...plan.map((s) => s.ptr), len, ...args);
    } catch (err) {
      exports.__stack_pointer.value = sp; // a trap leaves it where it was
      throw err;
    }
    if (n < 0) throw exportError(memory, result, -n);
    const out = new Float64Array(memory.buffer, result, n);
    let value;
    if (entry.fields) value = Object.fromEntries(entry.fields.map((f, i) => [f, out[i]]));
    else if (entry.returns === 'f64') value = out[0];
    else if (entry.returns === 'Vec<f64>' || entry.returns === 'Vec < f64 >') value = out.slice();
    // Written arrays passed by address (inPlace) are written already.
    const writes = plan.filter((s) => s.p.split !== 'in' && s.scratch).map((s) => [s.scratch, s.view, from, to]);
    return writes.length ? { value, writes } : { value };
  };
}

module.exports = { zeroCopyRunner };
