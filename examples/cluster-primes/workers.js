'use strict';
// Worker processes on this machine, started as a fleet starts them: each is
// `sabre worker --redis URL --verbose ...` (the package's bin, here run with
// this Node), so the examples can show a cluster without a second machine.
// On real machines you run `npx sabre worker --redis redis://HOST:PORT` on
// each one instead (see the README's "Past one machine").
//
//   const workers = await startWorkers(url, { count: 2, threads: 1, queue });
//   workers[0].current         the chunk job it runs now ("CALL-INDEX"), or null
//   workers[0].chunks          how many chunk jobs it finished (a call's parent
//                              job, "CALL", which only gathers, is not counted)
//   workers[0].on('line', fn)  its --verbose lines: "active ID", "done ID", "failed ID why"
//   await stopWorkers(workers) SIGTERM to those still running: they finish their chunk and exit 0

const { spawn } = require('node:child_process');
const { EventEmitter } = require('node:events');
const path = require('node:path');
const readline = require('node:readline');

/** The worker command's script inside the installed package (the `sabre` bin). */
const cli = path.join(path.dirname(require.resolve('sabre')), 'cluster', 'cli.js');

/** One `sabre worker` process; resolves once it printed its "ready" line. */
function startWorker(url, { threads, queue, lockDuration, stalledInterval }) {
  const args = [cli, 'worker', '--redis', url, '--queue', queue, '--verbose'];
  if (threads) args.push('--threads', String(threads));
  if (lockDuration) args.push('--lock-duration', String(lockDuration));
  if (stalledInterval) args.push('--stalled-interval', String(stalledInterval));
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const w = Object.assign(new EventEmitter(), { child, pid: child.pid, current: null, chunks: 0, killed: false });
  w.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    const [event, id] = line.split(' ');
    const chunk = /^\w+-\d+$/.test(id ?? '');
    if (event === 'active' && chunk) w.current = id;
    if ((event === 'done' || event === 'failed') && w.current === id) {
      w.current = null;
      w.chunks++;
    }
    w.emit('line', line);
  });
  return new Promise((resolve, reject) => {
    const onLine = (line) => {
      if (!line.startsWith('ready ')) return;
      w.off('line', onLine);
      child.off('exit', early);
      resolve(w);
    };
    const early = (code, signal) => reject(new Error(`sabre worker exited (${code ?? signal}) before it was ready`));
    w.on('line', onLine);
    child.once('exit', early);
  });
}

/**
 * Starts `count` workers on queue `queue`. `lockDuration` and
 * `stalledInterval` (ms) bound how long a killed worker's chunk waits
 * before another worker takes it (BullMQ's defaults: 30 s each).
 */
async function startWorkers(url, { count, ...opts }) {
  const started = await Promise.allSettled(Array.from({ length: count }, () => startWorker(url, opts)));
  const failed = started.find((s) => s.status === 'rejected');
  const workers = started.filter((s) => s.status === 'fulfilled').map((s) => s.value);
  if (failed) {
    await stopWorkers(workers);
    throw failed.reason;
  }
  return workers;
}

/** SIGKILL: the process ends at once, in the middle of whatever it runs. */
function killWorker(w) {
  w.killed = true;
  w.child.kill('SIGKILL');
  return w.exited;
}

/** SIGTERM to every worker still running (each finishes its chunk, exits 0); resolves once all have exited. */
async function stopWorkers(workers) {
  for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
  return Promise.all(workers.map((w) => w.exited));
}

/**
 * Removes what BullMQ keeps of a private queue and of its capacity classes
 * (queues named `NAME.mMB.tN`, js/cluster/capacity.js): id counters, event
 * streams, stall checks.
 */
async function removeQueues(url, name) {
  const { Queue } = require('bullmq');
  const IORedis = require('ioredis');
  const redis = new IORedis(url);
  let names;
  try {
    const metas = await redis.keys(`bull:${name}*:meta`);
    names = new Set([name, ...metas.map((k) => k.slice('bull:'.length, -':meta'.length)).filter((q) => q === name || q.startsWith(`${name}.`))]);
  } finally {
    await redis.quit();
  }
  for (const q of names) {
    const queue = new Queue(q, { connection: { url } });
    try {
      await queue.obliterate({ force: true });
    } finally {
      await queue.close();
    }
  }
}

module.exports = { startWorkers, stopWorkers, killWorker, removeQueues, cli };
