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

/// A driver of `matmul` over packed B: `(c, a, packed b, rows, k, n)`.
type Driver = fn(&mut [f32], &[f32], &[f32], usize, usize, usize) -> Result<(), Error>;

/// One band of rows of C from the B cache, packing it first if this is the
/// call's first band on this instance; `kernel` is the mode's driver.
fn band(
    c: &mut [f32],
    a: &[f32],
    rows: usize,
    k: usize,
    n: usize,
    kernel: Driver,
) -> Result<(), Error> {
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
        kernel(c, a, &cache.packed, rows, k, n)
    })
}

// The exact mode, in the default module only.
#[cfg(not(feature = "relaxed-simd"))]
export! {
    /// `c` (written): `rows x n` rows of C; `a`: their `rows x k` rows of A;
    /// B (`k x n`) is in the B cache.
    matmulF32 = fn matmul_f32(rows: usize, k: usize, n: usize) [c, a] -> () {
        let c = view::<f32>(c, elems(rows, n)?)?;
        let a = view::<f32>(a, elems(rows, k)?)?;
        band(c, a, rows, k, n, matmul::matmul_f32_packed)
    }
}

// The fused mode (`f32x4.relaxed_madd`), in the fused module only.
#[cfg(feature = "relaxed-simd")]
export! {
    /// `matmulF32`'s fused mode: the same slots and arguments, not
    /// bit-identical to the naive loop (src/kernels/matmul.rs).
    matmulFusedF32 = fn matmul_fused_f32(rows: usize, k: usize, n: usize) [c, a] -> () {
        let c = view::<f32>(c, elems(rows, n)?)?;
        let a = view::<f32>(a, elems(rows, k)?)?;
        band(c, a, rows, k, n, matmul::matmul_f32_fused_packed)
    }
}
