'use strict';
// One wasm instance and the copies in and out of it.
//
// An Engine loads wasm-bindgen's `--target nodejs` glue around a compiled
// WebAssembly.Module that it is given, so the module is compiled once and
// shared by the main thread and every worker. It copies each chunk of the
// caller's typed arrays into the instance's scratch slots, runs the kernel,
// and copies results back only when asked to: a chunk is either fully written
// or untouched. Any error out of a kernel may leave the instance unusable (a
// trap or a stack overflow does not restore its stack pointer), so the Engine
// replaces it with a fresh one before it reports the error.

const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const { KernelError } = require('./errors');
const { contractOf, BoundExport } = require('./contract');

const defaultGlue = path.join(__dirname, 'wasm', 'sabre.js');

/** Compiles the .wasm next to a wasm-bindgen nodejs glue file. */
function compileModule(gluePath = defaultGlue) {
  const wasmPath = gluePath.replace(/\.js$/, '_bg.wasm');
  return new WebAssembly.Module(fs.readFileSync(wasmPath));
}

/** V8 reports an exhausted native stack (deep recursion in wasm too) as this. */
const isStackOverflow = (err) => err instanceof RangeError && /Maximum call stack size exceeded/.test(err.message);

/**
 * Runs the glue with `WebAssembly.Module` and `fs.readFileSync` of its .wasm
 * answered from `module`, so it instantiates the shared module instead of
 * reading and compiling its own. No text of the glue is patched, so any
 * wasm-bindgen nodejs glue (sabre's or a user's) loads this way.
 *
 * `globalThis` inside the glue is a private object that inherits from the
 * real one and adds `__sabre_panic`, where sabre's panic hook (src/bindings)
 * reports a panic's message: the channel is reachable from this Engine only,
 * never from other code in the process.
 */
function instantiateGlue(gluePath, module, onPanic, routeCopy) {
  const source = fs.readFileSync(gluePath, 'utf8');
  const wasmPath = path.join(path.dirname(gluePath), path.basename(gluePath, '.js') + '_bg.wasm');
  const SharedWebAssembly = Object.create(WebAssembly, {
    Module: { value: function Module() { return module; } },
    Instance: {
      value: function Instance(mod, imports) {
        return new WebAssembly.Instance(mod, routeCopies(imports, routeCopy));
      },
    },
  });
  const fsShim = {
    ...fs,
    readFileSync(p, ...rest) {
      return path.resolve(String(p)) === wasmPath ? new Uint8Array(0) : fs.readFileSync(p, ...rest);
    },
  };
  const privateGlobal = Object.create(globalThis, { __sabre_panic: { value: onPanic } });
  const localRequire = (id) => (id === 'fs' || id === 'node:fs' ? fsShim : require(id));
  const fn = vm.compileFunction(
    source,
    ['exports', 'require', 'module', '__filename', '__dirname', 'WebAssembly', 'globalThis', 'console'],
    { filename: gluePath },
  );
  const mod = { exports: {} };
  fn(mod.exports, localRequire, mod, gluePath, path.dirname(gluePath), SharedWebAssembly, privateGlobal, panicConsole(onPanic));
  return mod.exports;
}

/**
 * wasm-bindgen (0.2.9x on) writes a `&mut [T]` argument back into the JS
 * array it was given through one import, `__wbindgen_copy_to_typed_array`,
 * when the Rust function returns. Routed through `routeCopy(target)`, a user
 * kernel's chunk can be passed the caller's own subarray (one copy in, by
 * the glue) while its result lands in a private array (one copy out) that
 * sabre commits later: `routeCopy` gives the array to write instead, `null`
 * to drop the write (an 'in' argument), or undefined to leave it alone.
 */
function routeCopies(imports, routeCopy) {
  const out = {};
  for (const [ns, fns] of Object.entries(imports)) {
    out[ns] = { ...fns };
    for (const [name, f] of Object.entries(fns)) {
      if (!name.includes('__wbindgen_copy_to_typed_array') || typeof f !== 'function') continue;
      out[ns][name] = (ptr, len, target) => {
        const to = routeCopy(target);
        if (to === null) return;
        f(ptr, len, to ?? target);
      };
    }
  }
  return out;
}

/** Whether a module's glue writes `&mut [T]` back through that import (see routeCopies). */
const routesCopies = (module) => WebAssembly.Module.imports(module).some((i) => i.name.includes('__wbindgen_copy_to_typed_array'));

/**
 * The `console` a glue sees. console_error_panic_hook (the hook a user's
 * crate installs with one line, see README) reports a panic with
 * console.error just before the trap: that text becomes the panic's message
 * (as `__sabre_panic` does for sabre's own crate). Everything else is the
 * real console.
 */
