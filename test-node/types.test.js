'use strict';
// The hand-written index.d.ts compiles under `tsc --strict` and describes the
// API: fixtures use it correctly and mark wrong uses with @ts-expect-error,
// with @types/node and in a project without it.

const { it } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { root } = require('./helpers');

/**
 * Compiles `fixture` as main.ts of a fresh project with `sabre` installed
 * (and @types/node too when `withNode`, else no types at all) under
 * tsc --strict with `lib`.
 */
function typeCheck(fixture, { withNode, lib }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sabre-types-'));
  try {
    fs.mkdirSync(path.join(dir, 'node_modules', '@types'), { recursive: true });
    fs.symlinkSync(path.join(root, 'dist'), path.join(dir, 'node_modules', 'sabre'), 'dir');
    if (withNode) fs.symlinkSync(path.join(root, 'node_modules', '@types', 'node'), path.join(dir, 'node_modules', '@types', 'node'), 'dir');
    fs.copyFileSync(path.join(__dirname, 'fixtures', fixture), path.join(dir, 'main.ts'));
    const compilerOptions = { noEmit: true, strict: true, target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', lib, types: withNode ? ['node'] : [] };
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['main.ts'] }));
    const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = spawnSync(process.execPath, [tsc, '-p', '.'], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

it('index.d.ts type-checks a sample program (tsc --strict, @types/node)', { timeout: 120_000 }, () => {
  typeCheck('types-check.ts', { withNode: true, lib: ['es2022', 'esnext.disposable'] });
});

it('index.d.ts stands alone: no @types/node, with or without the DOM lib', { timeout: 120_000 }, () => {
  typeCheck('types-standalone.ts', { withNode: false, lib: ['es2022', 'dom'] });
  typeCheck('types-standalone.ts', { withNode: false, lib: ['es2022'] });
});

it('index.d.ts declares every kernel the package exports', () => {
  const { kernels } = require(path.join(root, 'dist'));
  const dts = fs.readFileSync(path.join(root, 'dist', 'index.d.ts'), 'utf8');
  const direct = dts.match(/export interface DirectKernels(?:<[^>]*>)? \{([\s\S]*?)\n\}/)[1];
  const declared = new Set([...direct.matchAll(/^ {2}(\w+)(?:<[^>]*>)?\(/gm)].map((m) => m[1]));
  assert.deepEqual([...declared].sort(), Object.keys(kernels).sort());
});
