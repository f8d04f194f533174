'use strict';
// Makes sure everything the wasm build needs is on this machine, installing
// what is missing through cargo/rustup/npm (the only registries reachable
// here). Each check is cheap, so a second run does nothing.

const fs = require('node:fs');
const path = require('node:path');
const os = require('node:os');
const { root, log, run, capture } = require('./lib');

const cargoBin = path.join(process.env.CARGO_HOME || path.join(os.homedir(), '.cargo'), 'bin');

/** PATH with cargo's bin dir and the project's node_modules/.bin first. */
function toolPath() {
  return [path.join(root, 'node_modules', '.bin'), cargoBin, process.env.PATH].join(path.delimiter);
}

function env() {
  return { ...process.env, PATH: toolPath() };
}

/** The wasm-bindgen version Cargo.lock resolved: the CLI must match it. */
function lockedWasmBindgenVersion() {
  const lock = fs.readFileSync(path.join(root, 'Cargo.lock'), 'utf8');
  const m = lock.match(/\[\[package\]\]\nname = "wasm-bindgen"\nversion = "([^"]+)"/);
  if (!m) throw new Error('Cargo.lock does not list wasm-bindgen');
  return m[1];
}

/** npm devDependencies (binaryen's wasm-opt, piscina for the benchmark). */
function ensureNodeModules() {
  const marker = path.join(root, 'node_modules', '.package-lock.json');
  const lock = path.join(root, 'package-lock.json');
  if (fs.existsSync(marker) && fs.statSync(marker).mtimeMs >= fs.statSync(lock).mtimeMs) return;
  log('installing npm devDependencies (npm ci)');
  run('npm', ['ci', '--no-audit', '--no-fund'], { env: env() });
}

function ensureRust() {
  const e = env();
  if (!capture('cargo', ['--version'], { env: e })) {
    throw new Error('cargo is not installed: sabre needs a Rust toolchain (rustup) to build its wasm');
  }
  const targets = capture('rustup', ['target', 'list', '--installed'], { env: e }) || '';
  // wasm32-unknown-unknown builds the package; wasm32-wasip1 runs the
  // kernels' unit tests in wasm (scripts/wasi-test.js); wasm32-wasip1-threads
  // is the shared-memory build (stable: its std is built with atomics).
  for (const target of ['wasm32-unknown-unknown', 'wasm32-wasip1', 'wasm32-wasip1-threads']) {
    if (targets.split('\n').includes(target)) continue;
    log(`adding the ${target} target`);
    run('rustup', ['target', 'add', target], { env: e });
  }
  if (!capture('wasm-pack', ['--version'], { env: e })) {
    log('installing wasm-pack (cargo install, about 1.5 min)');
    run('cargo', ['install', 'wasm-pack'], { env: e });
  }
  const want = lockedWasmBindgenVersion();
  const have = capture('wasm-bindgen', ['--version'], { env: e });
  if (!have || have.split(/\s+/)[1] !== want) {
    // No --locked: the registry mirror lacks a newer transitive version that
    // the CLI's own lockfile names (see shared FACTS.md).
    log(`installing wasm-bindgen-cli ${want} (cargo install, about 2 min)`);
    run('cargo', ['install', 'wasm-bindgen-cli', '--version', want, '--force'], { env: e });
  }
}

function ensureToolchain() {
  ensureNodeModules();
  ensureRust();
}

module.exports = { ensureToolchain, ensureNodeModules, env, toolPath };

if (require.main === module) ensureToolchain();
