'use strict';
// Builds the publishable package into dist/:
//   1. ensure the toolchain (scripts/toolchain.js);
//   2. wasm-pack build --target nodejs --release with +simd128 into build/wasm
//      (and, for the tests, a fault-injection variant into build/wasm-faults);
//   3. cargo build --target wasm32-wasip1-threads into build/wasm-shared: the
//      shared-memory build (raw pointer ABI, src/shared_abi.rs; no
//      wasm-bindgen), instantiated on one shared memory by js/shared-memory.js;
//   3b. the fused module (matmul's fused mode, cargo feature relaxed-simd)
//      into build/wasm-relaxed, loaded only where relaxed SIMD validates;
//   4. assemble dist/ from pkg-template/, js/, README.md, the two LICENSE-*
//      files and the wasm-pack output.
// Each step is skipped when the hash of its inputs matches the last build, so
// a second `npm test` neither reinstalls nor rebuilds.
//
// Usage: node scripts/build.js [--with-faults] [--with-examples]

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { root, log, run } = require('./lib');
const { ensureToolchain, env } = require('./toolchain');

const RUSTFLAGS = '-C target-feature=+simd128';

function listFiles(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listFiles(p));
    else out.push(p);
  }
  return out.sort();
}

function hashInputs(paths, extra) {
  const h = crypto.createHash('sha256');
  h.update(extra);
  for (const p of paths) {
    const files = fs.statSync(p).isDirectory() ? listFiles(p) : [p];
    for (const f of files) {
      h.update(path.relative(root, f));
      h.update(fs.readFileSync(f));
    }
  }
  return h.digest('hex');
}

/** Runs `build` unless `outDir/.stamp` records the same input hash. */
function cached(outDir, hash, build) {
  const stamp = path.join(outDir, '.stamp');
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === hash) return false;
  build();
  fs.writeFileSync(stamp, hash);
  return true;
}

const rustInputs = ['Cargo.toml', 'Cargo.lock', 'src'].map((p) => path.join(root, p));

/**
 * wasm-pack into build/OUTNAME (glue OUTFILE.js, OUTFILE_bg.wasm) with
 * +simd128 and the cargo `features`. `wasmOpt`: run wasm-pack with
 * `--no-opt`, then wasm-opt with these flags instead of Cargo.toml's.
 */
function buildWasm(outName, features, { outFile = 'sabre', wasmOpt } = {}) {
  const outDir = path.join(root, 'build', outName);
  const hash = hashInputs(rustInputs, `${RUSTFLAGS}|${features.join(',')}|${outFile}|${wasmOpt?.join(' ') ?? ''}`);
  return cached(outDir, hash, () => {
    log(`building ${outName} (wasm-pack --target nodejs --release${features.length ? `, features ${features}` : ''})`);
    fs.rmSync(outDir, { recursive: true, force: true });
    const args = ['build', '--target', 'nodejs', '--release', '--no-pack', '--out-dir', outDir, '--out-name', outFile];
    if (wasmOpt) args.push('--no-opt');
    if (features.length) args.push('--', '--features', features.join(','));
    run('wasm-pack', args, { env: { ...env(), RUSTFLAGS } });
    if (wasmOpt) {
      const wasm = path.join(outDir, `${outFile}_bg.wasm`);
      run('wasm-opt', [...wasmOpt, wasm, '-o', wasm], { env: env() });
    }
  });
}

/** The `wasm-opt = [...]` flags of Cargo.toml's wasm-pack release profile. */
function wasmOptFlags() {
  const m = /^wasm-opt = \[(.*)\]$/m.exec(fs.readFileSync(path.join(root, 'Cargo.toml'), 'utf8'));
  if (!m) throw new Error('Cargo.toml: no wasm-opt = [...] line in [package.metadata.wasm-pack.profile.release]');
  return JSON.parse(`[${m[1]}]`);
}

// The fused module: cargo feature `relaxed-simd` (only matmul's bindings;
// its micro-kernel alone is compiled with `#[target_feature(enable =
// "relaxed-simd")]`), with the default build's RUSTFLAGS and target dir, so
// that the dependencies built for it are reused and only the crate is
// compiled again (features are part of cargo's artifact hash, as for
// wasm-faults). Cargo.toml's wasm-opt flags are the default module's and
// stay so; this one runs them plus `--enable-relaxed-simd` itself. Shipped
// beside the default module as wasm/sabre_relaxed{.js,_bg.wasm};
// js/relaxed.js compiles it only where relaxed SIMD validates.
const buildRelaxedWasm = () =>
  buildWasm('wasm-relaxed', ['relaxed-simd'], { outFile: 'sabre_relaxed', wasmOpt: [...wasmOptFlags(), '--enable-relaxed-simd'] });

