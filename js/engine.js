'use strict';
// One wasm instance and the copies in and out of it.
//
// An Engine loads wasm-bindgen's `--target nodejs` glue around a compiled
// WebAssembly.Module that it is given, so the module is compiled once and
// shared by the main thread and every worker. It copies each chunk of the
// caller's typed arrays into the instance's scratch slots, runs the kernel,
// and copies results back only when asked to: a chunk is either fully written
// or untouched. After a trap (panic, unreachable, stack overflow) the
// instance is unusable (its stack pointer is not restored), so the Engine
// replaces it with a fresh one before it reports the error.

const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const { KernelError } = require('./errors');

const defaultGlue = path.join(__dirname, 'wasm', 'sabre.js');

/** Compiles the .wasm next to a wasm-bindgen nodejs glue file. */
function compileModule(gluePath = defaultGlue) {
  const wasmPath = gluePath.replace(/\.js$/, '_bg.wasm');
  return new WebAssembly.Module(fs.readFileSync(wasmPath));
}

// The panic hook in src/bindings.rs reports the message here before trapping.
let lastPanic = null;
globalThis.__sabre_panic = (message) => {
  lastPanic = message;
};

/**
 * Runs the glue with `WebAssembly.Module` and `fs.readFileSync` of its .wasm
 * answered from `module`, so it instantiates the shared module instead of
 * reading and compiling its own. No text of the glue is patched, so any
 * wasm-bindgen nodejs glue (sabre's or a user's) loads this way.
 */
function instantiateGlue(gluePath, module) {
  const source = fs.readFileSync(gluePath, 'utf8');
  const wasmPath = path.join(path.dirname(gluePath), path.basename(gluePath, '.js') + '_bg.wasm');
  const SharedWebAssembly = Object.create(WebAssembly, {
    Module: { value: function Module() { return module; } },
  });
  const fsShim = {
    ...fs,
    readFileSync(p, ...rest) {
      return path.resolve(String(p)) === wasmPath ? new Uint8Array(0) : fs.readFileSync(p, ...rest);
    },
  };
  const localRequire = (id) => (id === 'fs' || id === 'node:fs' ? fsShim : require(id));
  const fn = vm.compileFunction(
    source,
    ['exports', 'require', 'module', '__filename', '__dirname', 'WebAssembly'],
    { filename: gluePath },
  );
  const mod = { exports: {} };
  fn(mod.exports, localRequire, mod, gluePath, path.dirname(gluePath), SharedWebAssembly);
  return mod.exports;
}

class Engine {
  /**
   * `module`: the compiled WebAssembly.Module; `gluePath`: its wasm-bindgen
   * nodejs glue (sabre's own, or a user's crate); `onInstance(wasm)`: called
   * on every new instance (the first, and each one after a trap), for state a
   * user module builds once per instance.
   */
  constructor({ module, gluePath = defaultGlue, onInstance } = {}) {
    this.gluePath = gluePath;
    this.module = module ?? compileModule(gluePath);
    this.onInstance = onInstance;
    this.#instantiate();
  }

  #instantiate() {
    this.wasm = instantiateGlue(this.gluePath, this.module);
    this.ptrs = [];
    this.onInstance?.(this.wasm);
  }

  /** The instance's linear memory (sabre's own module only). */
  get memory() {
    return this.wasm.wasmMemory();
  }

  /** Copies `view[start, end)` into scratch slot `slot`. */
  load(slot, view, start, end) {
    const ptr = this.reserve(slot, view, end - start);
    new view.constructor(this.memory.buffer, ptr, end - start).set(view.subarray(start, end));
  }

  /** Makes slot `slot` big enough for `len` elements like `view`'s. */
  reserve(slot, view, len) {
    const ptr = this.wasm.reserve(slot, len * view.BYTES_PER_ELEMENT);
    this.ptrs[slot] = ptr;
    return ptr;
  }

  /** Copies scratch slot `slot` back into `view[start, end)`. */
  store(slot, view, start, end) {
    view.set(new view.constructor(this.memory.buffer, this.ptrs[slot], end - start), start);
  }

  /**
   * Runs `spec.run` on units `[start, end)` of the prepared call `args`.
   * `spec.run` returns `{ value, writes }`, where each write
   * `[slot, view, from, to]` names a scratch slot (or a private typed array
   * holding the chunk's result) and the element range of the caller's array
   * it goes back to. Writes happen only if `mayCommit()` is still true once
   * the kernel has returned.
   */
  runChunk(spec, args, start, end, mayCommit = () => true) {
    lastPanic = null;
    let out;
    try {
      out = spec.run(this, args, start, end);
    } catch (err) {
      if (err instanceof WebAssembly.RuntimeError) {
        const message = lastPanic ?? `wasm trap: ${err.message}`;
        lastPanic = null;
        this.#instantiate();
        throw new KernelError(message, { code: 'ERR_SABRE_KERNEL_PANIC', cause: err });
      }
      throw err;
    }
    if (out.writes && mayCommit()) {
      for (const [slot, view, from, to] of out.writes) {
        if (typeof slot === 'number') this.store(slot, view, from, to);
        else view.set(slot, from);
      }
    }
    return out.value;
  }
}

module.exports = { Engine, compileModule, defaultGlue };
