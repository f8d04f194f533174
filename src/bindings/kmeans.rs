//! k-means: the assignment pass of one iteration.

use super::export;
use crate::error::Error;
use crate::kernels::kmeans;
use crate::scratch::view;
use std::cell::RefCell;
use wasm_bindgen::prelude::*;

thread_local! {
    // The transposed centroids, kept across chunks of one instance.
    static CT: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

export! {
    /// `points`: `count x dims` (f32), `centroids`: `k x dims` (f32),
    /// `labels`: `count` labels (u32 or i32 bits; in/out). Returns the
    /// chunk's partial: per-cluster sums (`k x dims`), counts (`k`),
    /// inertia, number of labels changed.
    kmeansAssign = fn kmeans_assign(count: usize, dims: usize, k: usize) [points, centroids, labels] -> Vec<f64> {
        let too_large = || Error::OutOfRange {
            what: "points",
            detail: "too large".into(),
        };
        let plen = k.checked_mul(dims).and_then(|kd| kd.checked_add(k + 2)).ok_or_else(too_large)?;
        let mut partial = vec![0.0; plen];
        let points = view::<f32>(points, count.checked_mul(dims).ok_or_else(too_large)?)?;
        let centroids = view::<f32>(centroids, k * dims)?;
        let labels = view::<u32>(labels, count)?;
        CT.with(|ct| kmeans::assign(points, dims, centroids, labels, &mut partial, &mut ct.borrow_mut()))?;
        Ok(partial)
    }
}
