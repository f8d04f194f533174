'use strict';
// The Rust side of the kernel contract, as the JS side reads it.
//
// Every kernel export of sabre's crate is declared once, with the `export!`
// macro of src/bindings/mod.rs, which also writes one line per export into
// the module's `sabre_contract` custom section:
//
//   scaleF32(len : usize, a : f32) [x] -> ()\0
//
// its JS name, its arguments and their Rust types, the scratch slots it
// reads and writes by name in slot order, and what it returns. The engine
// finds slot numbers here by name (no slot number is written by hand on the
// JS side), and test-node/contract.test.js checks every JS declaration
// against it.
//
// The shared-memory build (wasm/sabre_shared.wasm, js/shared-memory.js)
// carries the same entries for its exports of the same names, a struct
// result followed by its field names in the order the export writes them:
//
//   sumF32(len : usize) [x] -> serde reduce :: Neumaier {sum, comp}\0

/** module -> Map(export name -> { name, args: [{ name, type }], slots: [name], returns, fields? }) */
const contracts = new WeakMap();

const LINE = /^(\w+)\((.*)\) \[(.*)\] -> (.+)$/;
/** `contrast_q8` -> `contrastQ8`: the JS spelling of a Rust argument name. */
const camel = (name) => name.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());

function parseLine(line) {
  const m = LINE.exec(line);
  if (!m) throw new Error(`sabre: unreadable sabre_contract entry ${JSON.stringify(line)}`);
  const [, name, args, slots, ret] = m;
  const list = (s) => (s.trim() === '' ? [] : s.split(',').map((x) => x.trim()));
  // A struct result's field names (the shared-memory build's entries only).
  const f = /^(.*?)\s*\{(.*)\}$/.exec(ret);
  const returns = f ? f[1] : ret;
  return {
    ...(f && { fields: list(f[2]) }),
    name,
    args: list(args).map((a) => {
      const [argName, type] = a.split(':').map((x) => x.trim());
      return { name: camel(argName), type: type.replace(/\s+/g, '') };
    }),
    slots: list(slots),
    returns: returns.replace(/\s+/g, ' ').trim(),
  };
}

/** The contract of a compiled module: empty for a module without one (a user's crate). */
function contractOf(module) {
  let contract = contracts.get(module);
  if (!contract) {
    contract = new Map();
    for (const section of WebAssembly.Module.customSections(module, 'sabre_contract')) {
      // Entries end with a NUL; stringify! in the macro may break lines.
      for (const text of Buffer.from(section).toString('utf8').split('\0')) {
        const line = text.replace(/\s+/g, ' ').trim();
        if (line === '') continue;
        const entry = parseLine(line);
        contract.set(entry.name, entry);
      }
    }
    contracts.set(module, contract);
  }
  return contract;
}

/**
 * One export of an Engine's instance with its slots by name: what a kernel
 * spec's `run` works through (see Engine#kernel).
 */
class BoundExport {
  constructor(engine, entry) {
    this.engine = engine;
    this.entry = entry;
    this.call = engine.wasm[entry.name];
    if (typeof this.call !== 'function') throw new Error(`sabre: the contract names ${entry.name}, which the module does not export`);
  }

  /** The slot number of slot `name`. */
  slot(name) {
    const i = this.entry.slots.indexOf(name);
    if (i < 0) throw new Error(`sabre: ${this.entry.name} has no slot "${name}" (its slots: ${this.entry.slots.join(', ') || 'none'})`);
    return i;
  }

  /** Copies `view[start, end)` into slot `name`. */
  load(name, view, start, end) {
    this.engine.load(this.slot(name), view, start, end);
  }

  /** Makes slot `name` hold `len` elements like `view`'s; returns its address. */
  reserve(name, view, len) {
    return this.engine.reserve(this.slot(name), view, len);
  }

  /** The write-back of slot `name` into `view[from, to)` (see Engine#compute). */
  write(name, view, from, to) {
    return [this.slot(name), view, from, to];
  }
}

module.exports = { contractOf, BoundExport, camel };
