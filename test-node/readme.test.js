'use strict';
// Every ```js sample in README.md runs as written, with `require('sabre')`
// resolving to the assembled package, and prints what it promises.
//
// The convention: a line of a sample that calls `console.log(...)` ends in a
// comment `// text`, and that call prints exactly `text` (its output trimmed
// of leading and trailing whitespace) every time it runs, and runs at least
// once. A `console.log` without such a comment is an error of the sample, so
// no printed value goes unchecked. Calls are matched to their line through
// the call site, not by output order, so async samples need no particular
// order. A line may hold only one `console.log`.

const { it, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { root } = require('./helpers');

const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
const samples = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);

/** Line number (1-based) to promised output, for each console.log line of `code`. */
function promises(code) {
  const out = new Map();
  code.split('\n').forEach((line, i) => {
    if (!line.includes('console.log(')) return;
    assert.equal(line.split('console.log(').length, 2, `line ${i + 1} holds one console.log: ${line}`);
    const m = line.match(/\/\/ (.*)$/);
    assert.ok(m, `line ${i + 1} says what it prints in a trailing "// text" comment: ${line}`);
    out.set(i + 1, m[1].trim());
  });
  return out;
}

// Loaded with -r before the sample: records what each console.log call
// prints and from which line of the sample file, and writes the records to
// the file named by SABRE_README_LOG at exit.
const recorder = `
const fs = require('node:fs');
const util = require('node:util');
const file = process.env.SABRE_README_FILE;
const records = [];
const log = console.log;
console.log = function (...args) {
  const site = new Error().stack.split('\\n').slice(2).find((l) => l.includes(file));
  const line = site ? Number(site.match(/:(\\d+):\\d+\\)?$/)[1]) : 0;
  records.push({ line, text: util.format(...args).trim() });
  return log.apply(this, args);
};
process.on('exit', () => fs.writeFileSync(process.env.SABRE_README_LOG, JSON.stringify(records)));
`;

it('README has code samples', () => assert.ok(samples.length >= 2));

// One directory for all samples, as a user's project: `sabre` installed, and
// the example crate's wasm-pack output as ./pkg. A sample that declares
// kernels (`defineKernels(module, ...)`) becomes ./kernels.js, which later
// samples require.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sabre-readme-'));
fs.mkdirSync(path.join(dir, 'node_modules'));
fs.symlinkSync(path.join(root, 'dist'), path.join(dir, 'node_modules', 'sabre'), 'dir');
fs.symlinkSync(path.join(root, 'examples', 'custom-kernel', 'pkg'), path.join(dir, 'pkg'), 'dir');
fs.writeFileSync(path.join(dir, 'recorder.js'), recorder);
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Runs `code` as ./`file` of the project directory and checks every promise of its comments. */
function checkSample(code, file, name) {
  const expected = promises(code);
  const logFile = path.join(dir, `${file}.log.json`);
  fs.writeFileSync(path.join(dir, file), code);
  const r = spawnSync(process.execPath, ['-r', './recorder.js', '-e', `require('./${file}')`], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, SABRE_README_FILE: path.join(dir, file), SABRE_README_LOG: logFile },
  });
  assert.equal(r.signal, null, `${name} exits by itself`);
  assert.equal(r.status, 0, r.stderr);
  const printed = JSON.parse(fs.readFileSync(logFile, 'utf8'));
  for (const { line, text } of printed) {
    assert.ok(expected.has(line), `console.log on line ${line} of ${name} has no promise (printed ${JSON.stringify(text)})`);
    assert.equal(text, expected.get(line), `${name}, line ${line}`);
  }
  for (const [line, text] of expected) {
    assert.ok(printed.some((p) => p.line === line), `${name}, line ${line} never printed (promised ${JSON.stringify(text)})`);
  }
}

samples.forEach((code, i) => {
  it(`README sample ${i + 1} runs and prints what its comments promise`, () => {
    const file = code.includes('defineKernels(module') ? 'kernels.js' : `sample${i + 1}.js`;
    checkSample(code, file, `sample ${i + 1}`);
  });
});

it('the check fails on a wrong value, a line never run, and a console.log without a promise', () => {
  checkSample("const a = 1;\nconsole.log('n =', a + 1); // n = 2\n", 'good.js', 'good');
  assert.throws(() => checkSample('console.log(1 + 1); // 3\n', 'wrong.js', 'wrong'), /wrong, line 1/);
  assert.throws(() => checkSample('if (false) console.log(1); // 1\n', 'dead.js', 'dead'), /never printed/);
  assert.throws(() => checkSample('console.log(1);\n', 'bare.js', 'bare'), /trailing "\/\/ text" comment/);
  assert.throws(() => checkSample('console.log(1); console.log(2); // 1\n', 'two.js', 'two'), /one console.log/);
});
