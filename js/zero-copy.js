'use strict';
// A zero-copy chunk on sabre's shared-memory build (see js/shared-memory.js):
// the arrays of a declared kernel (js/declare.js) are passed to the export
// of the same name by address and written in place, after one undo copy of
// the written range, so a chunk stays all or nothing (see runChunk).

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
 * `runChunk(name, splits, c, from, to, args, how)`: export `name` (a kernel
 * of js/declare.js) on elements [from, to) of the split arrays `splits` of
 * the prepared call `c`, all in `memory`, every array passed by address.
 *
 * A written array is written in place. Transactional (the default), its
 * range is first copied to this instance's scratch region of the slot (one
 * copy, the undo copy): if the kernel throws, the copy goes back; on a pool
 * worker, `how.begin(entries)` records the copies in the worker's undo log
 * and moves the task to COMMITTING (false: it was cancelled, nothing is
 * written), so the pool can put them back if the worker dies while it
 * writes (shared-memory.js `undo`). With `how.inPlace` (transactional:
 * false) there is no undo copy. An array overlapping one passed by address
 * (no two slots may alias: Rust's &mut rule) is read from a copy instead
 * (written ones, which never alias in sabre's kernels, through the old
 * scratch-and-commit: `writes`). Returns `{ value, writes?, inPlace? }`,
 * or `{ cancelled: true }`. `buffers`: the instance's `result()` buffer and
 * `scratchFor(slot index, bytes)` region.
 */
function zeroCopyRunner(module, memory, exports, buffers) {
  const contract = contractOf(module);
  const { scratchFor } = buffers;

  return function runChunk(name, splits, c, from, to, args, how = {}) {
    const entry = contract.get(name);
    if (!entry) throw new Error(`sabre: the shared-memory build has no kernel export "${name}"`);
    const result = buffers.result();
    const len = to - from;
    // Written arrays first, so that they are the ones passed by address.
    const plan = entry.slots.map((slotName, i) => {
      const p = splits.find((q) => q.name === slotName);
      const view = c[slotName];
      const at = view.byteOffset + from * view.BYTES_PER_ELEMENT;
      return { p, view, i, at, bytes: len * view.BYTES_PER_ELEMENT, writes: p.split !== 'in' };
    });
    const direct = [];
    // Allocate first: growth makes memory.buffer new.
    for (const s of [...plan].sort((a, b) => b.writes - a.writes)) {
      if (!direct.some((d) => overlaps(d.view, s.view))) {
        s.ptr = s.at;
        direct.push(s);
        if (s.writes && !how.inPlace) s.undo = scratchFor(s.i, s.bytes);
      } else s.ptr = scratchFor(s.i, s.bytes);
    }
    const buffer = memory.buffer;
    const undo = [];
    // Copies within the memory go through the module (sabre_copy: one
    // memory.copy), not TypedArray#set, which V8 runs with relaxed atomic
    // stores on a SharedArrayBuffer: the undo copy is most of a
    // transactional map's overhead.
    for (const s of plan) {
      if (s.ptr !== s.at) {
        s.scratch = new s.view.constructor(buffer, s.ptr, len);
        if (s.p.split !== 'out') exports.sabre_copy(s.ptr, s.at, s.bytes);
      } else if (s.undo !== undefined) {
        exports.sabre_copy(s.undo, s.at, s.bytes);
        undo.push([s.at, s.undo, s.bytes]);
      }
    }
    const inPlace = plan.some((s) => s.writes && s.ptr === s.at);
    if (inPlace && how.begin && !how.begin(undo)) return { cancelled: true };
    const sp = exports.__stack_pointer.value;
    let n;
    try {
      n = exports[name](result, ...plan.map((s) => s.ptr), len, ...args);
      if (n < 0) throw exportError(memory, result, -n);
    } catch (err) {
      exports.__stack_pointer.value = sp; // a trap leaves it where it was
      for (const [target, copy, size] of undo) exports.sabre_copy(target, copy, size);
      throw err;
    }
    const out = new Float64Array(memory.buffer, result, n);
    let value;
    if (entry.fields) value = Object.fromEntries(entry.fields.map((f, i) => [f, out[i]]));
    else if (entry.returns === 'f64') value = out[0];
    else if (entry.returns === 'Vec<f64>' || entry.returns === 'Vec < f64 >') value = out.slice();
    const writes = plan.filter((s) => s.writes && s.scratch).map((s) => [s.scratch, s.view, from, to]);
    return { value, ...(writes.length && { writes }), ...(inPlace && { inPlace }) };
  };
}

module.exports = { zeroCopyRunner };
