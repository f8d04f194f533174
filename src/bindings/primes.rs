//! Prime counting and marking.

use super::export;
use crate::error::Error;
use crate::kernels::primes;
use crate::scratch::view;
use std::cell::RefCell;
use wasm_bindgen::prelude::*;

thread_local! {
    // Base primes and segment buffer survive across chunks of one worker.
    static SIEVE: RefCell<primes::Sieve> = RefCell::new(primes::Sieve::new());
}

fn to_u64(what: &'static str, v: f64) -> Result<u64, Error> {
    if v >= 0.0 && v.fract() == 0.0 && v <= primes::MAX_HI as f64 {
        Ok(v as u64)
    } else {
        Err(Error::OutOfRange {
            what,
            detail: format!("must be an integer in [0, 2^53], got {v}"),
        })
    }
}

export! {
    /// Number of primes in `[lo, hi)`.
    countPrimes = fn count_primes(lo: f64, hi: f64) [] -> f64 {
        let (lo, hi) = (to_u64("lo", lo)?, to_u64("hi", hi)?);
        SIEVE.with(|s| s.borrow_mut().count(lo, hi)).map(|c| c as f64)
    }
}

export! {
    /// `out` (written): `out[i] = 1` if `lo + i` is prime. Returns the count.
    markPrimes = fn mark_primes(len: usize, lo: f64) [out] -> f64 {
        let lo = to_u64("lo", lo)?;
        let out = view::<u8>(out, len)?;
        SIEVE.with(|sv| sv.borrow_mut().mark(out, lo)).map(|c| c as f64)
    }
}
