//! Mandelbrot rows.

use super::{to_js, JsResult};
use crate::kernels::mandelbrot;
use crate::scratch::{self, view};
use wasm_bindgen::prelude::*;

/// slot 0: out (written)
#[wasm_bindgen]
pub fn mandelbrot(len: usize, view_opts: JsValue, row0: u32) -> JsResult<()> {
    let v: mandelbrot::View = serde_wasm_bindgen::from_value(view_opts)?;
    scratch::with_slots(|s| mandelbrot::render(view::<u8>(&mut s[0], len)?, &v, row0))
        .map_err(to_js)
}
