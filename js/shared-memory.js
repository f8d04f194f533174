'use strict';
// One shared WebAssembly.Memory holding sabre's zero-copy arrays (the
// memory behind sabre.shared, js/shared.js), and instances of the
// shared-memory build (wasm/sabre_shared.wasm: src/shared_abi.rs, built for
// wasm32-wasip1-threads) on it, one per thread.
//
// - The module imports a *shared* `env.memory` and a few WASI functions; the
//   kernels do no I/O, so stubs suffice (fd_write forwards a panic's message
//   to stderr, proc_exit throws).
// - Every instance has its own shadow stack and TLS block. The first one
//   (createSharedMemory, on the thread that creates the memory) keeps the
//   linker's static stack at the bottom of memory, whose overflow wraps below
//   address 0 and traps. Every other instance gets a stack and a TLS block
//   that the first allocates (threadContext) and attach() installs before any
//   call; those stacks have no guard page (kernels here do not recurse and
//   use ~312 bytes of their 64 KiB, as shared-zero-copy.test.js measures),
//   and must be released
//   (releaseThreadContext) when their thread is done, else they leak.
// - alloc(Type, length) returns an ordinary typed array whose .buffer is the
//   memory's SharedArrayBuffer. memory.buffer is re-read after every
//   allocation (the memory may have grown, from any thread); views made
//   earlier stay valid.
// - Release is explicit: free(view). Every allocation is registered by its
//   byteOffset (live ones only) and by the view object alloc returned, so:
//   freeing twice or passing a freed array to a kernel is ERR_SABRE_FREED;
//   freeing (or passing) any other array, including a subarray or a view made
//   by hand over the same SharedArrayBuffer, is ERR_SABRE_NOT_SHARED. Views
//   stay readable after free (a SharedArrayBuffer cannot be detached), but
//   sabre never hands one to a kernel. An array dropped without free() is
//   freed once the collector finds it dead (collectDead, and a
//   FinalizationRegistry for the rest).
// - Zero copy (direct path): js/declare.js asks ownerOf(view) whether every
//   split array of a call is a live allocation of one shared memory; then
//   each chunk runs on that memory's first instance through the export of
//   the same name (src/bindings, `export!` under `--cfg sabre_shared`; see
//   runChunk below): 'in' arrays are passed by address, 'inout' and 'out'
//   ones through a per-instance scratch region, copied back at commit.

const fs = require('node:fs');
const path = require('node:path');
const { contractOf } = require('./contract');
const { zeroCopyRunner } = require('./zero-copy');
const { MAP_GRAIN, BYTE_GRAIN } = require('./kernels/grains');
const { reachGc } = require('./gc');

const WASM_FILE = path.join(__dirname, 'wasm', 'sabre_shared.wasm');
const PAGE = 65536;
/** Stack of every instance but the first: kernels here use well under 1 KiB. */
const THREAD_STACK = 64 * 1024;
/** Every instance's result buffer: 256 f64s (src/bindings/shared.rs, RESULT_F64S). */
const RESULT_BYTES = 256 * 8;
/**
 * A pool worker's undo log (js/zero-copy.js): [task id, entries, then
 * (target, undo copy, bytes) per entry], u32s, for at most 8 written slots.
 */
const UNDO_WORDS = 2 + 3 * 8;

/**
 * Every pool worker's scratch region per slot (attach): a chunk is at most a
 * kernel's grain, and the largest chunk of a declared kernel is MAP_GRAIN
 * f64s (byte kernels: BYTE_GRAIN bytes).
 */
const WORKER_SCRATCH = Math.max(MAP_GRAIN * 8, BYTE_GRAIN);
let nextMemoryId = 1;
/** Bytes allocated between two looks for dead arrays (at least; see collectDead). */
const COLLECT_EVERY = 128 << 20;

/** Every array alloc returned (on this thread) -> the shared memory that holds it. */
const owners = new WeakMap();
/**
 * Every SharedArrayBuffer object of a shared memory seen here -> that memory:
 * each growth makes memory.buffer a new object over the same bytes, so
 * views of one memory may have different .buffer objects.
 */
const bufferOwners = new WeakMap();

/** What `view`'s bytes are part of: its shared memory (as above), else its buffer. */
const memoryKey = (view) => bufferOwners.get(view.buffer) ?? view.buffer;

