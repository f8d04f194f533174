//! Sort chunks and merges of sorted runs, in JS order (see kernels/sort.rs).

use super::export;
use crate::kernels::sort;
use crate::scratch::view;
use wasm_bindgen::prelude::*;

macro_rules! sorts {
    ($t:ty, $sort:ident, $merge:ident) => {
        export! {
            /// x in place; `tmp`: working space of `len` elements.
            $sort = fn $sort(len: usize) [x, tmp] -> () {
                sort::sort(view::<$t>(x, len)?, view::<$t>(tmp, len)?)
            }
        }
        export! {
            /// The merge of the sorted runs `a` and `b` into `out`.
            $merge = fn $merge(len_a: usize, len_b: usize) [a, b, out] -> () {
                sort::merge(view::<$t>(a, len_a)?, view::<$t>(b, len_b)?, view::<$t>(out, len_a + len_b)?)
            }
        }
    };
}

sorts!(f64, sortF64, mergeF64);
sorts!(f32, sortF32, mergeF32);
sorts!(i32, sortI32, mergeI32);
sorts!(u32, sortU32, mergeU32);
