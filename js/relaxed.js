'use strict';
// Relaxed SIMD: whether this runtime has it, and the fused module.
//
// matmul's fused mode (`options.fused`) runs `f32x4.relaxed_madd` from a
// module of its own, wasm/sabre_relaxed_bg.wasm (cargo feature
// `relaxed-simd`, only matmul's bindings; scripts/build.js), so that the
// default module holds no relaxed instruction and compiles everywhere. Node
// 20 (V8 11.3) compiles relaxed SIMD only with --experimental-wasm-relaxed-simd
// ("simd opcode not available" otherwise); V8 11.4 enabled it by default,
// and Node 24 has it (verified here).
//
// Detection: each thread that loads this file (the main thread and every
// pool worker) validates a 37-byte module whose one function is
// `f32x4.relaxed_madd` of its three v128 parameters. `WebAssembly.validate`
// compiles nothing and throws nothing: it answers for this isolate's flags.
// A fused call where it says no fails with ERR_SABRE_RELAXED_SIMD_UNSUPPORTED
// before anything runs, never silently falls back to the exact mode: the
// caller asked for different numbers and a different speed, and
// `sabre.features.relaxedSimd` lets them choose beforehand
// (`{ fused: sabre.features.relaxedSimd }` is the fallback, written out).

const path = require('node:path');
const { SabreError, invalidArgType } = require('./errors');
const { Engine, compileModule } = require('./engine');

// (module (func (param v128 v128 v128) (result v128)
//   local.get 0 local.get 1 local.get 2 f32x4.relaxed_madd))
const PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
  0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b, // type: (v128 v128 v128) -> v128
  0x03, 0x02, 0x01, 0x00, // function 0 has type 0
  0x0a, 0x0d, 0x01, 0x0b, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, // code: no locals, three local.get
  0xfd, 0x85, 0x02, // f32x4.relaxed_madd (0xfd 0x105)
  0x0b, // end
]);

/** Whether this thread's runtime compiles relaxed SIMD: decided once, when this file loads. */
const supported = WebAssembly.validate(PROBE);

const glue = path.join(__dirname, 'wasm', 'sabre_relaxed.js');

function unsupported() {
  return new SabreError(
    `matmul's fused mode (options.fused) needs WebAssembly relaxed SIMD, which this runtime does not compile ` +
      `(Node ${process.version}, V8 ${process.versions.v8}): Node 20 needs the flag --experimental-wasm-relaxed-simd ` +
      `(node --experimental-wasm-relaxed-simd app.js, or NODE_OPTIONS), Node 22 and later have it by default. ` +
      `sabre.features.relaxedSimd says whether it is there; without fused, matmul is exact and needs no flag.`,
    { code: 'ERR_SABRE_RELAXED_SIMD_UNSUPPORTED' },
  );
}

/** Throws ERR_SABRE_RELAXED_SIMD_UNSUPPORTED unless this thread can run the fused module. */
function check() {
  if (!supported) throw unsupported();
}

let compiled = null;

/** The fused module, compiled once per thread that asks (the main thread; workers are sent it). */
function relaxedModule() {
  check();
  return (compiled ??= compileModule(glue));
}

let engine = null;

/**
 * This thread's Engine on the fused module: on the main thread compiled
 * here, in a worker from the module the pool sent (`sent`, its first fused
 * chunk). Checked in each thread, so a worker never compiles what its
 * runtime refuses.
 */
function relaxedEngine(sent = undefined) {
  check();
  return (engine ??= new Engine({ module: sent ?? relaxedModule(), gluePath: glue }));
}

/**
 * The kernel a call runs: `kernel`, or with `fused` its fused variant (the
 * spec's `fused`: a kernel name in the same table). A kernel without one is
 * a TypeError naming options.fused; a runtime without relaxed SIMD is
 * ERR_SABRE_RELAXED_SIMD_UNSUPPORTED. Both before the call is registered.
 */
function variantOf(table, kernel, fused) {
  if (!fused) return kernel;
  const name = table[kernel].fused;
  if (name === undefined) throw invalidArgType('options.fused', `false or undefined (${kernel} has no fused mode; matmul has)`, fused);
  check();
  return name;
}

/** `wasm: 'relaxed'` in a spec: its run needs the fused module's engine. */
const needsRelaxed = (spec) => spec.wasm === 'relaxed';

module.exports = { supported, relaxedModule, relaxedEngine, variantOf, needsRelaxed, PROBE };