/** Whether views `a` and `b` address the same bytes by byteOffset (one buffer, or one shared memory). */
const sameMemory = (a, b) => a.buffer === b.buffer || memoryKey(a) === memoryKey(b);

/** The shared memory (createSharedMemory's object) of a live allocation, else undefined. */
function ownerOf(view) {
  const owner = owners.get(view);
  return owner?.isLive(view) ? owner : undefined;
}

/** Throws ERR_SABRE_FREED for an array alloc returned and free released (argument `name`). */
function assertNotFreed(view, name) {
  if (owners.has(view) && !owners.get(view).isLive(view)) {
    throw sabreError(Error, 'ERR_SABRE_FREED', `"${name}" was freed (at byte offset ${view.byteOffset}); it cannot be used`);
  }
}

let wasmBytes;
let compiled;
/** The compiled shared-memory module (compiled once per thread). */
function sharedModule() {
  wasmBytes ??= fs.readFileSync(WASM_FILE);
  compiled ??= new WebAssembly.Module(wasmBytes);
  return compiled;
}

function leb(bytes, at) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[at++];
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if (b < 0x80) return [value, at];
  }
}

/** { initial, maximum } pages of the module's `env.memory` import. */
function memoryLimits(bytes) {
  let at = 8;
  while (at < bytes.length) {
    const id = bytes[at];
    const [size, body] = leb(bytes, at + 1);
    at = body + size;
    if (id !== 2) continue;
    let [count, p] = leb(bytes, body);
    for (; count > 0; count--) {
      let len;
      [len, p] = leb(bytes, p);
      p += len; // module name
      [len, p] = leb(bytes, p);
      p += len; // field name
      const kind = bytes[p++];
      if (kind === 0) [, p] = leb(bytes, p);
      else if (kind === 1) {
        const flags = bytes[p + 1];
        [, p] = leb(bytes, p + 2);
        if (flags & 1) [, p] = leb(bytes, p);
      } else if (kind === 2) {
        const flags = bytes[p];
        let initial;
        let maximum;
        [initial, p] = leb(bytes, p + 1);
        if (flags & 1) [maximum, p] = leb(bytes, p);
        return { initial, maximum };
      } else if (kind === 3) p += 2;
      else [, p] = leb(bytes, p + 1); // a tag: attribute, type index
    }
  }
  throw new Error(`${WASM_FILE} imports no memory`);
}

function wasiStubs(getMemory) {
  return {
    environ_get: () => 0,
    environ_sizes_get: (countPtr, sizePtr) => {
      const dv = new DataView(getMemory().buffer);
      dv.setUint32(countPtr, 0, true);
      dv.setUint32(sizePtr, 0, true);
      return 0;
    },
    clock_time_get: (_id, _precision, timePtr) => {
      new DataView(getMemory().buffer).setBigUint64(timePtr, process.hrtime.bigint(), true);
      return 0;
    },
    fd_write: (fd, iovs, iovsLen, nwrittenPtr) => {
      const buf = getMemory().buffer;
      const dv = new DataView(buf);
      let n = 0;
      for (let i = 0; i < iovsLen; i++) {
        const ptr = dv.getUint32(iovs + 8 * i, true);
        const len = dv.getUint32(iovs + 8 * i + 4, true);
        if (fd === 1 || fd === 2) fs.writeSync(2, new Uint8Array(buf, ptr, len).slice());
        n += len;
      }
      dv.setUint32(nwrittenPtr, n, true);
      return 0;
    },
    proc_exit: (code) => {
      throw new Error(`sabre's shared-memory wasm called proc_exit(${code})`);
    },
    sched_yield: () => 0,
  };
}

function instantiate(module, memory) {
  return new WebAssembly.Instance(module, {
    env: { memory },
    wasi_snapshot_preview1: wasiStubs(() => memory),
  }).exports;
}

function sabreError(Cls, code, message) {
  const err = new Cls(message);
  err.code = code;
  return err;
}

/**
 * A shared memory of `initial` to `maximum` pages (defaults: the module's
 * minimum and 16384 pages, 1 GiB) with the first instance on it.
 */
