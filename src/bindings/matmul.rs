//! Dense matrix product.

use super::export;
use crate::error::Error;
use crate::kernels::matmul;
use crate::scratch::view;
use std::cell::RefCell;
use wasm_bindgen::prelude::*;

/// B of the current matmul call: every band of rows of C reads all of B, so
/// the JS side copies it into `raw` once per call and instance (keyed by a
/// call id it keeps per instance) instead of into a slot for each chunk. The
/// first band of the call packs it into `packed` (panels for the
/// micro-kernel); the next bands of the same call on this instance reuse it.
struct BCache {
    raw: Vec<f32>,
    packed: Vec<f32>,
    /// `(k, n)` that `packed` was packed for from the current `raw`; `None`
    /// after `matmulReserveB` (a new B is being copied in).
    packed_for: Option<(usize, usize)>,
}

thread_local! {
    static B_CACHE: RefCell<BCache> = const {
        RefCell::new(BCache { raw: Vec::new(), packed: Vec::new(), packed_for: None })
    };
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
            b.packed_for = None;
            if b.raw.len() < len {
                b.raw.resize(len, 0.0);
            }
            b.raw.as_mut_ptr() as usize
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
            let cache = &mut *cache.borrow_mut();
            if cache.packed_for != Some((k, n)) {
                let b = cache.raw.get(..kn).ok_or_else(|| Error::Scratch {
                    detail: format!("B cache holds {} of {kn} elements", cache.raw.len()),
                })?;
                matmul::pack_b(&mut cache.packed, b, k, n)?;
                cache.packed_for = Some((k, n));
            }
            matmul::matmul_f32_packed(c, a, &cache.packed, rows, k, n)
        })
    }
}
