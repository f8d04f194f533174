'use strict';
// Runs the crate's own kernels directly and on a sabre pool.
//   node examples/custom-kernel [n]
const sabre = require('sabre');
const mine = require('./kernels');

const n = Number(process.argv[2] ?? 5_000_000);
const x = sabre.shared.float64(n);
for (let i = 0; i < n; i++) x[i] = i / n;
const y = sabre.shared.float64(n);

(async () => {
  const pool = new sabre.Pool();
  const onPool = pool.load(mine); // checks the declaration against the wasm first
  let t = performance.now();
  await onPool.polyval(y, x);
  const ss = await onPool.sumSquares(y);
  const poolMs = performance.now() - t;

  const direct = sabre.load(mine);
  t = performance.now();
  const ssDirect = direct.sumSquares(direct.polyval(sabre.shared.float64(n), x));
  const directMs = performance.now() - t;

  console.log(JSON.stringify({ n, sumSquares: ss, sameDirect: ss === ssDirect, poolMs: +poolMs.toFixed(1), directMs: +directMs.toFixed(1), threads: pool.threads }));
  await pool.close();
})();
