//! Byte maps: invert, RGBA grayscale.

use super::{to_js, JsResult};
use crate::kernels::bytes;
use crate::scratch::{self, view};
use wasm_bindgen::prelude::*;

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
