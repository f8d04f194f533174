'use strict';
// Wiring for sabre's own tests, kept off the public option path: a Pool
// whose options carry `[kInternal]: { gluePath, kernelsModule, batchChunks }`
// (an own property, keyed by this unregistered symbol, which no other module
// can forge) loads another wasm-bindgen glue (the fault-injection build) and
// adds the `kernels` of `kernelsModule` to its table, in every worker too;
// `batchChunks` fixes how many chunks go in one batch (js/pool/scheduler.js),
// so that a test knows which chunks share a message.

const kInternal = Symbol('sabre.internal');

/** The internal options of a Pool's `options`, read as an own property only. */
function internalOptions(options) {
  if (options === null || typeof options !== 'object') return {};
  let d;
  try {
    d = Reflect.getOwnPropertyDescriptor(options, kInternal);
  } catch {
    return {}; // a hostile Proxy: poolOptions reports it
  }
  return d && 'value' in d && d.value !== null && typeof d.value === 'object' ? d.value : {};
}

module.exports = { kInternal, internalOptions };
