'use strict';
// `npm test`: everything, from a fresh clone, with nothing installed by hand.
//   1. build (toolchain, wasm, the fault-injection wasm, dist/)
//   2. lint: ESLint (eslint.config.js) over every JS folder, cargo fmt
//      --check, cargo clippy -D warnings (native tests, the wasm build, the
//      fault-injection build, the fused module, the shared-memory build)
//   3. cargo test: the kernels natively, then in wasm under node:wasi, once
//      with the simd128 variants and once with the portable loops
//      (scripts/wasi-test.js)
//   4. node --test test-node/ on this Node
//   5. the same suite on Node 24 LTS (npm package node@24, cached in .cache/)
// Set SABRE_SKIP_NODE24=1 to skip step 5 while iterating.

const fs = require('node:fs');
const path = require('node:path');
const { root, log, run } = require('./lib');
const { build, sharedCargo } = require('./build');
const { env } = require('./toolchain');

const NODE24 = '24';

function node24() {
  const prefix = path.join(root, '.cache', 'node24');
  const bin = path.join(prefix, 'node_modules', 'node', 'bin', 'node');
  if (!fs.existsSync(bin)) {
    log(`installing Node ${NODE24} from the npm registry (package node@${NODE24}) into .cache/node24`);
    fs.mkdirSync(prefix, { recursive: true });
    fs.writeFileSync(path.join(prefix, 'package.json'), '{"private":true}');
    run('npm', ['install', '--no-audit', '--no-fund', '--prefix', prefix, `node@${NODE24}`]);
  }
  return bin;
}

function nodeTests(nodeBin) {
  const files = fs
    .readdirSync(path.join(root, 'test-node'))
    .filter((f) => f.endsWith('.test.js'))
    .map((f) => path.join('test-node', f));
  run(nodeBin, ['--test', '--test-concurrency=1', ...files], { env: env() });
}

const started = Date.now();
build({ withFaults: true, withExamples: true });
log('lint: eslint, cargo fmt --check, cargo clippy -D warnings');
run(process.execPath, [path.join(root, 'node_modules', 'eslint', 'bin', 'eslint.js'), '--max-warnings=0', 'eslint.config.js', 'js', 'scripts', 'bench', 'test-node', 'examples'], { env: env() });
run('cargo', ['fmt', '--all', '--', '--check'], { env: env() });
run('cargo', ['clippy', '--quiet', '--all-targets', '--', '-D', 'warnings'], { env: env() });
for (const features of [[], ['fault-injection'], ['relaxed-simd']]) {
  const args = ['clippy', '--quiet', '--target', 'wasm32-unknown-unknown', '--release'];
  if (features.length) args.push('--features', features.join(','));
  run('cargo', [...args, '--', '-D', 'warnings'], { env: { ...env(), RUSTFLAGS: '-C target-feature=+simd128' } });
}
{
  // The shared-memory build's raw ABI (src/shared_abi.rs), with its flags.
  const { args, env: cargoEnv } = sharedCargo('clippy');
  run('cargo', [...args, '--quiet', '--', '-D', 'warnings'], { env: cargoEnv });
}
log('cargo test');
run('cargo', ['test', '--quiet'], { env: env() });
run(process.execPath, ['--disable-warning=ExperimentalWarning', path.join(__dirname, 'wasi-test.js')], { env: env() });
log(`node --test on ${process.version}`);
nodeTests(process.execPath);
if (process.env.SABRE_SKIP_NODE24 !== '1') {
  const bin = node24();
  log(`node --test on Node ${require('node:child_process').execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim()}`);
  nodeTests(bin);
}
log(`all tests passed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
