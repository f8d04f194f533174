'use strict';
// The crate's Rust unit tests compiled to wasm and run under Node's own WASI
// (node:wasi), once per kernel variant, in the codegen the package ships:
//   simd128   RUSTFLAGS +simd128: the explicit core::arch::wasm32 variants
//             (reduce, bytes, k-means, n-body), exactly as in dist/'s .wasm;
//   portable  +simd128 with --cfg sabre_no_simd: every kernel's portable
//             loop instead, built with the same target features.
// Native `cargo test` checks the portable loops on x86-64 only and never
// compiles the simd128 ones. The target is wasm32-wasip1 (a std with
// stdout and exit codes for libtest); the wasm-bindgen layer (src/bindings)
// is left out there (src/lib.rs). Each variant has its own target dir, so
// switching RUSTFLAGS does not rebuild the other from scratch.
//
// Usage: node scripts/wasi-test.js [simd128|portable ...] [-- libtest args]

const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { WASI } = require('node:wasi');
const { root, log } = require('./lib');
const { env } = require('./toolchain');

const TARGET = 'wasm32-wasip1';
// The test binary starts with 1 GiB of linear memory (reserved, touched
// only as used) so that it never runs memory.grow: on Node 20.20 a full run
// that grows its memory crashed V8 in about half the runs (a fatal error in
// the GC that memory.grow triggers, or a segfault at exit); Node 24 did not,
// nor did Node 20 without growth (0 of 8 runs).
const MEMORY = '-C link-arg=--initial-memory=1073741824';
const VARIANTS = {
  simd128: `-C target-feature=+simd128 ${MEMORY}`,
  portable: `-C target-feature=+simd128 --cfg sabre_no_simd ${MEMORY}`,
};

/** Builds the test binary of one variant and returns its .wasm path. */
function buildTests(name) {
  const targetDir = path.join(root, 'target', `wasi-${name}`);
  const r = spawnSync(
    'cargo',
    ['test', '--quiet', '--lib', '--target', TARGET, '--target-dir', targetDir, '--no-run', '--message-format=json'],
    { cwd: root, env: { ...env(), RUSTFLAGS: VARIANTS[name] }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 28 },
  );
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`cargo test --target ${TARGET} (${name}) exited with ${r.status ?? r.signal}`);
  const exes = r.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line))
    .filter((m) => m.reason === 'compiler-artifact' && m.executable)
    .map((m) => m.executable);
  if (exes.length !== 1) throw new Error(`expected one test binary, cargo reported ${exes.length}`);
  return exes[0];
}

/** Runs a libtest binary under node:wasi; returns its exit code. */
async function runTests(wasmPath, args) {
  // wasip1 has no threads: libtest runs the tests one after another. Panics
  // abort there (a failed assert is a trap that ends the run), so output is
  // not captured: the panic's message must reach stderr before the trap.
  const argv = [path.basename(wasmPath), '--test-threads=1', '--nocapture', ...args];
  const wasi = new WASI({ version: 'preview1', args: argv, env: {}, returnOnExit: true });
  const module = await WebAssembly.compile(fs.readFileSync(wasmPath));
  const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
  try {
    return wasi.start(instance);
  } catch (err) {
    throw new Error(`a test aborted (${err}): its panic message is above`);
  }
}

async function main(argv) {
  const sep = argv.indexOf('--');
  const names = sep < 0 ? argv : argv.slice(0, sep);
  const args = sep < 0 ? [] : argv.slice(sep + 1);
  for (const name of names.length ? names : Object.keys(VARIANTS)) {
    if (!VARIANTS[name]) throw new Error(`unknown variant ${name} (one of ${Object.keys(VARIANTS).join(', ')})`);
    log(`cargo test in wasm (${TARGET}, ${name}: RUSTFLAGS ${VARIANTS[name]}) under node:wasi`);
    const code = await runTests(buildTests(name), args).catch((err) => {
      throw new Error(`the ${name} wasm tests failed: ${err.message}`);
    });
    if (code !== 0) throw new Error(`the ${name} wasm tests failed (exit code ${code})`);
  }
}

module.exports = { main, VARIANTS };

if (require.main === module) {
  main(process.argv.slice(2)).catch((err) => {
    process.stderr.write(`${err.message}\n`);
    process.exitCode = 1;
  });
}
