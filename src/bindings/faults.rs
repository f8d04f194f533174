//! Kernels that fail on purpose, for the pool's fault tests. Compiled only
//! with `--features fault-injection`, into a test-only .wasm.

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = process, js_name = exit)]
    fn process_exit(code: i32);
}

#[wasm_bindgen(js_name = faultPanic)]
pub fn fault_panic(message: String) {
    panic!("{message}");
}

/// Never returns: spins until the worker is terminated.
#[wasm_bindgen(js_name = faultSpin)]
pub fn fault_spin() -> u32 {
    let mut i: u32 = 0;
    loop {
        i = std::hint::black_box(i.wrapping_add(1));
    }
}

/// Grows a vector until the allocator fails (an abort trap in wasm).
#[wasm_bindgen(js_name = faultAlloc)]
pub fn fault_alloc() -> usize {
    let mut keep: Vec<Vec<u8>> = Vec::new();
    loop {
        keep.push(vec![1u8; 64 << 20]);
        std::hint::black_box(&keep);
    }
}

/// Ends the worker's process-level event loop from inside a kernel.
#[wasm_bindgen(js_name = faultExit)]
pub fn fault_exit(code: i32) {
    process_exit(code);
}

/// Recurses `depth` times with frames too small to touch the shadow stack in
/// linear memory, so V8's native stack runs out first: a `RangeError`, not a
/// wasm trap. `black_box` keeps LLVM from turning it into a loop.
#[wasm_bindgen(js_name = faultRecurse)]
pub fn fault_recurse(depth: f64) -> f64 {
    if depth <= 0.0 {
        return 0.0;
    }
    std::hint::black_box(fault_recurse(std::hint::black_box(depth - 1.0))) + 1.0
}

// Exports in the shape of a user's own crate (slices passed by wasm-bindgen,
// no scratch slots), for tests of `defineKernels` kernels: see
// test-node/fixtures/user-faults.js.

/// `x[i] *= a` in place: an `inout` kernel that must never be applied twice.
#[wasm_bindgen(js_name = userScale)]
pub fn user_scale(x: &mut [f64], a: f64) {
    for v in x {
        *v *= a;
    }
}

/// `x[i] += 1` in place; `options` is any JS value, passed through untouched.
#[wasm_bindgen(js_name = userAddOne)]
pub fn user_add_one(x: &mut [f64], options: JsValue) -> f64 {
    std::hint::black_box(options);
    for v in x.iter_mut() {
        *v += 1.0;
    }
    x.len() as f64
}

/// Recurses `depth` times (see `fault_recurse`), then returns the chunk's length.
#[wasm_bindgen(js_name = userRecurse)]
pub fn user_recurse(x: &[f64], depth: f64) -> f64 {
    fault_recurse(depth) * 0.0 + x.len() as f64
}

/// Panics as a user's crate does with console_error_panic_hook installed
/// (the one line the README asks of users): the hook reports the message
/// with console.error just before the trap, and sabre attaches it.
#[wasm_bindgen(js_name = userPanic)]
pub fn user_panic(x: &[f64], message: String) -> f64 {
    std::panic::set_hook(Box::new(console_error_panic_hook::hook));
    panic!("{message} ({} elements)", x.len());
}
