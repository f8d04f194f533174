'use strict';
// Children that must not outlive the process that started them (a test's
// redis-server and `sabre worker` processes). If a test process dies
// without its cleanup (an out-of-memory abort, a SIGKILL), its children
// would run on, orphaned: a Redis and workers spinning for nothing, and a
// pipe held open that a caller may wait on forever.
//
// reap(child) hands the child's pid to one small watchdog process per
// parent, started on first use and detached from it: it reads pids on its
// stdin (`-PID`: that one exited on its own, forget it) and, when that
// pipe closes (the parent is gone, however it died), SIGKILLs every pid
// it still holds. The parent's end of the pipe is unref'd, so the watchdog
// never keeps the parent alive.

const { spawn } = require('node:child_process');

const WATCHDOG = `
  const pids = new Set();
  let buffered = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (d) => {
    buffered += d;
    const lines = buffered.split('\\n');
    buffered = lines.pop();
    for (const line of lines) {
      const n = Number(line);
      if (n > 0) pids.add(n);
      else if (n < 0) pids.delete(-n);
    }
  });
  process.stdin.on('end', () => {
    for (const pid of pids) try { process.kill(pid, 'SIGKILL'); } catch {}
    process.exit(0);
  });
`;

let watchdog = null;

function start() {
  watchdog = spawn(process.execPath, ['-e', WATCHDOG], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  watchdog.unref();
  watchdog.stdin.unref?.();
  watchdog.stdin.on('error', () => {}); // the watchdog gone: nothing to tell it
  watchdog.once('exit', () => (watchdog = null));
}

/** Makes sure `child` (a ChildProcess) is SIGKILLed if this process dies first. Returns child. */
function reap(child) {
  if (child.pid === undefined) return child;
  if (!watchdog) start();
  const w = watchdog;
  w.stdin.write(`${child.pid}\n`);
  child.once('exit', () => {
    if (w.exitCode === null && !w.stdin.destroyed) w.stdin.write(`-${child.pid}\n`);
  });
  return child;
}

module.exports = { reap };
