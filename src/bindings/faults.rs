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