// The shared-memory build: `--cfg sabre_shared` compiles src/shared_abi.rs in;
// each JS instance needs its own shadow stack and TLS block, so the module
// exports the globals and the TLS initializer that set them up; its maximum
// memory is fixed at link time (4 GiB, all wasm32 addresses; the JS side picks
// its own maximum at or below it). Target-specific, so a RUSTFLAGS in the
// environment cannot silently replace it.
const SHARED_TARGET = 'wasm32-wasip1-threads';
const SHARED_RUSTFLAGS = [
  '--cfg sabre_shared',
  '-C target-feature=+simd128',
  ...['__stack_pointer', '__wasm_init_tls', '__tls_size', '__tls_align', '__tls_base'].map(
    (g) => `-C link-arg=--export=${g}`,
  ),
  '-C link-arg=--max-memory=4294967296',
].join(' ');

/** cargo's arguments and environment for the shared-memory build (and its clippy). */
function sharedCargo(command) {
  const targetDir = path.join(root, 'build', 'cargo-shared');
  return {
    targetDir,
    args: [command, '--release', '--lib', '--target', SHARED_TARGET, '--target-dir', targetDir],
    env: { ...env(), CARGO_TARGET_WASM32_WASIP1_THREADS_RUSTFLAGS: SHARED_RUSTFLAGS },
  };
}

function buildSharedWasm() {
  const outDir = path.join(root, 'build', 'wasm-shared');
  const hash = hashInputs(rustInputs, `${SHARED_TARGET}|${SHARED_RUSTFLAGS}`);
  return cached(outDir, hash, () => {
    log(`building wasm-shared (cargo build --release --target ${SHARED_TARGET})`);
    fs.rmSync(outDir, { recursive: true, force: true });
    // Its own target dir: the flags differ from the other builds', and one
    // dir would rebuild everything on every switch.
    const { targetDir, args, env: cargoEnv } = sharedCargo('build');
    run('cargo', args, { env: cargoEnv });
    fs.mkdirSync(outDir, { recursive: true });
    fs.copyFileSync(path.join(targetDir, SHARED_TARGET, 'release', 'sabre.wasm'), path.join(outDir, 'sabre_shared.wasm'));
  });
}

/** dist/: the package exactly as it would be published. */
function assemble() {
  const dist = path.join(root, 'dist');
  const licenses = ['LICENSE-MIT', 'LICENSE-APACHE'];
  const inputs = ['pkg-template', 'js', 'README.md', ...licenses, 'build/wasm/.stamp', 'build/wasm-shared/.stamp', 'build/wasm-relaxed/.stamp'].map((p) => path.join(root, p));
  return cached(dist, hashInputs(inputs, 'dist'), () => {
    log('assembling dist/');
    fs.rmSync(dist, { recursive: true, force: true });
    fs.mkdirSync(path.join(dist, 'wasm'), { recursive: true });
    for (const f of fs.readdirSync(path.join(root, 'pkg-template'))) {
      fs.copyFileSync(path.join(root, 'pkg-template', f), path.join(dist, f));
    }
    fs.cpSync(path.join(root, 'js'), dist, { recursive: true });
    // One README: the repository's front door is also the package's.
    fs.copyFileSync(path.join(root, 'README.md'), path.join(dist, 'README.md'));
    // "MIT OR Apache-2.0" (package.json): both texts ship with the package.
    for (const f of licenses) fs.copyFileSync(path.join(root, f), path.join(dist, f));
    for (const f of ['sabre.js', 'sabre_bg.wasm']) {
      fs.copyFileSync(path.join(root, 'build', 'wasm', f), path.join(dist, 'wasm', f));
    }
    for (const f of ['sabre_relaxed.js', 'sabre_relaxed_bg.wasm']) {
      fs.copyFileSync(path.join(root, 'build', 'wasm-relaxed', f), path.join(dist, 'wasm', f));
    }
    fs.copyFileSync(path.join(root, 'build', 'wasm-shared', 'sabre_shared.wasm'), path.join(dist, 'wasm', 'sabre_shared.wasm'));
  });
}

/**
 * An example crate, built the way a user would build theirs (plain
 * `wasm-pack build --target nodejs`, no sabre-specific flags) into its pkg/.
 */
function buildExampleCrate(name) {
  const dir = path.join(root, 'examples', name);
  const inputs = ['Cargo.toml', 'src'].map((p) => path.join(dir, p));
  return cached(path.join(dir, 'pkg'), hashInputs(inputs, 'example'), () => {
    log(`building examples/${name} (wasm-pack --target nodejs --release)`);
    const args = ['build', '--target', 'nodejs', '--release', '--no-pack', '--out-dir', 'pkg', dir];
    run('wasm-pack', args, { env: env() });
  });
}

function build({ withFaults = false, withExamples = false } = {}) {
  ensureToolchain();
  buildWasm('wasm', []);
  buildSharedWasm();
  buildRelaxedWasm();
  if (withFaults) buildWasm('wasm-faults', ['fault-injection']);
  if (withExamples) buildExampleCrate('custom-kernel');
  assemble();
}

module.exports = { build, sharedCargo };

if (require.main === module) {
  build({ withFaults: process.argv.includes('--with-faults'), withExamples: process.argv.includes('--with-examples') });
}
