'use strict';
// The best native libraries a user could call instead of sabre: the
// benchmark's anchors, measured beside sabre's modes and interleaved with
// them rep by rep.
//
//   numpy       numpy/OpenBLAS (bench/modes/numpy_anchor.py) in a private
//               virtual environment, bench/.venv, made and filled from PyPI
//               (numpy, threadpoolctl) on first use; skipped with a note
//               when python3 or PyPI is missing. OPENBLAS_CORETYPE and
//               OPENBLAS_L2_SIZE are unset for it only (some machines set
//               them and slow OpenBLAS down); threadpoolctl's report of the
//               BLAS kernel and its threads is kept in the results.
//               OPENBLAS_THREAD_TIMEOUT is 4 (2^4 cycles) unless set: by
//               default OpenBLAS's idle threads spin ~2^28 cycles (~0.1 s)
//               after each call, on the cores the next mode runs on. Measured
//               here: sabre's pool×2 matmul (768³) right after a numpy
//               matmul took 32.7 ms against 24.5 ms 300 ms later, and 20.4
//               against 23.3 with the short timeout; numpy's own matmul took
//               2.78 ms against 2.48 (its threads wake for each call, as they
//               already had to in the benchmark, whose other modes run for
//               far longer than the spin between two numpy reps).
//   primesieve  Debian's `primesieve` command (apt-get install primesieve),
//               timed by its own --time; skipped with a note when absent.
//
// Each anchor runs in its own process and reports its own time (REPORTED_MS),
// so its figure is the library's, not a round trip to it.

const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');
const { REPORTED_MS } = require('../measure');

const venv = path.join(__dirname, '..', '.venv');
const python = path.join(venv, 'bin', 'python');
const script = path.join(__dirname, 'numpy_anchor.py');

/** Kernels with a numpy anchor (numpy_anchor.py `setup`). */
const NUMPY = new Set(['scale', 'axpy', 'clamp', 'abs', 'sqrt', 'sum', 'dot', 'matmul', 'sort']);

/** Makes bench/.venv with numpy and threadpoolctl. Returns { available, note }. */
function ensureVenv(log) {
  if (fs.existsSync(python)) {
    const ok = spawnSync(python, ['-c', 'import numpy, threadpoolctl'], { encoding: 'utf8' });
    if (ok.status === 0) return { available: true };
  }
  const py = spawnSync('python3', ['--version'], { encoding: 'utf8' });
  if (py.error || py.status !== 0) return { available: false, note: 'python3 not found: numpy anchor skipped' };
  log('making bench/.venv with numpy and threadpoolctl from PyPI (first use only) ...');
  const mk = spawnSync('python3', ['-m', 'venv', venv], { encoding: 'utf8' });
  if (mk.status !== 0) return { available: false, note: `python3 -m venv failed, numpy anchor skipped: ${(mk.stderr || '').trim().split('\n').pop()}` };
  const pip = spawnSync(path.join(venv, 'bin', 'pip'), ['install', '--quiet', 'numpy', 'threadpoolctl'], { encoding: 'utf8' });
  if (pip.status !== 0) return { available: false, note: `pip install numpy failed, numpy anchor skipped: ${(pip.stderr || '').trim().split('\n').pop()}` };
  return { available: true };
}

/** OpenBLAS's idle-thread spin, as a power of two of cycles (its minimum; see above). */
const THREAD_TIMEOUT = '4';

/** One long-lived numpy process: setup(kernel, n, threads), then run() per rep. */
class NumpyAnchor {
  constructor() {
    const env = { ...process.env };
    delete env.OPENBLAS_CORETYPE;
    delete env.OPENBLAS_L2_SIZE;
    env.OPENBLAS_THREAD_TIMEOUT ??= THREAD_TIMEOUT;
    this.threadTimeout = env.OPENBLAS_THREAD_TIMEOUT;
    this.child = spawn(python, [script], { env, stdio: ['pipe', 'pipe', 'inherit'] });
    this.lines = readline.createInterface({ input: this.child.stdout })[Symbol.asyncIterator]();
  }

  async #ask(req) {
    this.child.stdin.write(`${JSON.stringify(req)}\n`);
    const { value, done } = await this.lines.next();
    if (done) throw new Error('the numpy anchor exited');
    const reply = JSON.parse(value);
    if (reply.error) throw new Error(`numpy anchor: ${reply.error}`);
    return reply;
  }

  info() {
    return this.#ask({ op: 'info' });
  }

  setup(kernel, n, threads) {
    return this.#ask({ op: 'setup', kernel, n, threads });
  }

  /** One timed run, as measureModes takes it. */
  async run() {
    return { [REPORTED_MS]: (await this.#ask({ op: 'run' })).ms };
  }

  close() {
    this.child.stdin.end();
  }
}

/** The size numpy gets for a kernel's benchmark arguments. */
function numpySize(kernel, args) {
  if (kernel === 'matmul') return args[3]; // m (square)
  return args[0].length;
}

/** Whether Debian's primesieve command is there. */
function primesieveAvailable() {
  const r = spawnSync('primesieve', ['--version'], { encoding: 'utf8' });
  return r.status === 0
    ? { available: true, version: r.stdout.trim().split('\n')[0] }
    : { available: false, note: 'primesieve not found (apt-get install primesieve): its anchor is skipped' };
}

/**
 * primesieve counting the primes in [lo, hi) on `threads` threads, timed by
 * its own --time. Returns { [REPORTED_MS], count }.
 */
function primesieveCount(lo, hi, threads) {
  const r = spawnSync('primesieve', [String(lo), String(hi - 1), '--count', `--threads=${threads}`, '--time'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`primesieve: ${r.stderr || r.error?.message}`);
  const seconds = /Seconds:\s*([\d.]+)/.exec(r.stdout);
  const count = /Primes:\s*(\d+)/.exec(r.stdout);
  if (!seconds || !count) throw new Error(`primesieve: unexpected output ${JSON.stringify(r.stdout)}`);
  return { [REPORTED_MS]: Number(seconds[1]) * 1000, count: Number(count[1]) };
}

module.exports = { NUMPY, ensureVenv, NumpyAnchor, numpySize, primesieveAvailable, primesieveCount };
