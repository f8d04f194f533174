'use strict';
// Users' own kernels: exports of their own crate, built with
// `wasm-pack --target nodejs`, run chunk by chunk like sabre's built-ins.
//
// A user declares, in a module of their own, which wasm exports are kernels
// and, for each parameter, whether it is split into chunks ('in', 'inout',
// 'out'), passed whole to every chunk (`broadcast`), the chunk's offset, or a
// scalar; and how chunk results combine. Both the main thread and the pool's
// workers load that same module by its file name, so the declaration can hold
// functions (combine, init).
//
// Each chunk of a split array is handed to the export as a subarray of the
// caller's array: wasm-bindgen copies it into wasm memory, and its write-back
// of a `&mut [T]` is routed into a private array (js/engine.js,
// routeCopies), which is copied into the caller's array only after the export
// returned and the call was not aborted: one copy each way, and chunks stay
// transactional.

const fs = require('node:fs');
const path = require('node:path');
const { fileURLToPath } = require('node:url');
const { SabreError, invalidArgType, messageOf } = require('./errors');
const v = require('./validate');
const { declare } = require('./declare');

const SPLIT_MODES = ['in', 'inout', 'out'];
const SCALAR_TYPES = ['number', 'boolean', 'string', 'object', 'bigint'];
const DEFAULT_GRAIN_ELEMENTS = 1 << 18;

const kDefinition = Symbol('sabre.kernelDefinition');

function defError(message) {
  const err = new TypeError(`defineKernels: ${message}`);
  err.code = 'ERR_SABRE_KERNEL_DEFINITION';
  return err;
}

function moduleError(code, message, cause) {
  return new SabreError(message, { code, cause });
}

/** The keys each part of a declaration may have: any other is a typo that would be ignored (a `grains: 4` left the default grain). */
const DEFINITION_KEYS = ['wasm', 'init', 'kernels'];
const KERNEL_KEYS = ['params', 'export', 'combine', 'grain'];
const PARAM_KEYS = ['name', 'split', 'broadcast', 'offset', 'type', 'align'];

function onlyKnown(where, obj, known) {
  const [extra] = v.unknownKeys(obj, known);
  if (extra !== undefined) throw defError(`${where} has an unknown key \`${String(extra)}\` (it may have: ${known.join(', ')})`);
}

function checkParam(kernel, p, i) {
  const where = `kernels.${kernel}.params[${i}]`;
  if (p === null || typeof p !== 'object') throw defError(`${where} must be an object`);
  onlyKnown(where, p, PARAM_KEYS);
  if (typeof p.name !== 'string' || p.name === '') throw defError(`${where}.name must be a non-empty string`);
  const kinds = [p.split !== undefined, p.broadcast === true, p.offset === true].filter(Boolean).length;
  if (kinds > 1) throw defError(`${where} (${p.name}) can be only one of split, broadcast or offset`);
  if (p.split !== undefined && !SPLIT_MODES.includes(p.split)) {
    throw defError(`${where}.split must be 'in', 'inout' or 'out', got ${JSON.stringify(p.split)}`);
  }
  if (p.split !== undefined || p.broadcast) {
    const types = [].concat(p.type ?? []);
    if (types.length === 0 || !types.every((T) => typeof T === 'function' && T.BYTES_PER_ELEMENT)) {
      throw defError(`${where}.type (${p.name}) must be a typed-array class or an array of them`);
    }
    if (p.align !== undefined && !(Number.isInteger(p.align) && p.align >= 1)) {
      throw defError(`${where}.align (${p.name}) must be an integer >= 1`);
    }
  } else if (!p.offset && p.type !== undefined && !SCALAR_TYPES.includes(p.type)) {
    throw defError(`${where}.type (${p.name}) must be one of ${SCALAR_TYPES.join(', ')}`);
  }
}

/**
 * Declares the kernels of a wasm-pack `--target nodejs` package. `where` is
 * the declaring module (`module` in CommonJS) or its file (`import.meta.url`
 * or a path): workers load the declaration from that file.
 */
