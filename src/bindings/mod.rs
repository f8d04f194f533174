//! The `#[wasm_bindgen]` layer: thin wrappers that view scratch slots as typed
//! slices, call a kernel, and turn `Error` into a JS error with a `code`.
//!
//! Array arguments travel through the scratch slots (see `scratch.rs`), not as
//! wasm-bindgen `&mut [T]` parameters: wasm-bindgen would malloc a copy per
//! call and always write it back, even after a trap, whereas the JS engine
//! needs to decide itself whether a chunk's result is written back.
//!
//! Every kernel export is declared once, with [`export!`]: the macro emits the
//! `#[wasm_bindgen]` function and the export's entry in the module's
//! `sabre_contract` custom section (its JS name, its arguments with their
//! Rust types, and its scratch slots by name, in slot order). The JS side
//! reads that section (js/contract.js): it finds slot numbers by name, and a
//! test checks every JS kernel declaration against it, so the two sides
//! cannot drift apart silently.

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

/// The bytes of a contract entry, as a fixed-size array for a `static`.
pub(crate) const fn entry_bytes<const N: usize>(entry: &str) -> [u8; N] {
    let bytes = entry.as_bytes();
    let mut out = [0u8; N];
    let mut i = 0;
    while i < N {
        out[i] = bytes[i];
        i += 1;
    }
    out
}

/// One kernel export and its contract entry.
///
/// ```ignore
/// export! {
///     /// doc comment of the export
///     scaleF32 = fn scale_f32(len: usize, a: f32) [x] -> () {
///         map::scale(view::<f32>(x, len)?, a);
///         Ok(())
///     }
/// }
/// ```
///
/// `[x, y, ..]` names the scratch slots the export uses, in slot order: the
/// body sees each as `&mut Vec<u64>` (view it with `scratch::view`). The body
/// returns `Result<R, Error>`; `-> R` returns R to JS as wasm-bindgen does,
/// `-> serde R` as a plain JS object (serde_wasm_bindgen).
macro_rules! export {
    ($(#[$doc:meta])* $js:ident = fn $name:ident($($arg:ident: $ty:ty),* $(,)?) [$($slot:ident),*] -> serde $ret:ty $body:block) => {
        $(#[$doc])*
        #[allow(non_snake_case)] // the Rust name may be the JS name
        #[wasm_bindgen(js_name = $js)]
        pub fn $name($($arg: $ty),*) -> $crate::bindings::JsResult<JsValue> {
            let r: $ret = $crate::bindings::with_named_slots!([$($slot),*] $body)?;
            Ok(serde_wasm_bindgen::to_value(&r)?)
        }
        $crate::bindings::contract_entry!($js ($($arg: $ty),*) [$($slot),*] -> serde $ret);
    };
    ($(#[$doc:meta])* $js:ident = fn $name:ident($($arg:ident: $ty:ty),* $(,)?) [$($slot:ident),*] -> $ret:ty $body:block) => {
        $(#[$doc])*
        #[allow(non_snake_case)] // the Rust name may be the JS name
        #[wasm_bindgen(js_name = $js)]
        pub fn $name($($arg: $ty),*) -> $crate::bindings::JsResult<$ret> {
            $crate::bindings::with_named_slots!([$($slot),*] $body)
        }
        $crate::bindings::contract_entry!($js ($($arg: $ty),*) [$($slot),*] -> $ret);
    };
}

/// Runs `$body` with the named scratch slots bound, mapping its error to JS.
macro_rules! with_named_slots {
    ([] $body:block) => {
        $crate::scratch::with_slots(|_| $body).map_err($crate::bindings::to_js)
    };
    ([$($slot:ident),+] $body:block) => {
        $crate::scratch::with_slots(|s| {
            #[allow(unused_variables)]
            let [$($slot,)+ ..] = s;
            $body
        })
        .map_err($crate::bindings::to_js)
    };
}

/// The export's line in the `sabre_contract` custom section:
/// `name(arg: type, ...) [slot, ...] -> return`, each ended by a NUL (the
/// text of `stringify!` may break lines).
macro_rules! contract_entry {
    ($js:ident ($($arg:ident: $ty:ty),*) [$($slot:ident),*] -> $($ret:tt)+) => {
        const _: () = {
            const ENTRY: &str = concat!(
                stringify!($js), "(", stringify!($($arg: $ty),*), ") [", stringify!($($slot),*), "] -> ", stringify!($($ret)+), "\0"
            );
            #[used]
            #[link_section = "sabre_contract"]
            static CONTRACT: [u8; ENTRY.len()] = $crate::bindings::entry_bytes(ENTRY);
        };
    };
}

pub(crate) use {contract_entry, export, with_named_slots};

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