function createSharedMemory({ initial, maximum = 16384 } = {}) {
  const module = sharedModule();
  const limits = memoryLimits(wasmBytes);
  initial = Math.max(initial ?? limits.initial, limits.initial);
  maximum = Math.min(maximum, limits.maximum ?? maximum);
  if (!(initial <= maximum)) {
    throw sabreError(RangeError, 'ERR_OUT_OF_RANGE', `shared memory: maximum ${maximum} pages is below the ${initial} the module needs`);
  }
  const memory = new WebAssembly.Memory({ initial, maximum, shared: true });
  const exports = instantiate(module, memory);

  /** Live allocations by byteOffset, and every array alloc returned. */
  const live = new Map();
  const records = new WeakMap();
  let liveBytes = 0;
  let sinceCollection = 0; // bytes allocated since dead arrays were last looked for
  let survived = 0; // live bytes right after that look

  /** `bytes` at `align` from the module's allocator; `zeroed`: cleared there too (sabre_alloc_zeroed). */
  function rawAlloc(bytes, align, zeroed = false) {
    const ptr = (zeroed ? exports.sabre_alloc_zeroed : exports.sabre_alloc)(bytes, align) >>> 0; // an i32: addresses from 2 GiB up come back negative
    if (ptr === 0) throw memoryFull(bytes);
    return ptr;
  }

  function memoryFull(bytes) {
    const grown = memory.buffer.byteLength;
    return sabreError(RangeError, 'ERR_SABRE_SHARED_MEMORY_FULL',
      `shared memory: cannot allocate ${bytes} bytes: ${liveBytes} bytes are in live arrays, ` +
      `${maximum * PAGE - grown} bytes of the ${maximum * PAGE}-byte maximum are not yet grown into ` +
      '(free() arrays you are done with; a plain SharedArrayBuffer has no such limit but takes the copy path)');
  }

  // The backstop for arrays dropped without free(): when one is collected,
  // its bytes go back to the allocator. Views derived from it (subarray(),
  // a view made over its .buffer) do not keep it alive: keep the array
  // itself, or free() it, while they are in use.
  const finalizer = new FinalizationRegistry((record) => {
    if (!record.freed) release(record);
  });

  function release(record) {
    record.freed = true;
    live.delete(record.ptr);
    liveBytes -= record.bytes;
    exports.sabre_free(record.ptr, record.bytes, record.align);
  }

  /**
   * Frees every allocation whose array the collector found dead, without
   * waiting for the finalizer's task: after a full collection (a young one
   * keeps WeakRef targets) once more than COLLECT_EVERY bytes, or the bytes
   * that survived the last if more, were allocated since, and when an allocation
   * does not fit. Growing memory is forever (a wasm memory never shrinks),
   * and the collector cannot see these bytes to run by itself. Arrays
   * allocated in the current synchronous run are kept (WeakRef semantics).
   */
  function collectDead() {
    const gc = reachGc();
    if (!gc) return;
    gc(); // full; not gc({ type: 'major' }), which (Node 20) leaves dead WeakRef targets alive
    for (const record of live.values()) {
      if (record.pins === 0 && record.ref.deref() === undefined) {
        finalizer.unregister(record);
        release(record);
      }
    }
    survived = liveBytes;
  }

  function alloc(Type, length) {
    if (typeof Type !== 'function' || !(Type.BYTES_PER_ELEMENT > 0) || Type === DataView) {
      throw sabreError(TypeError, 'ERR_INVALID_ARG_TYPE', '"Type" must be a typed array constructor');
    }
    if (!Number.isSafeInteger(length) || length < 0) {
      throw sabreError(RangeError, 'ERR_OUT_OF_RANGE', `"length" must be an integer >= 0. Received ${String(length)}`);
    }
    const align = Math.max(Type.BYTES_PER_ELEMENT, 8);
    const bytes = length * Type.BYTES_PER_ELEMENT;
    if (bytes > maximum * PAGE - align) throw memoryFull(bytes);
    sinceCollection += bytes;
    if (sinceCollection > Math.max(COLLECT_EVERY, survived)) {
      sinceCollection = 0;
      collectDead();
    }
    // Zeroed, as a new SharedArrayBuffer is (reused bytes hold a freed
    // array's values), in wasm: JS's fill over a SharedArrayBuffer is ~35×
    // slower (shared_abi.rs).
    let ptr = exports.sabre_alloc_zeroed(bytes, align) >>> 0;
    if (ptr === 0) {
      collectDead();
      ptr = rawAlloc(bytes, align, true);
    }
    // Re-read: the allocation may have grown the memory.
    const buffer = memory.buffer;
    bufferOwners.set(buffer, shared);
    const view = new Type(buffer, ptr, length);
    const record = { ptr, bytes, align, freed: false, pins: 0, ref: new WeakRef(view) };
    live.set(ptr, record);
    liveBytes += bytes;
    records.set(view, record);
    owners.set(view, shared);
    finalizer.register(view, record, record);
    Object.defineProperty(view, Symbol.dispose, { value: dispose });
    return view;
  }

  /** `using x = sabre.shared.float64(n)`: freed at the end of the scope (once; a freed array is left as is). */
  function dispose() {
    if (records.get(this)?.freed === false) free(this);
  }

  function recordOf(view, name) {
    const record = ArrayBuffer.isView(view) ? records.get(view) : undefined;
    if (!record) {
      const over = ArrayBuffer.isView(view) && view.buffer instanceof SharedArrayBuffer && live.has(view.byteOffset);
      throw sabreError(TypeError, 'ERR_SABRE_NOT_SHARED',
        `"${name}" is not an array that sabre.shared allocated${over ? ' (a view made by hand over its memory)' : ''}`);
    }
    if (record.freed) {
      throw sabreError(Error, 'ERR_SABRE_FREED', `"${name}" was freed (at byte offset ${record.ptr}); it cannot be used or freed again`);
    }
    return record;
  }

  function free(view) {
    const record = recordOf(view, 'view');
    // A pool call on it still runs (its workers hold the address): freeing
    // now would let them write into whatever the allocator gives out next.
    if (record.pins > 0) {
      throw sabreError(Error, 'ERR_SABRE_IN_USE', `"view" (at byte offset ${record.ptr}) is in use by ${record.pins} pool call(s); free it after they settle`);
    }
    finalizer.unregister(record);
    release(record);
  }

  /** A stack and TLS block for another instance on this memory (attach). */
  function threadContext(stackSize = THREAD_STACK) {
    const stack = rawAlloc(stackSize, 16);
    const tlsAlign = Math.max(exports.__tls_align.value, 1);
    const tlsSize = exports.__tls_size.value;
    const tls = rawAlloc(tlsSize, tlsAlign);
    return { stack, stackSize, tls, tlsSize, tlsAlign };
  }

  function releaseThreadContext(ctx) {
    exports.sabre_free(ctx.stack, ctx.stackSize, 16);
    exports.sabre_free(ctx.tls, ctx.tlsSize, ctx.tlsAlign);
  }

  // This thread's result buffer and scratch regions, allocated on first use
  // and grown (by half again, so slowly growing chunks do not reallocate).
  let result = 0;
  const scratch = []; // by slot index: { ptr, bytes }
  const run = zeroCopyRunner(module, memory, exports, {
    result: () => (result ||= rawAlloc(RESULT_BYTES, 8)),
    scratchFor(i, bytes) {
      let s = scratch[i];
      if (!s || s.bytes < bytes) {
        const size = Math.max(bytes, Math.ceil((s?.bytes ?? 0) * 1.5), 64);
        const ptr = rawAlloc(size, 16);
        if (s) exports.sabre_free(s.ptr, s.bytes, 16);
        s = scratch[i] = { ptr, bytes: size };
      }
      return s.ptr;
    },
  });
  const contract = contractOf(module);
  const slotCount = Math.max(...[...contract.values()].map((e) => e.slots.length));
  let workerContexts = 0;
  // The chunks pool workers ran zero-copy on this memory (Atomics.add by each).
  const counter = rawAlloc(4, 4);
  const workerChunks = new Int32Array(memory.buffer, counter, 1);

  /**
   * What a pool worker needs to run chunks on this memory (attach): a stack
   * and TLS block, a result buffer, and a scratch region per slot, all
   * allocated here, so a worker never allocates (std's allocator is one
   * global lock: a worker ended inside it would leave it held).
   */
  function workerContext() {
    const ctx = threadContext();
    ctx.counter = counter;
    ctx.result = rawAlloc(RESULT_BYTES, 8);
    ctx.undo = rawAlloc(UNDO_WORDS * 4, 8);
    new Uint32Array(memory.buffer, ctx.undo, UNDO_WORDS).fill(0);
    ctx.scratch = Array.from({ length: slotCount }, () => ({ ptr: rawAlloc(WORKER_SCRATCH, 16), bytes: WORKER_SCRATCH }));
    workerContexts++;
    return ctx;
  }

  function releaseWorkerContext(ctx) {
    for (const s of ctx.scratch) exports.sabre_free(s.ptr, s.bytes, 16);
    exports.sabre_free(ctx.result, RESULT_BYTES, 8);
    exports.sabre_free(ctx.undo, UNDO_WORDS * 4, 8);
    releaseThreadContext(ctx);
    workerContexts--;
  }

  const shared = {
    id: nextMemoryId++,
    memory,
    module,
    exports,
    runChunk: run,
    workerContext,
    releaseWorkerContext,
    /**
     * A worker of context `ctx` died while it wrote task `taskId` in place
     * (COMMITTING): copies its undo log's copies back, so the chunk is as it
     * was before. False when the log is not that task's, or holds nothing
     * (transactional: false): then the range may be partly written.
     */
    undo(ctx, taskId) {
      const log = new Uint32Array(memory.buffer, ctx.undo, UNDO_WORDS);
      if (log[0] !== taskId >>> 0 || log[1] === 0) return false;
      for (let i = 0; i < log[1]; i++) exports.sabre_copy(log[2 + 3 * i], log[3 + 3 * i], log[4 + 3 * i]);
      return true;
    },
    workerContexts: () => workerContexts,
    workerChunks: () => Atomics.load(workerChunks, 0),
    /** Whether export `name` allocates (a Vec result): never on a pool worker. */
    allocates: (name) => /^Vec\b/.test(contract.get(name)?.returns ?? ''),
    alloc,
    free,
    /** Pins the allocations `views` for a pool call: free() refuses them until unpin. */
    pin: (views) => {
      for (const view of views) recordOf(view, 'view').pins++;
    },
    unpin: (views) => {
      for (const view of views) records.get(view).pins--;
    },
    isLive: (view) => {
      const record = ArrayBuffer.isView(view) ? records.get(view) : undefined;
      return record !== undefined && !record.freed;
    },
    liveCount: () => live.size,
    /** What the memory holds: bytes in live arrays, bytes grown into, the maximum. */
    usage: () => ({ arrays: live.size, liveBytes, grownBytes: memory.buffer.byteLength, maximumBytes: maximum * PAGE }),
    threadContext,
    releaseThreadContext,
  };
  return shared;
}