function panicConsole(onPanic) {
  return Object.create(console, {
    error: {
      value: (...args) => {
        const text = args.map(String).join(' ');
        if (/^panicked at /.test(text)) onPanic(text.replace(/\n\nStack:\n[\s\S]*$/, ''));
        else console.error(...args);
      },
    },
  });
}

class Engine {
  #lastPanic = null;
  #bound = new Map(); // export name -> BoundExport, for the current instance
  #routesCopies = undefined;
  #routes = null; // while a user export runs: its write-backs' routes (see routeCopies)

  /**
   * `module`: the compiled WebAssembly.Module; `gluePath`: its wasm-bindgen
   * nodejs glue (sabre's own, or a user's crate); `onInstance(wasm)`: called
   * on every new instance (the first, and each one after an error), for state
   * a user module builds once per instance.
   */
  constructor({ module, gluePath = defaultGlue, onInstance } = {}) {
    this.gluePath = gluePath;
    this.module = module ?? compileModule(gluePath);
    this.onInstance = onInstance;
    this.#instantiate();
  }

  #instantiate() {
    this.wasm = instantiateGlue(
      this.gluePath,
      this.module,
      (message) => {
        this.#lastPanic = String(message);
      },
      (target) => this.#routes?.get(target),
    );
    this.ptrs = [];
    this.#bound.clear();
    this.onInstance?.(this.wasm);
  }

  /**
   * Export `name` of sabre's own module, with its scratch slots by name as
   * the Rust side declares them (js/contract.js): what a spec's run uses.
   */
  kernel(name) {
    let bound = this.#bound.get(name);
    if (!bound) {
      const entry = contractOf(this.module).get(name);
      if (!entry) throw new Error(`sabre: the module has no kernel export "${name}" in its contract`);
      bound = new BoundExport(this, entry);
      this.#bound.set(name, bound);
    }
    return bound;
  }

  /** Whether user exports can take the caller's subarrays (see routeCopies). */
  get routesCopies() {
    return (this.#routesCopies ??= routesCopies(this.module));
  }

  /**
   * Calls user export `name` with `args`, its `&mut [T]` write-backs routed
   * by `routes` (Map: the array passed -> the array to write, or null to
   * drop). Returns the export's value and the set of passed arrays whose
   * write-back came (a `&[T]` parameter declared 'inout' has none).
   */
  callRouted(name, args, routes) {
    const written = new Set(); // the passed arrays whose write-back came
    this.#routes = {
      get(target) {
        if (!routes.has(target)) return undefined;
        written.add(target);
        return routes.get(target);
      },
    };
    try {
      return { value: this.wasm[name](...args), written };
    } finally {
      this.#routes = null;
    }
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

  /**
   * Runs `spec.run` on units `[start, end)` of the prepared call `args` and
   * returns `{ value, writes }` without writing anything: each write
   * `[slot, view, from, to]` names a scratch slot (or a private typed array
   * holding the chunk's result) and the element range of the caller's array
   * it goes back to. `commit(writes)` writes them.
   */
  compute(spec, args, start, end) {
    this.#lastPanic = null;
    try {
      return spec.run(this, args, start, end);
    } catch (err) {
      const panic = this.#lastPanic;
      this.#lastPanic = null;
      // Whatever it was, the instance may be poisoned: never reuse it.
      this.#instantiate();
      if (err instanceof WebAssembly.RuntimeError) {
        throw new KernelError(panic ?? `wasm trap: ${err.message}`, { code: 'ERR_SABRE_KERNEL_PANIC', cause: err });
      }
      if (isStackOverflow(err)) {
        throw new KernelError(`the kernel exhausted the stack (${err.message}): too deep a recursion`, {
          code: 'ERR_SABRE_KERNEL_STACK_OVERFLOW',
          cause: err,
        });
      }
      throw err;
    }
  }

  /**
   * `[source, target, from]` for each write: what to copy (a view of the
   * scratch slot, or the private array) into which caller's array, at which
   * element. Made before a write-back begins, so the write-back itself is
   * only TypedArray#set calls (see worker.js).
   */
  sourcesOf(writes) {
    return writes.map(([slot, view, from, to]) => [
      typeof slot === 'number' ? new view.constructor(this.memory.buffer, this.ptrs[slot], to - from) : slot,
      view,
      from,
    ]);
  }

  /** Writes a chunk's results into the caller's arrays: one memcpy each. */
  commit(writes) {
    for (const [source, target, from] of this.sourcesOf(writes)) target.set(source, from);
  }

  /** compute, then commit: a chunk on the calling thread. */
  runChunk(spec, args, start, end) {
    const out = this.compute(spec, args, start, end);
    if (out.writes) this.commit(out.writes);
    return out.value;
  }
}

module.exports = { Engine, compileModule, defaultGlue };
