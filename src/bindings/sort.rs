//! Sort chunks and merges of sorted runs, in JS order (see kernels/sort.rs).

use super::{to_js, JsResult};
use crate::kernels::sort;
use crate::scratch::{self, view};
use wasm_bindgen::prelude::*;

macro_rules! sorts {
    ($t:ty, $sort:ident = $sort_js:ident, $merge:ident = $merge_js:ident) => {
        /// slot 0: x (in/out), slot 1: working space of `len` elements
        #[wasm_bindgen(js_name = $sort_js)]
        pub fn $sort(len: usize) -> JsResult<()> {
            scratch::with_slots(|s| {
                let [x, tmp, ..] = s;
                sort::sort(view::<$t>(x, len)?, view::<$t>(tmp, len)?)
            })
            .map_err(to_js)
        }

        /// slot 0: sorted run a, slot 1: sorted run b, slot 2: their merge (out)
        #[wasm_bindgen(js_name = $merge_js)]
        pub fn $merge(len_a: usize, len_b: usize) -> JsResult<()> {
            scratch::with_slots(|s| {
                let [a, b, out] = s;
                sort::merge(
                    view::<$t>(a, len_a)?,
                    view::<$t>(b, len_b)?,
                    view::<$t>(out, len_a + len_b)?,
                )
            })
            .map_err(to_js)
        }
    };
}

sorts!(f64, sort_f64 = sortF64, merge_f64 = mergeF64);
sorts!(f32, sort_f32 = sortF32, merge_f32 = mergeF32);
sorts!(i32, sort_i32 = sortI32, merge_i32 = mergeI32);
sorts!(u32, sort_u32 = sortU32, merge_u32 = mergeU32);
