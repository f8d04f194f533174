//! The sort kernel's exports, in JS order (see kernels/sort.rs): a whole
//! chunk's sort, and the two passes of the sample sort that
//! js/kernels/sort.js runs over bigger arrays.

use super::export;
use crate::kernels::sort;
use crate::scratch::view;
use std::cell::RefCell;
use wasm_bindgen::prelude::*;

thread_local! {
    /// The sample sort's splitters, cell table, bucket numbers and positions: grown
    /// once per instance, reused by every chunk.
    static SCRATCH: RefCell<sort::Scratch> = RefCell::new(Default::default());
}

macro_rules! sorts {
    ($t:ty, $sort:ident, $partition:ident, $buckets:ident) => {
        export! {
            /// x in place; `tmp`: working space of `len` elements.
            $sort = fn $sort(len: usize) [x, tmp] -> () {
                sort::sort(view::<$t>(x, len)?, view::<$t>(tmp, len)?)
            }
        }
        export! {
            /// Sample sort, first pass: the keys of `x` grouped by bucket
            /// into `out`. `splitters` holds the `buckets - 1` splitters on entry
            /// and the `buckets` counts (u32) on return.
            $partition = fn $partition(len: usize, buckets: usize) [x, out, splitters] -> () {
                SCRATCH.with(|s| {
                    let s = &mut s.borrow_mut();
                    s.set_splitters(view::<$t>(&mut *splitters, buckets.saturating_sub(1))?)?;
                    let out = view::<<$t as sort::Sortable>::K>(out, len)?;
                    sort::partition(view::<$t>(x, len)?, out, view::<u32>(splitters, buckets)?, s)
                })
            }
        }
        export! {
            /// Sample sort, second pass: `keys`, bucket after bucket (their
            /// sizes, u32, in `sizes`), sorted into `out` as elements.
            $buckets = fn $buckets(len: usize, buckets: usize) [keys, out, sizes] -> () {
                let keys = view::<<$t as sort::Sortable>::K>(keys, len)?;
                sort::sort_buckets(keys, view::<u32>(sizes, buckets)?, view::<$t>(out, len)?)
            }
        }
    };
}

sorts!(f64, sortF64, partitionF64, sortBucketsF64);
sorts!(f32, sortF32, partitionF32, sortBucketsF32);
sorts!(i32, sortI32, partitionI32, sortBucketsI32);
sorts!(u32, sortU32, partitionU32, sortBucketsU32);
