//! Stencils: Gaussian blur of RGBA bands.

use super::export;
use crate::error::Error;
use crate::kernels::stencil;
use crate::scratch::view;
use std::cell::RefCell;
use wasm_bindgen::prelude::*;

thread_local! {
    // The blur's row buffers, kept across chunks of one instance.
    static TMP: RefCell<Vec<u32>> = const { RefCell::new(Vec::new()) };
}

fn bytes(width: usize, rows: usize) -> Result<usize, Error> {
    width
        .checked_mul(4)
        .and_then(|r| r.checked_mul(rows))
        .ok_or(Error::OutOfRange {
            what: "image",
            detail: "too large".into(),
        })
}

export! {
    /// `out` (written): `band_rows` rows; `input`: `rows_in` rows (the band
    /// plus its halo), the band starting at row `band_start`; `weights`: the
    /// `taps` integer weights.
    gaussianBlurRgba = fn gaussian_blur_rgba(width: usize, rows_in: usize, band_start: usize, band_rows: usize, taps: usize) [out, input, weights] -> () {
        let out = view::<u8>(out, bytes(width, band_rows)?)?;
        let input = view::<u8>(input, bytes(width, rows_in)?)?;
        let weights = view::<u32>(weights, taps)?;
        TMP.with(|t| stencil::gaussian_blur_rows(out, input, width, band_start, weights, &mut t.borrow_mut()))
    }
}
