'use strict';
// Every ```js sample in README.md runs as written, with `require('sabre')`
// resolving to the assembled package.

const { it } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { root } = require('./helpers');

const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
const samples = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);

it('README has code samples', () => assert.ok(samples.length >= 2));

samples.forEach((code, i) => {
  it(`README sample ${i + 1} runs`, () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sabre-readme-'));
    try {
      fs.mkdirSync(path.join(dir, 'node_modules'));
      fs.symlinkSync(path.join(root, 'dist'), path.join(dir, 'node_modules', 'sabre'), 'dir');
      fs.writeFileSync(path.join(dir, 'sample.js'), `${code}`);
      const r = spawnSync(process.execPath, ['sample.js'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.signal, null, 'exits by itself');
      assert.equal(r.status, 0, r.stderr);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
