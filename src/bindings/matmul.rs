//! Dense matrix product.

use super::export;
use crate::error::Error;
use crate::kernels::matmul;
use crate::scratch::view;
use std::cell::RefCell;
use wasm_bindgen::prelude::*;

thread_local! {
    // B of the current matmul call: every band of rows of C reads all of B,
    // so the JS side copies it here once per call and instance (keyed by a
    // call id it keeps per instance) instead of into a slot for each chunk.
    static B_CACHE: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

fn elems(rows: usize, cols: usize) -> Result<usize, Error> {
    rows.checked_mul(cols).ok_or(Error::OutOfRange {
        what: "matrix",
        detail: "too large".into(),
    })
}

export! {
    /// Makes the B cache hold `len` f32 and returns its address, for the JS
    /// side to copy B into. May grow wasm memory.
    matmulReserveB = fn matmul_reserve_b(len: usize) [] -> usize {
        Ok(B_CACHE.with(|b| {
            let mut b = b.borrow_mut();
            if b.len() < len {
                b.resize(len, 0.0);
            }
            b.as_mut_ptr() as usize
        }))
    }
}

export! {
    /// `c` (written): `rows x n` rows of C; `a`: their `rows x k` rows of A;
    /// B (`k x n`) is in the B cache.
    matmulF32 = fn matmul_f32(rows: usize, k: usize, n: usize) [c, a] -> () {
        let c = view::<f32>(c, elems(rows, n)?)?;
        let a = view::<f32>(a, elems(rows, k)?)?;
        let kn = elems(k, n)?;
        B_CACHE.with(|cache| {
            let cache = cache.borrow();
            let b = cache.get(..kn).ok_or_else(|| Error::Scratch {
                detail: format!("B cache holds {} of {kn} elements", cache.len()),
            })?;
            matmul::matmul_f32(c, a, b, rows, k, n)
        })
    }
}
