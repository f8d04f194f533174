'use strict';
// Every ```js sample in README.md runs as written, with `require('sabre')`
// resolving to the assembled package.

const { it, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { root } = require('./helpers');

const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
const samples = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);

it('README has code samples', () => assert.ok(samples.length >= 2));

// One directory for all samples, as a user's project: `sabre` installed, and
// the example crate's wasm-pack output as ./pkg. A sample that declares
// kernels (`defineKernels(module, ...)`) becomes ./kernels.js, which later
// samples require.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sabre-readme-'));
fs.mkdirSync(path.join(dir, 'node_modules'));
fs.symlinkSync(path.join(root, 'dist'), path.join(dir, 'node_modules', 'sabre'), 'dir');
fs.symlinkSync(path.join(root, 'examples', 'custom-kernel', 'pkg'), path.join(dir, 'pkg'), 'dir');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

samples.forEach((code, i) => {
  it(`README sample ${i + 1} runs`, () => {
    const file = code.includes('defineKernels(module') ? 'kernels.js' : `sample${i + 1}.js`;
    fs.writeFileSync(path.join(dir, file), code);
    const r = spawnSync(process.execPath, ['-e', `require('./${file}')`], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.signal, null, 'exits by itself');
    assert.equal(r.status, 0, r.stderr);
  });
});
