'use strict';
// Worker entry: instantiates the shared wasm module once, says it is ready,
// then runs the chunk, or the batch of chunks, of each message (shapes:
// js/protocol.js). Each chunk has a task slot in shared memory (js/tasks.js):
// the worker starts it only if it is still QUEUED, and writes its results
// back only after moving it from RUNNING to COMMITTING, so a chunk the main
// thread cancelled is never written, and one found COMMITTED after this
// worker died was written exactly once.

const { parentPort, workerData, receiveMessageOnPort } = require('node:worker_threads');
const { performance } = require('node:perf_hooks');
const { Engine } = require('./engine');
const { kernelTable } = require('./kernels');
const { serializeError } = require('./errors');
const { requireDefinition, specsOf } = require('./custom');
const tasks = require('./tasks');
const protocol = require('./protocol');
const { attach } = require('./shared-memory');
// Loading it validates relaxed SIMD in this thread (js/relaxed.js).
const relaxed = require('./relaxed');

const kernels = { ...kernelTable(workerData.kernelsModule) };
// An internal kernels module may derive kernels of its own from a user's
// (js/cluster/range.js).
const derive = workerData.kernelsModule ? require(workerData.kernelsModule).derive : undefined;
const userEngines = new Map(); // glue path -> Engine of a user's crate
const loadErrors = new Map(); // declaration file -> why it did not load here

/**
 * Loads a user declaration sent with the first chunk of one of its kernels
 * (sent once per worker, so a failure is kept and reported by every chunk).
 */
function loadDefinition({ filename, module }) {
  try {
    const def = requireDefinition(filename);
    userEngines.set(def.wasm, new Engine({ module, gluePath: def.wasm, onInstance: def.init }));
    const specs = specsOf(def);
    Object.assign(kernels, specs, derive?.(specs));
  } catch (err) {
    loadErrors.set(filename, err);
  }
}

function specOf(name) {
  const spec = kernels[name];
  if (spec) return spec;
  const file = name.slice(0, name.lastIndexOf('#'));
  throw loadErrors.get(file) ?? new Error(`sabre worker: unknown kernel ${name}`);
}

const engine = new Engine({ module: workerData.module, gluePath: workerData.gluePath });
/** This worker's instances on shared memories (js/shared-memory.js attach), by memory id. */
const attached = new Map();

/**
 * A worker sees each call's shared arrays through handles made when a
 * message arrives, and a handle keeps its SharedArrayBuffer's memory alive
 * until this thread's garbage collector finds it dead. A worker allocates
 * almost nothing of its own, so its collector may not run for thousands of
 * calls: on fresh 1 MiB arrays, measured up to 3 GB of dead caller buffers
 * held by two workers (bench/soak.js). So the worker counts the shared bytes
 * it has been handed (once per pass: a pass's data crosses once, see
 * `passes` below) and runs a young-generation collection (~30 us here) after
 * every SHARED_BYTES_PER_GC of them: most handles are short-lived, so a
 * minor collection frees them (the few that outlive one: `countDropped`).
 * V8's `gc` is reached as js/gc.js does; a worker that cannot goes without.
 */
const SHARED_BYTES_PER_GC = 64 << 20;
const gc = require('./gc').reachGc();
let sharedBytes = 0;
let oldBytes = 0;
let collections = 0; // young collections run so far

function sharedBytesOf(args) {
  let n = 0;
  for (const key in args) {
    const value = args[key];
    if (ArrayBuffer.isView(value) && value.buffer instanceof SharedArrayBuffer) n += value.byteLength;
  }
  return n;
}

/** A pass's data arrived: count its shared bytes toward the next young collection. */
function countShared(bytes) {
  sharedBytes += bytes;
  if (sharedBytes < SHARED_BYTES_PER_GC || !gc) return;
  sharedBytes = 0;
  collections++;
  gc({ type: 'minor' });
}

/**
 * A pass's data was dropped. Data cached across a young collection may have
 * been promoted to the old generation, where only a full collection frees it
 * (a long call's handles live as long as the call): count those bytes apart
 * and run a full collection every SHARED_BYTES_PER_GC of them.
 */
function countDropped(entry) {
  if (entry.epoch === collections || !gc) return;
  oldBytes += entry.bytes;
  if (oldBytes < SHARED_BYTES_PER_GC) return;
  oldBytes = 0;
  gc({ type: 'major' });
}

/**
 * The data of the passes this worker runs chunks of, by pass id:
 * `{ kernel, args, bytes, epoch }`. Sent once per pass (see js/protocol.js),
 * dropped when the pool says so, so a settled call's arrays are not kept.
 */