function defineKernels(where, definition) {
  const filename =
    typeof where === 'string'
      ? where.startsWith('file:')
        ? fileURLToPath(where)
        : path.resolve(where)
      : where && typeof where.filename === 'string'
        ? where.filename
        : undefined;
  if (!filename) throw defError('the first argument must be `module` (CommonJS) or `import.meta.url` (ESM)');
  if (definition === null || typeof definition !== 'object') throw defError('the second argument must be an object');
  onlyKnown('the definition', definition, DEFINITION_KEYS);
  const { wasm, init, kernels } = definition;
  if (typeof wasm !== 'string') throw defError('`wasm` must be the path of the wasm-pack glue (.js), e.g. require.resolve("./pkg/my_crate.js")');
  if (init !== undefined && typeof init !== 'function') throw defError('`init` must be a function (wasm) => void');
  if (kernels === null || typeof kernels !== 'object' || Object.keys(kernels).length === 0) {
    throw defError('`kernels` must be an object with at least one kernel');
  }
  for (const [name, k] of Object.entries(kernels)) {
    if (k === null || typeof k !== 'object') throw defError(`kernels.${name} must be an object`);
    onlyKnown(`kernels.${name}`, k, KERNEL_KEYS);
    if (!Array.isArray(k.params)) throw defError(`kernels.${name}.params must be an array`);
    k.params.forEach((p, i) => checkParam(name, p, i));
    if (!k.params.some((p) => p.split)) throw defError(`kernels.${name} needs one parameter with \`split\` (what is cut into chunks)`);
    if (k.export !== undefined && typeof k.export !== 'string') throw defError(`kernels.${name}.export must be a string`);
    if (k.combine !== undefined && typeof k.combine !== 'function') throw defError(`kernels.${name}.combine must be a function (a, b) => merged`);
    if (k.grain !== undefined && !(Number.isInteger(k.grain) && k.grain >= 1)) throw defError(`kernels.${name}.grain must be an integer >= 1`);
  }
  return { [kDefinition]: true, filename, wasm: path.resolve(path.dirname(filename), wasm), init, kernels };
}

/**
 * A scalar for the pool's workers: primitives as they are; anything else
 * structured-cloned here, once, so a value that cannot cross to a worker (a
 * function, a symbol, a Proxy) is a TypeError naming it before the call is
 * registered, and the workers see exactly what was checked.
 */
function sendable(name, value) {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function' && typeof value !== 'symbol')) return value;
  try {
    return structuredClone(value);
  } catch (err) {
    const e = invalidArgType(name, 'a value that can be sent to a worker thread (structured-cloneable)', value);
    e.message += ` (${messageOf(err)})`;
    e.cause = err;
    throw e;
  }
}

/** Reusable private arrays, one per parameter, grown as needed. */
class PrivateCopies {
  constructor() {
    this.buffers = new Map();
  }

  get(key, Type, length) {
    const bytes = length * Type.BYTES_PER_ELEMENT;
    let buf = this.buffers.get(key);
    if (!buf || buf.byteLength < bytes) {
      buf = new ArrayBuffer(Math.max(bytes, 64));
      this.buffers.set(key, buf);
    }
    return new Type(buf, 0, length);
  }
}

/**
 * A user's scalar parameter as the one kernel model checks it (js/declare.js):
 * of its declared `typeof`, and on a pool cloned once (see sendable).
 */
const userScalar = (p) => (name, value, shared) => {
  if (p.type !== undefined && typeof value !== p.type) throw invalidArgType(name, `of type ${p.type}`, value);
  return shared ? sendable(name, value) : value;
};

/**
 * The engine-facing spec of one declared kernel (see js/kernels/index.js):
 * the same declarative model as sabre's own kernels (js/declare.js), run
 * through wasm-bindgen's ABI instead of sabre's scratch slots.
 */
function buildSpec(def, name, k) {
  const exportName = k.export ?? name;
  const params = k.params;
  const first = params.find((p) => p.split);
  const copies = new PrivateCopies();
  const zeros = new PrivateCopies(); // never written: what an 'out' chunk starts from

  /**
   * One copy each way: the glue copies the caller's subarray itself into
   * wasm memory, and the `&mut [T]` write-back lands in a private array (an
   * 'in' argument's is dropped) that the worker commits (see routeCopies in
   * js/engine.js). A chunk thus stays transactional.
   */
  function runRouted(e, c, s, t) {
    const routes = new Map();
    const outs = [];
    const args = params.map((p) => {
      if (p.offset) return s;
      const value = c[p.name];
      if (!p.split) return value;
      const a = p.align ?? 1;
      const [from, to] = [s * a, t * a];
      const passed = p.split === 'out' ? zeros.get(p.name, value.constructor, to - from) : value.subarray(from, to);
      if (p.split === 'in') {
        routes.set(passed, null);
      } else {
        const result = copies.get(p.name, value.constructor, to - from);
        routes.set(passed, result);
        outs.push([p, passed, result, value, from, to]);
      }
      return passed;
    });
    const { value, written } = e.callRouted(exportName, args, routes);
    const writes = [];
    for (const [p, passed, result, target, from, to] of outs) {
      if (written.has(passed)) writes.push([result, target, from, to]);
      // An export that took it as `&[T]` wrote nothing back: an 'inout'
      // chunk is unchanged, an 'out' chunk is zeros (what it was given).
      else if (p.split === 'out') writes.push([passed, target, from, to]);
    }
    return { value, writes };
  }

  /** A glue that writes `&mut [T]` back in JS: private copies in and out. */
  function runCopied(e, c, s, t) {
    const writes = [];
    const args = params.map((p) => {
      if (p.offset) return s;
      const value = c[p.name];
      if (!p.split) return value;
      const a = p.align ?? 1;
      const copy = copies.get(p.name, value.constructor, (t - s) * a);
      if (p.split !== 'out') copy.set(value.subarray(s * a, t * a));
      else copy.fill(0);
      if (p.split !== 'in') writes.push([copy, value, s * a, t * a]);
      return copy;
    });
    return { value: e.wasm[exportName](...args), writes };
  }


  const spec = declare({
    params: params.map((p) => (p.split || p.broadcast || p.offset ? p : { ...p, scalar: userScalar(p) })),
    grain: k.grain ?? Math.max(1, Math.floor(DEFAULT_GRAIN_ELEMENTS / (first.align ?? 1))),
    run: (e, c, s, t) => (e.routesCopies ? runRouted(e, c, s, t) : runCopied(e, c, s, t)),
    combine: k.combine ? (c, partials) => partials.reduce((acc, x) => k.combine(acc, x)) : undefined,
  });
  return {
    ...spec,
    gluePath: def.wasm,
    definition: def.filename,
    displayName: `${name} (${path.basename(def.filename)})`,
  };
}

