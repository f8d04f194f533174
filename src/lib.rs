//! sabre's compute kernels.
//!
//! `kernels` holds pure Rust over slices: no wasm-bindgen types, unit-tested
//! natively with `cargo test`. `bindings` is the thin `#[wasm_bindgen]` layer
//! that the JavaScript engine drives; it is compiled only for the wasm-bindgen
//! target, wasm32-unknown-unknown (not for wasm32-wasip1, where `cargo test`
//! runs the kernels' tests in wasm: scripts/wasi-test.js).

pub mod error;
pub mod kernels;
pub mod scratch;

#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
mod bindings;

#[cfg(feature = "wee_alloc")]
#[global_allocator]
static ALLOC: wee_alloc::WeeAlloc = wee_alloc::WeeAlloc::INIT;