const passes = new Map();

function forgetPass(id) {
  const entry = passes.get(id);
  if (!entry) return;
  passes.delete(id);
  countDropped(entry);
}

function passOf(msg) {
  if (msg.last && msg.data !== undefined) {
    // The pass's only chunk here (a one-chunk call, most often): nothing to keep.
    countShared(sharedBytesOf(msg.data.args));
    return msg.data;
  }
  if (msg.data !== undefined) {
    const bytes = sharedBytesOf(msg.data.args);
    countShared(bytes); // first: a collection it runs now is not one the entry outlived
    const { kernel, args, memory, inPlace = false } = msg.data;
    passes.set(msg.pass, { kernel, args, memory, inPlace, bytes, epoch: collections });
  }
  return passes.get(msg.pass);
}

const { port, doorbell, atomics } = workerData;
const stateBlocks = []; // task-state blocks, sent once each by the pool

/** Handles one message from the pool (shapes: js/protocol.js). */
function handle(msg) {
  if (msg.type === protocol.FORGET) {
    for (const id of msg.passes) forgetPass(id);
    return;
  }
  if (msg.type === protocol.ENVELOPE) {
    // Chunk messages of several calls: each as if it had come alone, one reply for all.
    const replies = [];
    for (const m of msg.msgs) runChunks(m, replies);
    parentPort.postMessage(protocol.batch(replies));
    return;
  }
  const replies = [];
  runChunks(msg, replies);
  parentPort.postMessage(replies.length === 1 ? replies[0] : protocol.batch(replies));
}

/** Runs the chunk (or batch) message `msg`, its replies pushed onto `replies` in order. */
function runChunks(msg, replies) {
  if (msg.forget) for (const id of msg.forget) forgetPass(id);
  const pass = passOf(msg);
  if (msg.last) forgetPass(msg.pass);
  if (msg.blocks) stateBlocks.push(...msg.blocks);
  if (msg.load) loadDefinition(msg.load);
  const relaxedSent = msg.relaxed; // the fused module, with the first chunk that needs it
  if (msg.attach) attached.set(msg.attach.id, attach(msg.attach.module, msg.attach.memory, msg.attach.ctx));
  const first = run(pass, msg.id, msg.start, msg.end, stateBlocks[msg.block], msg.index, relaxedSent);
  replies.push(first);
  const more = msg.more;
  if (more === undefined) return;
  // A batch: each chunk runs exactly as if it had come alone, under its own
  // task state, and the replies go back together. After an error the call
  // fails, so the chunks left are not started (the pool drops their
  // replies), and the reply goes at once rather than after useless work.
  let failed = first.type === protocol.ERROR;
  for (let i = 0; i < more.length; i += protocol.MORE_FIELDS) {
    const id = more[i];
    if (failed) {
      replies.push(protocol.skipped(id, 0));
      continue;
    }
    const reply = run(pass, id, more[i + 1], more[i + 2], stateBlocks[more[i + 3]], more[i + 4], relaxedSent);
    failed = reply.type === protocol.ERROR;
    replies.push(reply);
  }
}

/**
 * Runs task `id` (units [start, end) of `pass`, its state `states[index]`)
 * and returns its reply (js/protocol.js done, skipped or error); only a
 * provisional value is posted from here, before the write-back.
 * `relaxedSent`: the fused module, if this message brought it.
 */