/**
 * Another instance of `module` on `memory` (another thread's, received by
 * postMessage), with the stack and TLS block of `ctx` installed before any
 * call: its `exports` take byte offsets, not arrays (the registry lives with
 * the thread that allocated). With a workerContext, also `runChunk` (a pool
 * worker's zero-copy chunks, on the buffers the context holds) and `logUndo`.
 */
function attach(module, memory, ctx) {
  const exports = instantiate(module, memory);
  exports.__stack_pointer.value = ctx.stack + ctx.stackSize;
  exports.__wasm_init_tls(ctx.tls);
  const attached = { memory, exports };
  if (ctx.result) {
    // A pool worker's context (workerContext): fixed buffers, no allocation.
    const chunks = new Int32Array(memory.buffer, ctx.counter, 1);
    const run = zeroCopyRunner(module, memory, exports, {
      result: () => ctx.result,
      scratchFor(i, bytes) {
        const s = ctx.scratch[i];
        if (bytes > s.bytes) throw new Error(`sabre: a chunk of ${bytes} bytes exceeds the worker's ${s.bytes}-byte scratch region`);
        return s.ptr;
      },
    });
    attached.runChunk = (...args) => {
      const out = run(...args);
      Atomics.add(chunks, 0, 1);
      return out;
    };
    /** Writes the undo log of task `taskId` (entries: [target, copy, bytes]); see undo above. */
    attached.logUndo = (taskId, entries) => {
      const log = new Uint32Array(memory.buffer, ctx.undo, UNDO_WORDS);
      log[1] = 0; // the entries are not valid until the count says so
      log[0] = taskId;
      entries.forEach(([target, copy, bytes], i) => log.set([target, copy, bytes], 2 + 3 * i));
      log[1] = entries.length;
    };
  }
  return attached;
}

module.exports = { createSharedMemory, attach, sharedModule, memoryLimits, ownerOf, assertNotFreed, memoryKey, sameMemory };
