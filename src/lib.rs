//! sabre's compute kernels.
//!
//! `kernels` holds pure Rust over slices: no wasm-bindgen types, unit-tested
//! natively with `cargo test`. `bindings` is the thin `#[wasm_bindgen]` layer
//! that the JavaScript engine drives; it is compiled only for wasm32.

pub mod error;
pub mod kernels;
pub mod scratch;

#[cfg(target_arch = "wasm32")]
mod bindings;

#[cfg(feature = "wee_alloc")]
#[global_allocator]
static ALLOC: wee_alloc::WeeAlloc = wee_alloc::WeeAlloc::INIT;
