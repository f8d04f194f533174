//! The `#[wasm_bindgen]` layer: thin wrappers that view scratch slots as typed
//! slices, call a kernel, and turn `Error` into a JS error with a `code`.
//!
//! Array arguments travel through the scratch slots (see `scratch.rs`), not as
//! wasm-bindgen `&mut [T]` parameters: wasm-bindgen would malloc a copy per
//! call and always write it back, even after a trap, whereas the JS engine
//! needs to decide itself whether a chunk's result is written back.

use crate::error::Error;
use crate::kernels::{bytes, mandelbrot, map, primes, reduce};
use crate::scratch::{self, view};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;

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

fn to_js(e: Error) -> JsValue {
    let err: js_sys::Error = match e.js_name() {
        "RangeError" => js_sys::RangeError::new(&e.to_string()).into(),
        _ => js_sys::Error::new(&e.to_string()),
    };
    let _ = js_sys::Reflect::set(&err, &"code".into(), &e.code().into());
    err.into()
}

type JsResult<T> = Result<T, JsValue>;

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

macro_rules! float_maps {
    ($t:ty, $scale:ident = $scale_js:ident, $axpy:ident = $axpy_js:ident,
     $sum:ident = $sum_js:ident, $linreg:ident = $linreg_js:ident) => {
        /// slot 0: x (in/out)
        #[wasm_bindgen(js_name = $scale_js)]
        pub fn $scale(len: usize, a: $t) -> JsResult<()> {
            scratch::with_slots(|s| {
                map::scale(view::<$t>(&mut s[0], len)?, a);
                Ok(())
            })
            .map_err(to_js)
        }

        /// slot 0: y (in/out), slot 1: x
        #[wasm_bindgen(js_name = $axpy_js)]
        pub fn $axpy(len: usize, a: $t) -> JsResult<()> {
            scratch::with_slots(|s| {
                let [y, x, _] = s;
                map::axpy(view::<$t>(y, len)?, a, view::<$t>(x, len)?)
            })
            .map_err(to_js)
        }

        /// slot 0: x
        #[wasm_bindgen(js_name = $sum_js)]
        pub fn $sum(len: usize) -> JsResult<f64> {
            scratch::with_slots(|s| Ok(reduce::sum(view::<$t>(&mut s[0], len)?))).map_err(to_js)
        }

        /// slot 0: x, slot 1: y. Returns `{ n, meanX, meanY, m2x, m2y, cxy }`.
        #[wasm_bindgen(js_name = $linreg_js)]
        pub fn $linreg(len: usize) -> JsResult<JsValue> {
            let m = scratch::with_slots(|s| {
                let [x, y, _] = s;
                reduce::Moments::of(view::<$t>(x, len)?, view::<$t>(y, len)?)
            })
            .map_err(to_js)?;
            Ok(serde_wasm_bindgen::to_value(&m)?)
        }
    };
}

float_maps!(
    f32,
    scale_f32 = scaleF32,
    axpy_f32 = axpyF32,
    sum_f32 = sumF32,
    linreg_f32 = linregF32
);
float_maps!(
    f64,
    scale_f64 = scaleF64,
    axpy_f64 = axpyF64,
    sum_f64 = sumF64,
    linreg_f64 = linregF64
);

/// slot 0: bytes (in/out)
#[wasm_bindgen]
pub fn invert(len: usize) -> JsResult<()> {
    scratch::with_slots(|s| {
        bytes::invert(view::<u8>(&mut s[0], len)?);
        Ok(())
    })
    .map_err(to_js)
}

/// slot 0: RGBA bytes (in/out)
#[wasm_bindgen(js_name = grayscaleRgba)]
pub fn grayscale_rgba(len: usize) -> JsResult<()> {
    scratch::with_slots(|s| bytes::grayscale_rgba(view::<u8>(&mut s[0], len)?)).map_err(to_js)
}

/// slot 0: out (written)
#[wasm_bindgen]
pub fn mandelbrot(len: usize, view_opts: JsValue, row0: u32) -> JsResult<()> {
    let v: mandelbrot::View = serde_wasm_bindgen::from_value(view_opts)?;
    scratch::with_slots(|s| mandelbrot::render(view::<u8>(&mut s[0], len)?, &v, row0))
        .map_err(to_js)
}

thread_local! {
    // Base primes and segment buffer survive across chunks of one worker.
    static SIEVE: RefCell<primes::Sieve> = RefCell::new(primes::Sieve::new());
}

fn to_u64(what: &'static str, v: f64) -> JsResult<u64> {
    if v >= 0.0 && v.fract() == 0.0 && v <= primes::MAX_HI as f64 {
        Ok(v as u64)
    } else {
        Err(to_js(Error::OutOfRange {
            what,
            detail: format!("must be an integer in [0, 2^53 + 1], got {v}"),
        }))
    }
}

/// Number of primes in `[lo, hi)`.
#[wasm_bindgen(js_name = countPrimes)]
pub fn count_primes(lo: f64, hi: f64) -> JsResult<f64> {
    let (lo, hi) = (to_u64("lo", lo)?, to_u64("hi", hi)?);
    SIEVE
        .with(|s| s.borrow_mut().count(lo, hi))
        .map(|c| c as f64)
        .map_err(to_js)
}

/// slot 0: out (written): `out[i] = 1` if `lo + i` is prime. Returns the count.
#[wasm_bindgen(js_name = markPrimes)]
pub fn mark_primes(len: usize, lo: f64) -> JsResult<f64> {
    let lo = to_u64("lo", lo)?;
    scratch::with_slots(|s| {
        let out = view::<u8>(&mut s[0], len)?;
        SIEVE.with(|sv| sv.borrow_mut().mark(out, lo))
    })
    .map(|c| c as f64)
    .map_err(to_js)
}

/// Kernels that fail on purpose, for the pool's fault tests. Compiled only
/// with `--features fault-injection`, into a test-only .wasm.
#[cfg(feature = "fault-injection")]
mod faults {
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
}
