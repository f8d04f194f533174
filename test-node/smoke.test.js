'use strict';
// What a user gets: `npm pack` the assembled package, install the tarball
// into a fresh project, require it there and run a kernel on a pool.

const { it } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { root } = require('./helpers');

it('npm pack + npm install + require + a pool call', { timeout: 180_000 }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sabre-smoke-'));
  try {
    const npmEnv = { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
    const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', tmp, path.join(root, 'dist')], { encoding: 'utf8', env: npmEnv }));
    const files = packed[0].files.map((f) => f.path).sort();
    assert.ok(files.includes('wasm/sabre_bg.wasm'), 'ships the wasm');
    assert.ok(files.includes('wasm/sabre_shared.wasm'), 'ships the shared-memory build beside it');
    assert.ok(files.includes('wasm/sabre_relaxed_bg.wasm') && files.includes('wasm/sabre_relaxed.js'), 'ships the fused (relaxed-SIMD) module beside it');
    assert.ok(files.includes('worker.js'), 'ships its own worker script');
    assert.ok(files.includes('index.d.ts'));
    // package.json says "MIT OR Apache-2.0": both texts travel with the code.
    for (const license of ['LICENSE-MIT', 'LICENSE-APACHE']) {
      assert.ok(files.includes(license), `ships ${license}: ${files}`);
      assert.equal(fs.readFileSync(path.join(root, 'dist', license), 'utf8'), fs.readFileSync(path.join(root, license), 'utf8'), `dist/${license} is the repository's`);
    }
    assert.ok(!files.some((f) => f.includes('fault') || f.endsWith('.rs')), `nothing test-only or Rust: ${files}`);

    const app = path.join(tmp, 'app');
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true }));
    execFileSync('npm', ['install', '--no-save', path.join(tmp, packed[0].filename)], { cwd: app, env: npmEnv, stdio: 'pipe' });
    fs.writeFileSync(
      path.join(app, 'main.js'),
      `const sabre = require('sabre');
       const pool = new sabre.Pool({ threads: 2 });
       const img = sabre.shared.uint8(4 * 1000).fill(200);
       Promise.all([pool.kernels.countPrimes(0, 1e6), pool.kernels.grayscale(img)]).then(async ([n]) => {
         console.log(n, img[0]);
         await pool.close();
       });`,
    );
    const r = spawnSync(process.execPath, ['main.js'], { cwd: app, encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), '78498 200');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