function run(pass, id, start, end, states, index, relaxedSent) {
  const t0 = performance.now();
  if (!tasks.start(states, index)) {
    // Cancelled while it waited here (its call failed, or another worker
    // took it over): nothing to do but say so, which frees its slot.
    return protocol.skipped(id, 0);
  }
  const args = pass.args;
  let spec;
  let eng;
  let out;
  try {
    spec = specOf(pass.kernel);
    // A fused chunk's engine is made here from the module sent, after this
    // thread's own check (ERR_SABRE_RELAXED_SIMD_UNSUPPORTED otherwise).
    eng = spec.gluePath ? userEngines.get(spec.gluePath) : relaxed.needsRelaxed(spec) ? relaxed.relaxedEngine(relaxedSent) : engine;
    // The pool sent this pass's arrays in a shared memory (declare.js).
    engine.zeroCopy = pass.memory === undefined ? undefined : attached.get(pass.memory);
    engine.inPlace = pass.inPlace;
    // A zero-copy chunk writes the caller's arrays in place (js/zero-copy.js):
    // its whole run is the write-back (COMMITTING), begun after its undo
    // copies are in this worker's log, so that if it dies the pool puts them
    // back and runs the chunk again (without them, transactional: false,
    // the call fails: that range may be partly written). Never twice. The
    // log holds one chunk: the chunks of a batch run one after another, and
    // each earlier one is COMMITTED (final) before the next one logs.
    const zc = engine.zeroCopy;
    engine.zeroCopyBegin = zc && ((undo) => {
      zc.logUndo(id, undo);
      return Atomics.compareExchange(states, index, tasks.RUNNING, tasks.COMMITTING) === tasks.RUNNING;
    });
    out = eng.compute(spec, args, start, end);
    if (out.inPlace) {
      for (const [source, target, from] of eng.sourcesOf(out.writes ?? [])) target.set(source, from);
      if (spec.faultPoint) spec.faultPoint('in place', args, start, end);
      Atomics.store(states, index, tasks.COMMITTED);
    }
  } catch (err) {
    return protocol.failed(id, serializeError(err), performance.now() - t0);
  }
  if (out.cancelled) return protocol.skipped(id, performance.now() - t0);
  if (out.inPlace) return protocol.done(id, out.value, performance.now() - t0);
  if (!out.writes) {
    // Nothing to write: FINISHED, so that if this worker dies before its
    // (batch's) reply, the pool runs it again without blaming it.
    if (!tasks.finish(states, index)) return protocol.skipped(id, performance.now() - t0);
    return protocol.done(id, out.value, performance.now() - t0);
  }
  // A chunk that writes and also returns a value posts the value first: if
  // this worker dies after the write-back, the pool still has the value (Node
  // delivers a worker's messages before its 'exit') and never runs it again.
  const early = out.value !== undefined;
  if (early) parentPort.postMessage(protocol.provisional(id, out.value));
  const copies = eng.sourcesOf(out.writes);
  // The write-back: a compare-and-swap, the copies, a store, with nothing
  // else in between, so that the window in which a dying worker leaves a
  // chunk COMMITTING (fate unknown: the call fails) is as short as it can
  // be. The pool itself never ends a worker inside it (see pool/slots.js retire).
  if (Atomics.compareExchange(states, index, tasks.RUNNING, tasks.COMMITTING) !== tasks.RUNNING) {
    // Cancelled while it ran: its results are dropped, nothing was written.
    return protocol.skipped(id, performance.now() - t0);
  }
  if (spec.faultPoint) spec.faultPoint('committing', args, start, end);
  if (copies.length === 1) copies[0][1].set(copies[0][0], copies[0][2]);
  else for (const [source, target, from] of copies) target.set(source, from);
  Atomics.store(states, index, tasks.COMMITTED);
  if (spec.faultPoint) spec.faultPoint('committed', args, start, end);
  return protocol.done(id, early ? undefined : out.value, performance.now() - t0);
}

/**
 * How long a worker that ran dry watches its doorbell before it sleeps (ms).
 * Waking a sleeping thread is what a tiny call costs on a VM: the futex wake
 * (and the halted vCPU it lands on) cost the main thread 15-130 us per
 * notify here, and the call waits as long for the worker to run. A caller
 * that awaits one call and submits the next does so within tens of
 * microseconds, so a worker that spins this long before Atomics.wait finds
 * the next call without sleeping, and the pool's notify finds no waiter
 * (cheap). Measured on this 2-core VM, one process, interleaved (Node 20 /
 * 24): round trip 83.7 / 81.7 us without the spin, 30.3 / 31.5 us with 50 us
 * (raw postMessage echo 81 / 61 us); 10,000 calls in flight unchanged
 * within noise. The price: at most SPIN_MS of a core each time a worker
 * runs out of work, as rayon's and OpenBLAS's threads spin before they
 * sleep (OpenBLAS's far longer).
 */
const SPIN_MS = 0.05;

/**
 * The Atomics fast path (as in piscina): once busy, the worker stops
 * returning to its event loop. It takes queued requests synchronously, and
 * when there are none it watches its doorbell for SPIN_MS, then sleeps in
 * Atomics.wait on it; the pool rings it after each postMessage. Waking from
 * a futex is quicker than a trip through the event loop, and not sleeping
 * at all quicker still. terminate() interrupts the spin and the wait.
 */
function serve() {
  for (;;) {
    const rung = Atomics.load(doorbell, 0);
    const next = receiveMessageOnPort(port);
    if (next) {
      handle(next.message);
      continue;
    }
    const until = performance.now() + SPIN_MS;
    while (Atomics.load(doorbell, 0) === rung && performance.now() < until);
    Atomics.wait(doorbell, 0, rung); // returns at once if the bell rang during the spin
  }
}

port.on('message', (msg) => {
  handle(msg);
  if (atomics) serve();
});

parentPort.postMessage(protocol.ready());
