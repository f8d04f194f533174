'use strict';
// The pool benchmark: each kernel at a small and a large size, three ways:
// plain JavaScript on the main thread, sabre's wasm called directly on the
// main thread, and sabre's pool. Prints median times and speed-ups, and saves
// them as JSON in bench/results/. A program, never a test: nothing here is
// asserted.
//
//   node bench/run.js [--quick] [--kernel NAME[,NAME]] [--sizes small,large]

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const { sabre, cases } = require('./cases');
const js = require('./js-reference');

function parseArgs(argv) {
  const opts = { quick: false, kernels: Object.keys(cases), sizes: ['small', 'large'] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') opts.quick = true;
    else if (a === '--kernel') opts.kernels = argv[++i].split(',');
    else if (a === '--sizes') opts.sizes = argv[++i].split(',');
    else throw new Error(`unknown argument ${a} (use --quick, --kernel NAME, --sizes small,large)`);
  }
  for (const k of opts.kernels) if (!cases[k]) throw new Error(`unknown kernel ${k}; known: ${Object.keys(cases)}`);
  return opts;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Runs `fn` `warmup` times untimed, then `repeats` times; returns times in ms. */
async function time(fn, { warmup, repeats }) {
  for (let i = 0; i < warmup; i++) await fn();
  const times = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return times;
}

const fmt = (ms) => (ms >= 100 ? ms.toFixed(0) : ms >= 1 ? ms.toFixed(2) : ms.toFixed(3));
const ratio = (a, b) => `${(a / b).toFixed(2)}x`;

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const threads = os.availableParallelism();
  const pool = new sabre.Pool({ threads });
  const reps = opts.quick ? { warmup: 1, repeats: 3 } : { warmup: 2, repeats: 7 };
  const results = [];
  const log = (m) => process.stderr.write(`${m}\n`);
  log(`sabre bench: ${os.cpus()[0]?.model ?? 'cpu'}, ${threads} threads, Node ${process.version}${opts.quick ? ' (quick)' : ''}`);

  for (const kernel of opts.kernels) {
    const c = cases[kernel];
    for (const label of opts.sizes) {
      let n = c.sizes[label];
      if (opts.quick && label === 'large') n = Math.ceil(n / (kernel === 'mandelbrot' ? 3 : 10));
      const args = c.args(n);
      log(`  ${kernel} ${label} (${n.toLocaleString('en')}${c.unit ? ` ${c.unit}` : ''}) ...`);
      const modes = {
        js: () => js[kernel](...args),
        wasm: () => sabre.kernels[kernel](...args),
        pool: () => pool.kernels[kernel](...args),
      };
      const row = { kernel, size: label, n, unit: c.unit ?? 'elements', ms: {}, spread: {} };
      for (const [mode, fn] of Object.entries(modes)) {
        const times = await time(fn, reps);
        row.ms[mode] = median(times);
        row.spread[mode] = [Math.min(...times), Math.max(...times)];
      }
      results.push(row);
    }
  }
  await pool.close();

  const header = ['kernel', 'size', 'JS ms', 'wasm ms', `pool(${threads}) ms`, 'wasm vs JS', 'pool vs JS', 'pool vs wasm'];
  const rows = results.map((r) => [
    r.kernel,
    `${r.size} ${r.n.toLocaleString('en')}`,
    fmt(r.ms.js),
    fmt(r.ms.wasm),
    fmt(r.ms.pool),
    ratio(r.ms.js, r.ms.wasm),
    ratio(r.ms.js, r.ms.pool),
    ratio(r.ms.wasm, r.ms.pool),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
  console.log(`\nmedians of ${reps.repeats} runs after ${reps.warmup} warm-up; speed-up = time of the first / time of the second`);

  const outDir = path.join(__dirname, 'results');
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, opts.quick ? 'latest-quick.json' : 'latest.json');
  const meta = { date: new Date().toISOString(), node: process.version, threads, cpu: os.cpus()[0]?.model, quick: opts.quick };
  fs.writeFileSync(file, `${JSON.stringify({ meta, results }, null, 2)}\n`);
  log(`saved ${path.relative(process.cwd(), file)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
