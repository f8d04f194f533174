'use strict';
// Matching chunks to machines, on BullMQ's own mechanism: one queue per
// capacity class. A call may state what each of its chunks needs,
// `{ memoryMb, threads }`; it is rounded up to a class (memory: none or
// 256 MB x 4^k; threads: 1, 2, 4, ... 256) and every job of the call goes to
// that class's queue. A worker states what it has (`--memory-mb`,
// `--threads`) and runs one BullMQ Worker on the queue of every class it fits
// (memory rung <= what it has, thread rung <= its pool's threads), so a
// chunk can only be taken by a worker that fits it. The rungs are coarse on
// purpose: a worker listens on (memory rungs it fits) x (thread rungs it
// fits) queues, a dozen or two, not thousands.
//
// The class with no memory need and one thread is the plain queue (`sabre`);
// the others are `sabre.mMEMORY.tTHREADS`.

const v = require('../validate');
const { invalidArgType, outOfRange } = require('../errors');

const MEMORY_RUNGS = [256, 1024, 4096, 16384, 65536, 262144, 1048576]; // MB
const THREAD_RUNGS = [1, 2, 4, 8, 16, 32, 64, 128, 256];
const MAX_MEMORY_MB = MEMORY_RUNGS.at(-1);
const MAX_THREADS = THREAD_RUNGS.at(-1);

const DEFAULT_CLASS = Object.freeze({ memoryMb: 0, threads: 1 });

/**
 * The capacity class of a call's `needs` option (undefined: the default
 * class). TypeError for a value of the wrong type or an unknown field,
 * RangeError for a need no class holds; both before anything is queued.
 */
function classOf(needs) {
  if (needs === undefined) return DEFAULT_CLASS;
  if (needs === null || typeof needs !== 'object') throw invalidArgType('options.needs', 'an object { memoryMb?, threads? }', needs);
  for (const key of Reflect.ownKeys(needs)) {
    if (key !== 'memoryMb' && key !== 'threads') throw invalidArgType('options.needs', 'an object with only memoryMb and threads', needs);
  }
  const { memoryMb, threads } = v.ownProps('options.needs', needs, ['memoryMb', 'threads']);
  let m = 0;
  if (memoryMb !== undefined) {
    if (!(v.number('options.needs.memoryMb', memoryMb) > 0 && memoryMb <= MAX_MEMORY_MB)) {
      throw outOfRange('options.needs.memoryMb', `a number of megabytes > 0 and <= ${MAX_MEMORY_MB}`, memoryMb);
    }
    m = MEMORY_RUNGS.find((r) => r >= memoryMb);
  }
  let t = 1;
  if (threads !== undefined) {
    if (!(Number.isInteger(v.number('options.needs.threads', threads)) && threads >= 1 && threads <= MAX_THREADS)) {
      throw outOfRange('options.needs.threads', `an integer >= 1 and <= ${MAX_THREADS}`, threads);
    }
    t = THREAD_RUNGS.find((r) => r >= threads);
  }
  return Object.freeze({ memoryMb: m, threads: t });
}

/** The BullMQ queue of class `cls` on base queue `base`. */
const queueOf = (base, cls) => (cls.memoryMb === 0 && cls.threads === 1 ? base : `${base}.m${cls.memoryMb}.t${cls.threads}`);

/** Every class a worker with `memoryMb` and `threads` fits, biggest first (it takes the scarcest work first). */
function classesFitting(memoryMb, threads) {
  const out = [];
  for (const m of [0, ...MEMORY_RUNGS.filter((r) => r <= memoryMb)]) {
    for (const t of THREAD_RUNGS.filter((r) => r <= threads)) out.push({ memoryMb: m, threads: t });
  }
  return out.reverse();
}

module.exports = { classOf, queueOf, classesFitting, DEFAULT_CLASS, MEMORY_RUNGS, THREAD_RUNGS };
