'use strict';
// The one executor of a call: its passes, their chunks, and its progress.
//
// A call runs one or more passes over its data. A pass is a kernel spec and
// its prepared arguments, cut into chunks (js/chunks.js); when every chunk of
// a pass is done, the spec's `combine` either gives the call's result or a
// Continuation: the next pass (a sort's partition and bucket passes, then its commit).
// The direct path (runSync below), the pool (js/pool/, which runs the
// chunks of `execution.pass` on its workers) and the benchmark's piscina
// mode all go through an Execution, so passes chain one way everywhere.
//
// Progress counts units of work over the whole call, every pass included,
// against a total fixed before the first chunk runs (the spec's `plan`):
// `done` only grows and `total` never changes, whatever the passes.

const { chunkCount, chunkRange, Continuation } = require('./chunks');
const { original } = require('./validate');

const NO_OPTIONS = Object.freeze({ inPlace: false });

/** One pass: a kernel (name and spec), its prepared arguments, and how they cut into chunks. */
class Pass {
  /** `how`: `{ inPlace }` of the call (transactional: false), which may coarsen the grain (js/declare.js). */
  constructor(kernel, spec, args, how = NO_OPTIONS) {
    this.kernel = kernel;
    this.spec = spec;
    this.args = args;
    this.units = spec.units(args);
    this.grain = spec.grain(args, how);
    this.chunks = chunkCount(this.units, this.grain);
  }

  /** Units `[start, end)` of chunk `index`. */
  range(index) {
    return chunkRange(index, this.units, this.grain);
  }
}

class Execution {
  /**
   * `table`: the kernel specs by name; `kernel` and `args`: the first
   * pass (args already prepared). A Continuation names its pass in `table`.
   * `how`: `{ inPlace }` (see Pass).
   */
  constructor(table, kernel, args, how = NO_OPTIONS) {
    const spec = table[kernel];
    this.table = table;
    this.how = how;
    this.pass = new Pass(kernel, spec, args, how);
    // Every pass the call will run, as [units, grain]: a spec with more than
    // one pass declares them (see js/kernels/index.js), so progress has one
    // total from the start.
    if (spec.plan) {
      this.total = 0;
      this.chunks = 0;
      for (const [units, grain] of spec.plan(args)) {
        this.total += units;
        this.chunks += chunkCount(units, grain);
      }
    } else {
      this.total = this.pass.units;
      this.chunks = this.pass.chunks;
    }
    this.done = 0;
    this.chunksDone = 0;
  }

  /**
   * Counts chunk `index` of the current pass as done. Capped at the plan's
   * totals, so a plan that under-counts can never report more than all.
   */
  chunkDone(index) {
    const [s, t] = this.pass.range(index);
    this.done = Math.min(this.total, this.done + (t - s));
    this.chunksDone = Math.min(this.chunks, this.chunksDone + 1);
  }

  /** The call's progress report (for onProgress: made only when there is one). */
  progress() {
    return { done: this.done, total: this.total, chunksDone: this.chunksDone, chunks: this.chunks };
  }

  /**
   * Combines the current pass's partial results (in chunk order). Returns
   * `{ value }` when the call is done (an in-place kernel's value is the
   * caller's own array), or null when a further pass is now `this.pass`.
   * Throws what the spec's combine throws.
   */
  finishPass(partials) {
    const result = this.pass.spec.combine(this.pass.args, partials);
    if (!(result instanceof Continuation)) return { value: original(result) };
    this.pass = new Pass(result.kernel, this.table[result.kernel], result.args, this.how);
    return null;
  }
}

/**
 * A whole call on the calling thread: every chunk of every pass, in order,
 * through `runChunk(spec, args, start, end)` (an Engine's, for the direct
 * path), which returns the chunk's partial result.
 */
function runSync(table, kernel, args, runChunk, how = NO_OPTIONS) {
  const execution = new Execution(table, kernel, args, how);
  for (;;) {
    const { pass } = execution;
    const partials = new Array(pass.chunks);
    for (let i = 0; i < pass.chunks; i++) {
      const [s, t] = pass.range(i);
      partials[i] = runChunk(pass.spec, pass.args, s, t);
    }
    const out = execution.finishPass(partials);
    if (out) return out.value;
  }
}

module.exports = { Execution, Pass, runSync };