/** Loads a declaration from its file (what workers do). */
function requireDefinition(filename) {
  let def;
  try {
    def = require(filename);
  } catch (err) {
    const hint = err?.code === 'ERR_REQUIRE_ESM' ? ' (an ES module declaration needs Node >= 20.19 on a pool: workers load it with require())' : '';
    throw moduleError('ERR_SABRE_MODULE_LOAD', `sabre: cannot load the kernel declaration ${filename}: ${err.message}${hint}`, err);
  }
  // An ES module loaded by require() (Node >= 20.19) is its namespace: the
  // declaration is its default export.
  if (!def?.[kDefinition] && def?.[Symbol.toStringTag] === 'Module') def = def.default;
  if (!def?.[kDefinition]) {
    throw moduleError('ERR_SABRE_MODULE_LOAD', `sabre: ${filename} must export the result of defineKernels()`);
  }
  return def;
}

/** Namespaced name of a user kernel in an engine's kernel table. */
const qualifiedName = (def, name) => `${def.filename}#${name}`;

/** The specs of a declaration, under their qualified names. */
function specsOf(def) {
  const out = {};
  for (const [name, k] of Object.entries(def.kernels)) out[qualifiedName(def, name)] = buildSpec(def, name, k);
  return out;
}

/**
 * Checks a declaration against its wasm module on the calling thread: the
 * glue exists, compiles and instantiates, `init` runs, and every declared
 * export exists with the number of parameters the declaration passes. Every
 * mistake is a clear error here rather than a hang or a late failure in a
 * worker. Returns the compiled module (shared with workers) and an Engine.
 */
function checkDefinition(def, Engine) {
  if (!def?.[kDefinition]) throw invalidArgType('definition', 'the result of sabre.defineKernels()', def);
  const wasmFile = def.wasm.replace(/\.js$/, '_bg.wasm');
  for (const f of [def.wasm, wasmFile]) {
    if (!fs.existsSync(f)) {
      throw moduleError('ERR_SABRE_MODULE_NOT_FOUND', `sabre: ${path.basename(def.filename)}: no such file ${f} (build it with wasm-pack build --target nodejs)`);
    }
  }
  let module;
  let engine;
  try {
    module = new WebAssembly.Module(fs.readFileSync(wasmFile));
    engine = new Engine({ module, gluePath: def.wasm, onInstance: def.init });
  } catch (err) {
    throw moduleError('ERR_SABRE_MODULE_LOAD', `sabre: cannot instantiate ${def.wasm}: ${err.message}`, err);
  }
  for (const [name, k] of Object.entries(def.kernels)) {
    const exportName = k.export ?? name;
    const fn = engine.wasm[exportName];
    if (typeof fn !== 'function') {
      const known = Object.keys(engine.wasm).filter((n) => typeof engine.wasm[n] === 'function' && !n.startsWith('__'));
      throw moduleError(
        'ERR_SABRE_MISSING_EXPORT',
        `sabre: kernel "${name}": ${path.basename(def.wasm)} has no export "${exportName}" (it exports: ${known.join(', ')})`,
      );
    }
    if (fn.length !== k.params.length) {
      throw moduleError(
        'ERR_SABRE_SIGNATURE',
        `sabre: kernel "${name}": export "${exportName}" takes ${fn.length} arguments but the declaration passes ${k.params.length} (${k.params.map((p) => p.name).join(', ')})`,
      );
    }
  }
  return { module, engine };
}

module.exports = { defineKernels, requireDefinition, specsOf, checkDefinition, qualifiedName, kDefinition };
