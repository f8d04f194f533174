//! Prime counting and marking.

use super::{to_js, JsResult};
use crate::error::Error;
use crate::kernels::primes;
use crate::scratch::{self, view};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;

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
