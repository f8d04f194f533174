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
//!
//! The shared-memory build (`--cfg sabre_shared`, wasm32-wasip1-threads)
//! compiles the same declarations differently: each `export!` becomes an
//! `extern "C"` function of the same JS name over raw pointers into the
//! shared memory instead of scratch slots (see `shared.rs`), with its own
//! contract entry, so js/contract.js reads both modules alike. It has the
//! kernels that js/declare.js runs (map.rs, bytes.rs); the others keep their
//! hand-written runs over scratch slots and are in the wasm-bindgen build only.

#[cfg(not(sabre_shared))]
use crate::error::Error;
#[cfg(not(sabre_shared))]
use crate::scratch;
#[cfg(not(sabre_shared))]
use wasm_bindgen::prelude::*;

// The fused module (cargo feature `relaxed-simd`, its own .wasm, built by
// scripts/build.js) holds only what the fused matmul needs: matmul's
// bindings, the scratch slots and the panic hook. Only its micro-kernel is
// compiled with the relaxed-simd target feature (kernels/matmul.rs); the
// default module is built without the cargo feature and holds none.
#[cfg(not(feature = "relaxed-simd"))]
mod bytes;
#[cfg(all(feature = "fault-injection", not(sabre_shared)))]
mod faults;
#[cfg(not(any(sabre_shared, feature = "relaxed-simd")))]
mod kmeans;
#[cfg(not(any(sabre_shared, feature = "relaxed-simd")))]
mod mandelbrot;
#[cfg(not(feature = "relaxed-simd"))]
mod map;
#[cfg(not(sabre_shared))]
mod matmul;
#[cfg(not(any(sabre_shared, feature = "relaxed-simd")))]
mod nbody;
#[cfg(not(any(sabre_shared, feature = "relaxed-simd")))]
mod primes;
#[cfg(sabre_shared)]
pub(crate) mod shared;
#[cfg(not(any(sabre_shared, feature = "relaxed-simd")))]
mod sort;
#[cfg(not(any(sabre_shared, feature = "relaxed-simd")))]
mod stencil;

#[cfg(not(sabre_shared))]
#[wasm_bindgen]
extern "C" {
    /// Set by sabre's JS engine before it instantiates the module; throws
    /// (caught) when the module runs without it.
    #[wasm_bindgen(js_namespace = globalThis, js_name = __sabre_panic, catch)]
    fn report_panic(message: &str) -> Result<(), JsValue>;
}

#[cfg(not(sabre_shared))]
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
#[cfg(not(sabre_shared))]
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
#[cfg(not(sabre_shared))]
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

/// The shared-memory build's `export!`: the same declaration as an
/// `extern "C"` function named as in JS, taking the address of its result
/// buffer, one pointer per slot (in slot order), then `len` and the other
/// arguments as above. It returns the number of f64s it wrote to the result
/// buffer, or minus the length of an error's text there (see shared.rs).
/// Its contract entry adds the result's field names: `-> serde R {a, b}`.
#[cfg(sabre_shared)]
macro_rules! export {
    ($(#[$doc:meta])* $js:ident = fn $name:ident($($arg:ident: $ty:ty),* $(,)?) [$($slot:ident),*] -> serde $ret:ty $body:block) => {
        $crate::bindings::shared_export!($(#[$doc])* $js($($arg: $ty),*) [$($slot),*] -> $ret $body);
        $crate::bindings::shared::contract_entry!($js ($($arg: $ty),*) [$($slot),*] -> (serde $ret) $ret);
    };
    ($(#[$doc:meta])* $js:ident = fn $name:ident($($arg:ident: $ty:ty),* $(,)?) [$($slot:ident),*] -> $ret:ty $body:block) => {
        $crate::bindings::shared_export!($(#[$doc])* $js($($arg: $ty),*) [$($slot),*] -> $ret $body);
        $crate::bindings::shared::contract_entry!($js ($($arg: $ty),*) [$($slot),*] -> ($ret) $ret);
    };
}

#[cfg(sabre_shared)]
macro_rules! shared_export {
    ($(#[$doc:meta])* $js:ident($($arg:ident: $ty:ty),*) [$($slot:ident),*] -> $ret:ty $body:block) => {
        $(#[$doc])*
        ///
        /// # Safety
        /// `result` is this instance's result buffer (`shared::RESULT_F64S`
        /// f64s); every slot pointer is the start of as many elements as the
        /// body views, aligned, allocated in the shared memory and not
        /// written by anyone else during the call; no two slots overlap.
        #[allow(non_snake_case)] // the JS name
        #[no_mangle]
        pub unsafe extern "C" fn $js(result: *mut f64, $($slot: *mut u8,)* $($arg: $ty),*) -> i32 {
            $(let $slot = $crate::bindings::shared::SharedSlot::new($slot);)*
            let r: ::std::result::Result<$ret, $crate::error::Error> = (move || $body)();
            $crate::bindings::shared::finish(result, r)
        }
    };
}

/// Runs `$body` with the named scratch slots bound, mapping its error to JS.
#[cfg(not(sabre_shared))]
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
#[cfg(not(sabre_shared))]
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

#[cfg(not(sabre_shared))]
pub(crate) use {contract_entry, export, with_named_slots};
#[cfg(sabre_shared)]
pub(crate) use {export, shared_export};

#[cfg(not(sabre_shared))]
pub(crate) fn to_js(e: Error) -> JsValue {
    let err: js_sys::Error = match e.js_name() {
        "RangeError" => js_sys::RangeError::new(&e.to_string()).into(),
        _ => js_sys::Error::new(&e.to_string()),
    };
    let _ = js_sys::Reflect::set(&err, &"code".into(), &e.code().into());
    err.into()
}

#[cfg(not(sabre_shared))]
pub(crate) type JsResult<T> = Result<T, JsValue>;

/// The instance's linear memory, for the JS side to copy chunks in and out.
#[cfg(not(sabre_shared))]
#[wasm_bindgen(js_name = wasmMemory)]
pub fn wasm_memory() -> JsValue {
    wasm_bindgen::memory()
}

/// Makes scratch slot `slot` hold at least `bytes` and returns its address.
#[cfg(not(sabre_shared))]
#[wasm_bindgen]
pub fn reserve(slot: usize, bytes: usize) -> JsResult<usize> {
    scratch::reserve(slot, bytes).map_err(to_js)
}
