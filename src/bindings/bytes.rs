//! Byte maps (invert, RGBA grayscale, brightness/contrast, threshold, XOR
//! with a key) and the byte histogram.

use super::{to_js, JsResult};
use crate::kernels::{bytes, reduce};
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

/// slot 0: bytes. Returns the 256 counts (as f64, so JS adds them exactly).
#[wasm_bindgen]
pub fn histogram(len: usize) -> JsResult<Vec<f64>> {
    scratch::with_slots(|s| {
        let mut counts = [0u64; 256];
        reduce::histogram(view::<u8>(&mut s[0], len)?, &mut counts);
        Ok(counts.iter().map(|&c| c as f64).collect())
    })
    .map_err(to_js)
}

/// slot 0: bytes (in/out)
#[wasm_bindgen]
pub fn threshold(len: usize, t: u32) -> JsResult<()> {
    scratch::with_slots(|s| bytes::threshold(view::<u8>(&mut s[0], len)?, t)).map_err(to_js)
}

/// slot 0: bytes (in/out), slot 1: the key bytes the chunk needs
/// (`key_len` of them), `phase`: the key position of the chunk's first byte.
#[wasm_bindgen(js_name = xorKey)]
pub fn xor_key(len: usize, key_len: usize, phase: usize) -> JsResult<()> {
    scratch::with_slots(|s| {
        let [b, k, ..] = s;
        bytes::xor_key(view::<u8>(b, len)?, view::<u8>(k, key_len)?, phase)
    })
    .map_err(to_js)
}

/// slot 0: RGBA bytes (in/out)
#[wasm_bindgen(js_name = brightnessContrast)]
pub fn brightness_contrast(len: usize, brightness: i32, contrast_q8: u32) -> JsResult<()> {
    scratch::with_slots(|s| {
        bytes::brightness_contrast(view::<u8>(&mut s[0], len)?, brightness, contrast_q8)
    })
    .map_err(to_js)
}
