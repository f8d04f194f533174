//! Stencils: Gaussian blur of RGBA bands.

use super::{to_js, JsResult};
use crate::error::Error;
use crate::kernels::stencil;
use crate::scratch::{self, view};
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

/// slot 0: out (written), `band_rows` rows; slot 1: input, `rows_in` rows
/// (the band plus its halo), the band starting at row `band_start`; slot 2:
/// the `taps` weights as u32.
#[wasm_bindgen(js_name = gaussianBlurRgba)]
pub fn gaussian_blur_rgba(
    width: usize,
    rows_in: usize,
    band_start: usize,
    band_rows: usize,
    taps: usize,
) -> JsResult<()> {
    scratch::with_slots(|s| {
        let [out, input, weights] = s;
        let out = view::<u8>(out, bytes(width, band_rows)?)?;
        let input = view::<u8>(input, bytes(width, rows_in)?)?;
        let weights = view::<u32>(weights, taps)?;
        TMP.with(|t| {
            stencil::gaussian_blur_rows(out, input, width, band_start, weights, &mut t.borrow_mut())
        })
    })
    .map_err(to_js)
}
