//! The `#[wasm_bindgen]` layer: thin wrappers that view scratch slots as typed
//! slices, call a kernel, and turn `Error` into a JS error with a `code`.
//!
//! Array arguments travel through the scratch slots (see `scratch.rs`), not as
//! wasm-bindgen `&mut [T]` parameters: wasm-bindgen would malloc a copy per
//! call and always write it back, even after a trap, whereas the JS engine
//! needs to decide itself whether a chunk's result is written back.

use crate::error::Error;
use crate::scratch;
use wasm_bindgen::prelude::*;

mod bytes;
#[cfg(feature = "fault-injection")]
mod faults;
mod kmeans;
mod mandelbrot;
mod map;
mod matmul;
mod nbody;
mod primes;
mod sort;
mod stencil;

#[wasm_bindgen]
extern "C" {
    /// Set by sabre's JS engine before it instantiates the module; throws
    /// (caught) when the module runs without it.
    #[wasm_bindgen(js_namespace = globalThis, js_name = __sabre_panic, catch)]
    fn report_panic(message: &str) -> Result<(), JsValue>;
}

#[wasm_bindgen(start)]
fn start() {
    // A panic in wasm ends as a trap whose JS error says only "unreachable".
    // Hand the message to the JS engine, which attaches it to the error it
    // throws; without the engine, fall back to console_error_panic_hook,
    // which logs it.
    std::panic::set_hook(Box::new(|info| {
        if report_panic(&info.to_string()).is_err() {
            console_error_panic_hook::hook(info);
        }
    }));
}

pub(crate) fn to_js(e: Error) -> JsValue {
    let err: js_sys::Error = match e.js_name() {
        "RangeError" => js_sys::RangeError::new(&e.to_string()).into(),
        _ => js_sys::Error::new(&e.to_string()),
    };
    let _ = js_sys::Reflect::set(&err, &"code".into(), &e.code().into());
    err.into()
}

pub(crate) type JsResult<T> = Result<T, JsValue>;

/// The instance's linear memory, for the JS side to copy chunks in and out.
#[wasm_bindgen(js_name = wasmMemory)]
pub fn wasm_memory() -> JsValue {
    wasm_bindgen::memory()
}

/// Makes scratch slot `slot` hold at least `bytes` and returns its address.
#[wasm_bindgen]
pub fn reserve(slot: usize, bytes: usize) -> JsResult<usize> {
    scratch::reserve(slot, bytes).map_err(to_js)
}
