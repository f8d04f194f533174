'use strict';
// The package loads both ways, and both ways give the same objects.

const { it } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { root } = require('./helpers');

const dist = path.join(root, 'dist');

function node(args) {
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 30_000, cwd: root });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

it('require() works (CommonJS)', () => {
  const out = node(['-e', `const s = require(${JSON.stringify(dist)}); const x = s.shared.float64(3).fill(2); console.log(s.kernels.sum(x), typeof s.Pool)`]);
  assert.equal(out, '6 function');
});

it('import works (ESM), default and named exports agree', () => {
  const url = JSON.stringify(`file://${dist}/index.mjs`);
  const out = node([
    '--input-type=module',
    '-e',
    `import sabre, { kernels, Pool, shared } from ${url};
     const x = shared.float32(4).fill(1.5);
     const pool = new Pool({ threads: 1 });
     console.log(kernels.sum(x), await pool.kernels.sum(x), sabre.Pool === Pool);
     await pool.close();`,
  ]);
  assert.equal(out, '6 6 true');
});

it('the package exports map lists types first, then require and import', () => {
  const pkg = require(path.join(dist, 'package.json'));
  assert.deepEqual(Object.keys(pkg.exports['.']), ['types', 'require', 'import']);
  assert.equal(pkg.scripts, undefined, 'runs nothing at install time');
  assert.equal(pkg.dependencies, undefined, 'no runtime dependencies');
  assert.equal(pkg.engines.node, '>=20');
});
