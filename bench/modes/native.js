'use strict';
// The native mode: sabre's Rust kernels compiled for this machine
// (bench/native, a separate cargo crate, never shipped), single-threaded and
// with rayon over the same chunks as the pool. The hardware's practical
// limit, drawn next to the wasm figures.
//
// Built for rustc's default x86-64 target (SSE2: 128-bit vectors, like
// wasm's simd128) unless SABRE_BENCH_NATIVE_CPU names a CPU (e.g. `native`
// for -C target-cpu=native, AVX2 where the machine has it), in its own
// target directory so both builds can coexist.

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const crate = path.join(__dirname, '..', 'native');
const cpu = process.env.SABRE_BENCH_NATIVE_CPU || '';
const targetDir = path.join(crate, 'target', cpu ? `cpu-${cpu}` : 'default');
const binary = path.join(targetDir, 'release', process.platform === 'win32' ? 'sabre-native-bench.exe' : 'sabre-native-bench');

/**
 * Builds the native benchmark. Returns { available, note, cpu, rustc }; a
 * missing cargo or a failed build is a note, never an error.
 */
function build(log) {
  const version = spawnSync('cargo', ['--version'], { encoding: 'utf8' });
  if (version.error || version.status !== 0) {
    return { available: false, note: 'cargo not found: native figures skipped' };
  }
  const rustc = spawnSync('rustc', ['--version'], { encoding: 'utf8' }).stdout?.trim();
  log(`building the native benchmark (cargo build --release${cpu ? `, -C target-cpu=${cpu}` : ''}) ...`);
  const env = { ...process.env, CARGO_TARGET_DIR: targetDir };
  if (cpu) env.RUSTFLAGS = `${process.env.RUSTFLAGS ?? ''} -C target-cpu=${cpu}`.trim();
  else delete env.RUSTFLAGS; // the wasm build's +simd128 flags must not leak in
  const r = spawnSync('cargo', ['build', '--release', '--quiet'], { cwd: crate, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0 || !fs.existsSync(binary)) {
    const tail = `${r.stderr ?? ''}${r.error ? r.error.message : ''}`.trim().split('\n').slice(-5).join('\n');
    return { available: false, note: `native build failed, native figures skipped:\n${tail}` };
  }
  return { available: true, cpu: cpu || 'x86-64 baseline (rustc default target)', rustc };
}

/**
 * Runs one kernel at one size: `units` and `grain` from the kernel's spec,
 * `params` from bench/cases.js. Returns the parsed JSON, or { error }.
 */
function run(kernel, units, grain, threads, params, reps) {
  const args = [
    `kernel=${kernel}`,
    `units=${units}`,
    `grain=${grain}`,
    `threads=${threads.join(',')}`,
    `warmup=${reps.warmup}`,
    `min=${reps.min}`,
    `max=${reps.max}`,
    `budget=${reps.budgetMs}`,
    ...Object.entries(params).map(([k, v]) => `${k}=${v}`),
  ];
  const r = spawnSync(binary, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) return { error: (r.stderr || r.error?.message || `exit ${r.status}`).trim() };
  try {
    return JSON.parse(r.stdout);
  } catch (err) {
    return { error: `unreadable output: ${err.message}` };
  }
}

module.exports = { build, run, cpu };
