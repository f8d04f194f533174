#!/usr/bin/env node
'use strict';
// `npx sabre worker --redis redis://HOST:PORT [--threads N] [--memory-mb MB] [--queue NAME]`:
// runs a cluster worker (js/cluster/worker.js) until SIGTERM or SIGINT, then
// lets its current chunks finish and exits 0.

const { parseArgs } = require('node:util');

const HELP = `Usage: sabre worker --redis URL [options]

Runs a sabre cluster worker: a BullMQ Worker that takes the chunks of
Cluster calls from Redis and runs each on a local sabre Pool, so its event
loop stays free to renew job locks. On SIGTERM (or SIGINT) it stops taking
chunks, finishes the ones it runs, and exits 0; a second signal ends it at
once (exit 1), e.g. when Redis is gone and closing would wait for it.

Options:
  --redis URL             Redis to take work from, e.g. redis://10.0.0.5:6379
                          (required; set maxmemory-policy noeviction there)
  --threads N             worker threads of the local pool (default: the
                          number of cores, os.availableParallelism())
  --memory-mb MB          memory this worker offers a chunk (default: the
                          machine's); with --threads it decides which calls'
                          chunks it takes: those whose \`needs\` it fits
  --queue NAME            BullMQ queue name, the Cluster's \`queue\` (default: sabre)
  --concurrency N         chunks run at once (default 1: a chunk already uses
                          every thread of the pool)
  --lock-duration MS      BullMQ job lock, renewed while a chunk runs (default 30000)
  --stalled-interval MS   how often this worker looks for chunks of dead
                          workers to put back on the queue (default 30000)
  --verbose               one line on stdout per chunk started, done or failed,
                          and "stopping" on the first signal
  -h, --help              this text
`;

function fail(message) {
  process.stderr.write(`sabre worker: ${message}\n\nRun "sabre worker --help" for the options.\n`);
  process.exit(2);
}

function positiveInt(name, text) {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) fail(`--${name} must be a positive integer, got ${JSON.stringify(text)}`);
  return n;
}

async function main(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        redis: { type: 'string' },
        threads: { type: 'string' },
        'memory-mb': { type: 'string' },
        queue: { type: 'string' },
        concurrency: { type: 'string' },
        'lock-duration': { type: 'string' },
        'stalled-interval': { type: 'string' },
        verbose: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    fail(err.message);
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0) {
    process.stdout.write(HELP);
    process.exit(values.help ? 0 : 2);
  }
  if (positionals[0] !== 'worker' || positionals.length > 1) fail(`unknown command ${JSON.stringify(positionals.join(' '))}`);
  if (!values.redis) fail('--redis URL is required');
  const { startWorker } = require('./worker');
  const queue = values.queue ?? 'sabre';
  const verbose = values.verbose;
  const w = await startWorker({
    connection: values.redis,
    queue,
    threads: positiveInt('threads', values.threads),
    memoryMb: positiveInt('memory-mb', values['memory-mb']),
    concurrency: positiveInt('concurrency', values.concurrency) ?? 1,
    lockDuration: positiveInt('lock-duration', values['lock-duration']),
    stalledInterval: positiveInt('stalled-interval', values['stalled-interval']),
    onJob: verbose ? (event, job, err) => process.stdout.write(`${event} ${job.id}${err ? ` ${err.message}` : ''}\n`) : undefined,
  });
  process.stdout.write(`ready queue=${queue} threads=${w.pool.threads} memoryMb=${w.memoryMb} classes=${w.classes.length} pid=${process.pid}\n`);
  let stopping = false;
  const stop = () => {
    // A second signal ends it at once: closing waits on Redis, which may be gone.
    if (stopping) process.exit(1);
    stopping = true;
    if (verbose) process.stdout.write('stopping\n');
    w.close().then(
      () => process.exit(0),
      (err) => {
        process.stderr.write(`sabre worker: ${err.stack}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main(process.argv.slice(2)).catch((err) => {
  process.stderr.write(`sabre worker: ${err.message}\n`);
  process.exit(1);
});
