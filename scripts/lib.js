'use strict';
// Small helpers shared by the build, test and bench scripts.

const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

function log(msg) {
  process.stderr.write(`[sabre] ${msg}\n`);
}

/** Runs a command, inheriting stdio; throws if it fails. */
function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (r.error) throw r.error;
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}`);
  }
  return r;
}

/** Runs a command and returns its stdout, or null if it cannot run. */
function capture(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: root, ...opts });
  if (r.error || r.status !== 0) return null;
  return r.stdout.trim();
}

module.exports = { root, log, run, capture };
