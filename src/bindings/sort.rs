//! The sort kernel's exports, in JS order (see kernels/sort.rs): a whole
//! chunk's sort, and the two passes of the sample sort that
//! js/kernels/sort.js runs over bigger arrays.

use super::export;
use crate::kernels::sort;
use crate::scratch::view;
use std::cell::RefCell;
use wasm_bindgen::prelude::*;

thread_local! {
    /// The sample sort's splitter tree, bucket numbers and positions: grown
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
            /// into `out`. `tree` holds the `buckets - 1` splitters on entry
            /// and the `buckets` counts (u32) on return.
            $partition = fn $partition(len: usize, buckets: usize) [x, out, tree] -> () {
                SCRATCH.with(|s| {
                    let s = &mut s.borrow_mut();
                    s.set_splitters(view::<$t>(&mut *tree, buckets.saturating_sub(1))?)?;
                    let out = view::<<$t as sort::Sortable>::K>(out, len)?;
                    sort::partition(view::<$t>(x, len)?, out, view::<u32>(tree, buckets)?, s)
                })
            }
        }
        export! {
            /// Sample sort, second pass: `keys` (their parts, source by
            /// source, as the first pass left them; `counts`: u32, `sources`
            /// rows of `buckets`) sorted into `out` as elements.
            $buckets = fn $buckets(len: usize, sources: usize, buckets: usize) [keys, out, counts] -> () {
                SCRATCH.with(|s| {
                    let keys = view::<<$t as sort::Sortable>::K>(keys, len)?;
                    let counts = view::<u32>(counts, sources * buckets)?;
                    sort::sort_buckets(keys, counts, sources, view::<$t>(out, len)?, &mut s.borrow_mut())
                })
            }
        }
    };
}

sorts!(f64, sortF64, partitionF64, sortBucketsF64);
sorts!(f32, sortF32, partitionF32, sortBucketsF32);
sorts!(i32, sortI32, partitionI32, sortBucketsI32);
sorts!(u32, sortU32, partitionU32, sortBucketsU32);
