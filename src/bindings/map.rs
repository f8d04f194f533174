//! Float maps and reductions: scale, axpy, axpby, clamp, abs, sum, dot,
//! min, max, mean/variance, linear regression.

use super::{to_js, JsResult};
use crate::kernels::{map, reduce};
use crate::scratch::{self, view};
use wasm_bindgen::prelude::*;

macro_rules! float_maps {
    ($t:ty, $scale:ident = $scale_js:ident, $axpy:ident = $axpy_js:ident,
     $sum:ident = $sum_js:ident, $linreg:ident = $linreg_js:ident,
     $axpby:ident = $axpby_js:ident, $clamp:ident = $clamp_js:ident, $abs:ident = $abs_js:ident,
     $dot:ident = $dot_js:ident, $min:ident = $min_js:ident, $max:ident = $max_js:ident,
     $stats:ident = $stats_js:ident) => {
        /// slot 0: x, slot 1: y. Returns the chunk's unrounded compensated
        /// pair `{ sum, comp }` (see `reduce::Neumaier`).
        #[wasm_bindgen(js_name = $dot_js)]
        pub fn $dot(len: usize) -> JsResult<JsValue> {
            let p = scratch::with_slots(|s| {
                let [x, y, ..] = s;
                reduce::dot(view::<$t>(x, len)?, view::<$t>(y, len)?)
            })
            .map_err(to_js)?;
            Ok(serde_wasm_bindgen::to_value(&p)?)
        }

        /// slot 0: x. `+Infinity` when empty.
        #[wasm_bindgen(js_name = $min_js)]
        pub fn $min(len: usize) -> JsResult<f64> {
            scratch::with_slots(|s| Ok(reduce::min(view::<$t>(&mut s[0], len)?))).map_err(to_js)
        }

        /// slot 0: x. `-Infinity` when empty.
        #[wasm_bindgen(js_name = $max_js)]
        pub fn $max(len: usize) -> JsResult<f64> {
            scratch::with_slots(|s| Ok(reduce::max(view::<$t>(&mut s[0], len)?))).map_err(to_js)
        }

        /// slot 0: x. Returns `{ n, mean, m2 }`.
        #[wasm_bindgen(js_name = $stats_js)]
        pub fn $stats(len: usize) -> JsResult<JsValue> {
            let st = scratch::with_slots(|s| Ok(reduce::Stats::of(view::<$t>(&mut s[0], len)?)))
                .map_err(to_js)?;
            Ok(serde_wasm_bindgen::to_value(&st)?)
        }

        /// slot 0: y (in/out), slot 1: x
        #[wasm_bindgen(js_name = $axpby_js)]
        pub fn $axpby(len: usize, a: $t, b: $t) -> JsResult<()> {
            scratch::with_slots(|s| {
                let [y, x, ..] = s;
                map::axpby(view::<$t>(y, len)?, a, view::<$t>(x, len)?, b)
            })
            .map_err(to_js)
        }

        /// slot 0: x (in/out)
        #[wasm_bindgen(js_name = $clamp_js)]
        pub fn $clamp(len: usize, lo: $t, hi: $t) -> JsResult<()> {
            scratch::with_slots(|s| map::clamp(view::<$t>(&mut s[0], len)?, lo, hi)).map_err(to_js)
        }

        /// slot 0: x (in/out)
        #[wasm_bindgen(js_name = $abs_js)]
        pub fn $abs(len: usize) -> JsResult<()> {
            scratch::with_slots(|s| {
                map::abs(view::<$t>(&mut s[0], len)?);
                Ok(())
            })
            .map_err(to_js)
        }

        /// slot 0: x (in/out)
        #[wasm_bindgen(js_name = $scale_js)]
        pub fn $scale(len: usize, a: $t) -> JsResult<()> {
            scratch::with_slots(|s| {
                map::scale(view::<$t>(&mut s[0], len)?, a);
                Ok(())
            })
            .map_err(to_js)
        }

        /// slot 0: y (in/out), slot 1: x
        #[wasm_bindgen(js_name = $axpy_js)]
        pub fn $axpy(len: usize, a: $t) -> JsResult<()> {
            scratch::with_slots(|s| {
                let [y, x, ..] = s;
                map::axpy(view::<$t>(y, len)?, a, view::<$t>(x, len)?)
            })
            .map_err(to_js)
        }

        /// slot 0: x. Returns the chunk's unrounded compensated pair
        /// `{ sum, comp }` (see `reduce::Neumaier`).
        #[wasm_bindgen(js_name = $sum_js)]
        pub fn $sum(len: usize) -> JsResult<JsValue> {
            let p = scratch::with_slots(|s| Ok(reduce::sum(view::<$t>(&mut s[0], len)?)))
                .map_err(to_js)?;
            Ok(serde_wasm_bindgen::to_value(&p)?)
        }

        /// slot 0: x, slot 1: y. Returns `{ n, meanX, meanY, m2x, m2y, cxy }`.
        #[wasm_bindgen(js_name = $linreg_js)]
        pub fn $linreg(len: usize) -> JsResult<JsValue> {
            let m = scratch::with_slots(|s| {
                let [x, y, ..] = s;
                reduce::Moments::of(view::<$t>(x, len)?, view::<$t>(y, len)?)
            })
            .map_err(to_js)?;
            Ok(serde_wasm_bindgen::to_value(&m)?)
        }
    };
}

float_maps!(
    f32,
    scale_f32 = scaleF32,
    axpy_f32 = axpyF32,
    sum_f32 = sumF32,
    linreg_f32 = linregF32,
    axpby_f32 = axpbyF32,
    clamp_f32 = clampF32,
    abs_f32 = absF32,
    dot_f32 = dotF32,
    min_f32 = minF32,
    max_f32 = maxF32,
    mean_variance_f32 = meanVarianceF32
);
float_maps!(
    f64,
    scale_f64 = scaleF64,
    axpy_f64 = axpyF64,
    sum_f64 = sumF64,
    linreg_f64 = linregF64,
    axpby_f64 = axpbyF64,
    clamp_f64 = clampF64,
    abs_f64 = absF64,
    dot_f64 = dotF64,
    min_f64 = minF64,
    max_f64 = maxF64,
    mean_variance_f64 = meanVarianceF64
);
