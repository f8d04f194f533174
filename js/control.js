'use strict';
// Control flags of calls, and the doorbell of the Atomics fast path.
//
// Each call has one Int32 flag that workers read before writing a chunk back
// (0: go on, 1: aborted or failed). Allocating a SharedArrayBuffer per call
// and cloning it into every message costs more than a small call itself, so
// flags live in shared blocks of 1024, each sent to a worker once, and a
// message names its flag by (block, index).

const BLOCK = 1024;

class ControlFlags {
  constructor() {
    this.blocks = [];
    this.free = [];
  }

  /** A cleared flag: `{ block, index, view }`. */
  acquire() {
    if (this.free.length === 0) {
      const block = this.blocks.push(new Int32Array(new SharedArrayBuffer(4 * BLOCK))) - 1;
      for (let i = BLOCK - 1; i >= 0; i--) this.free.push(block * BLOCK + i);
    }
    const id = this.free.pop();
    const flag = { block: Math.floor(id / BLOCK), index: id % BLOCK };
    flag.view = this.blocks[flag.block];
    Atomics.store(flag.view, flag.index, 0);
    return flag;
  }

  /** Only once no worker runs a chunk of the call any more. */
  release(flag) {
    this.free.push(flag.block * BLOCK + flag.index);
  }

  static set(flag) {
    Atomics.store(flag.view, flag.index, 1);
  }
}

module.exports = { ControlFlags };
