//! Byte maps (invert, RGBA grayscale, brightness/contrast, threshold, XOR
//! with a key) and the byte histogram. One `export!` each (bindings/mod.rs).

use super::export;
use crate::kernels::{bytes, reduce};
use crate::scratch::view;
#[cfg(not(sabre_shared))]
use wasm_bindgen::prelude::*;

export! {
    /// bytes in place: `255 - b`.
    invert = fn invert(len: usize) [bytes] -> () {
        bytes::invert(view::<u8>(bytes, len)?);
        Ok(())
    }
}

export! {
    /// RGBA bytes in place: each pixel's gray value in R, G and B.
    grayscaleRgba = fn grayscale_rgba(len: usize) [rgba] -> () {
        bytes::grayscale_rgba(view::<u8>(rgba, len)?)
    }
}

export! {
    /// The 256 counts of the chunk's bytes (as f64, so JS adds them exactly).
    histogram = fn histogram(len: usize) [bytes] -> Vec<f64> {
        let mut counts = [0u64; 256];
        reduce::histogram(view::<u8>(bytes, len)?, &mut counts);
        Ok(counts.iter().map(|&c| c as f64).collect())
    }
}

export! {
    /// bytes in place: 255 where `b >= t`, else 0.
    threshold = fn threshold(len: usize, t: u32) [bytes] -> () {
        bytes::threshold(view::<u8>(bytes, len)?, t)
    }
}

export! {
    /// bytes in place XOR the key; `key` holds the `key_len` key bytes the
    /// chunk needs, `phase` is the key position of the chunk's first byte.
    xorKey = fn xor_key(len: usize, key_len: usize, phase: usize) [bytes, key] -> () {
        bytes::xor_key(view::<u8>(bytes, len)?, view::<u8>(key, key_len)?, phase)
    }
}

export! {
    /// RGBA bytes in place: brightness added, contrast (Q8 fixed point) around 128.
    brightnessContrast = fn brightness_contrast(len: usize, brightness: i32, contrast_q8: u32) [rgba] -> () {
        bytes::brightness_contrast(view::<u8>(rgba, len)?, brightness, contrast_q8)
    }
}
