//! sabre's compute kernels.
//!
//! `kernels` holds pure Rust over slices: no wasm-bindgen types, unit-tested
//! natively with `cargo test`. `bindings` is the thin `#[wasm_bindgen]` layer
//! that the JavaScript engine drives; it is compiled only for the wasm-bindgen
//! target, wasm32-unknown-unknown (not for wasm32-wasip1, where `cargo test`
//! runs the kernels' tests in wasm: scripts/wasi-test.js). `shared_abi` is the
//! allocator of the shared-memory build (wasm32-wasip1-threads).

pub mod error;
pub mod kernels;
pub mod scratch;

// Also compiled into the shared-memory build, as extern "C" functions over
// raw pointers (see bindings/mod.rs).
#[cfg(any(
    all(target_arch = "wasm32", target_os = "unknown"),
    all(target_arch = "wasm32", target_os = "wasi", sabre_shared)
))]
mod bindings;

// The shared-memory build (wasm32-wasip1-threads: std with atomics, a shared
// imported memory): a raw pointer C ABI, no wasm-bindgen. Gated on a cfg that
// scripts/build.js passes, because stable rustc does not report
// `target_feature = "atomics"` (an unstable feature), so nothing else tells
// wasm32-wasip1-threads from wasm32-wasip1 (where `cargo test` runs).
#[cfg(all(target_arch = "wasm32", target_os = "wasi", sabre_shared))]
mod shared_abi;

#[cfg(feature = "wee_alloc")]
#[global_allocator]
static ALLOC: wee_alloc::WeeAlloc = wee_alloc::WeeAlloc::INIT;
