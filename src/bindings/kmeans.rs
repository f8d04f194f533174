//! k-means: the assignment pass of one iteration.

use super::{to_js, JsResult};
use crate::error::Error;
use crate::kernels::kmeans;
use crate::scratch::{self, view};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;

thread_local! {
    // The transposed centroids, kept across chunks of one instance.
    static CT: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// slot 0: `count x dims` points (f32), slot 1: `k x dims` centroids (f32),
/// slot 2: `count` labels (u32 or i32 bits; in/out). Returns the chunk's
/// partial as a Float64Array: per-cluster sums (`k x dims`), counts (`k`),
/// inertia, number of labels changed.
#[wasm_bindgen(js_name = kmeansAssign)]
pub fn kmeans_assign(count: usize, dims: usize, k: usize) -> JsResult<Vec<f64>> {
    let too_large = || Error::OutOfRange {
        what: "points",
        detail: "too large".into(),
    };
    let plen = k
        .checked_mul(dims)
        .and_then(|kd| kd.checked_add(k + 2))
        .ok_or_else(too_large)
        .map_err(to_js)?;
    let mut partial = vec![0.0; plen];
    scratch::with_slots(|s| {
        let [points, centroids, labels] = s;
        let points = view::<f32>(points, count.checked_mul(dims).ok_or_else(too_large)?)?;
        let centroids = view::<f32>(centroids, k * dims)?;
        let labels = view::<u32>(labels, count)?;
        CT.with(|ct| {
            kmeans::assign(
                points,
                dims,
                centroids,
                labels,
                &mut partial,
                &mut ct.borrow_mut(),
            )
        })
    })
    .map_err(to_js)?;
    Ok(partial)
}
