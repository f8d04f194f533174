//! Mandelbrot rows.

use super::export;
use crate::error::Error;
use crate::kernels::mandelbrot;
use crate::scratch::view;
use wasm_bindgen::prelude::*;

export! {
    /// `out` (written): `len` pixels from row `row0` of the view `view_opts`.
    mandelbrot = fn mandelbrot(len: usize, view_opts: JsValue, row0: u32) [out] -> () {
        let v: mandelbrot::View = serde_wasm_bindgen::from_value(view_opts).map_err(|e| Error::OutOfRange {
            what: "view",
            detail: e.to_string(),
        })?;
        mandelbrot::render(view::<u8>(out, len)?, &v, row0)
    }
}
