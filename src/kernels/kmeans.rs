//! k-means (Lloyd's algorithm): the assignment pass of one iteration over a
//! chunk of points, returning the chunk's partial centroid sums.
//!
//! Distances are squared Euclidean in f32, summed over the dimensions in
//! order (`d = 0; for each dim { t = p - c; d = d + t * t }`, each step
//! rounded to f32), so they are the same bits whether a centroid is measured
//! alone or in a SIMD lane, and equal a plain JS loop with `Math.fround`.
//! A point goes to the centroid with the smallest distance, the lowest index
//! on ties; NaN distances never win (a point whose distances are all NaN
//! goes to centroid 0). Sums, counts and inertia are accumulated in f64 in
//! point order; the JS side adds chunk partials in chunk order, so a step
//! gives the same result on any number of threads.

use crate::error::{Error, Result};

/// Number of f64 values in a chunk's partial for `k` clusters of `dims`:
/// sums (`k * dims`), counts (`k`), inertia, changed labels.
pub fn partial_len(k: usize, dims: usize) -> usize {
    k * dims + k + 2
}

/// Assigns `points` (`count x dims`) to the nearest of `centroids`
/// (`k x dims`), updating `labels` (one per point; the previous labels are
/// compared to count changes) and writing the partial (see `partial_len`)
/// into `partial`. `ct` is scratch (the centroids transposed), grown as
/// needed.
pub fn assign(
    points: &[f32],
    dims: usize,
    centroids: &[f32],
    labels: &mut [u32],
    partial: &mut [f64],
    ct: &mut Vec<f32>,
) -> Result<()> {
    if dims == 0 {
        return Err(Error::OutOfRange {
            what: "dims",
            detail: "must be at least 1".into(),
        });
    }
    for (what, len) in [("points", points.len()), ("centroids", centroids.len())] {
        if len % dims != 0 {
            return Err(Error::NotMultiple {
                what,
                len,
                multiple: dims,
            });
        }
    }
    let count = points.len() / dims;
    let k = centroids.len() / dims;
    if k == 0 || k > u32::MAX as usize {
        return Err(Error::OutOfRange {
            what: "centroids",
            detail: format!("need 1 to 2^32 - 1 centroids, got {k}"),
        });
    }
    if labels.len() != count {
        return Err(Error::LengthMismatch {
            what: "labels",
            expected: count,
            actual: labels.len(),
        });
    }
    if partial.len() != partial_len(k, dims) {
        return Err(Error::LengthMismatch {
            what: "partial",
            expected: partial_len(k, dims),
            actual: partial.len(),
        });
    }
    partial.fill(0.0);
    // Centroids transposed, in groups of LANES: ct[(g * dims + d) * LANES + l]
    // is dimension d of centroid g * LANES + l (padding lanes hold 0 and are
    // never compared).
    let groups = k.div_ceil(LANES);
    ct.clear();
    ct.resize(groups * dims * LANES, 0.0);
    for c in 0..k {
        let (g, l) = (c / LANES, c % LANES);
        for d in 0..dims {
            ct[(g * dims + d) * LANES + l] = centroids[c * dims + d];
        }
    }
    let (sums, rest) = partial.split_at_mut(k * dims);
    let (counts, stats) = rest.split_at_mut(k);
    let (mut inertia, mut changed) = (0.0f64, 0.0f64);
    for (p, label) in points.chunks_exact(dims).zip(labels.iter_mut()) {
        let (best, best_d) = lanes::nearest(p, ct, k, dims);
        if *label as usize != best {
            changed += 1.0;
            *label = best as u32;
        }
        inertia += best_d as f64;
        counts[best] += 1.0;
        for (s, &v) in sums[best * dims..(best + 1) * dims].iter_mut().zip(p) {
            *s += v as f64;
        }
    }
    stats[0] = inertia;
    stats[1] = changed;
    Ok(())
}

/// Centroids measured at once.
const LANES: usize = 4;

/// The nearest centroid to `p` and its distance. Each lane keeps the best of
/// the centroids `l, l + 4, l + 8, ..` (strict `<`, so the lowest index on
/// ties; a NaN best is replaced by any non-NaN distance); the four lanes are
/// then merged with the same rules plus the lower index on equal distances.
/// That is exactly "the lowest index among the smallest non-NaN distances,
/// else 0". Padding lanes past `k` measure NaN, which never wins.
///
/// Portable version: plain lane arrays (checked natively by `cargo test`, and
/// in wasm under `--cfg sabre_no_simd` by scripts/wasi-test.js).
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128", not(sabre_no_simd))))]
mod lanes {
    use super::LANES;

    #[inline(always)]
    pub fn nearest(p: &[f32], ct: &[f32], k: usize, dims: usize) -> (usize, f32) {
        let mut bd = [f32::NAN; LANES];
        let mut bi = [0u32, 1, 2, 3];
        for (g, group) in ct.chunks_exact(dims * LANES).enumerate() {
            let mut acc = [0f32; LANES];
            for (&pd, cd) in p.iter().zip(group.chunks_exact(LANES)) {
                for l in 0..LANES {
                    let t = pd - cd[l];
                    acc[l] += t * t;
                }
            }
            for l in 0..LANES {
                let c = g * LANES + l;
                let d = if c < k { acc[l] } else { f32::NAN };
                if d < bd[l] || (bd[l].is_nan() && !d.is_nan()) {
                    bd[l] = d;
                    bi[l] = c as u32;
                }
            }
        }
        super::merge(bd, bi)
    }
}

/// wasm SIMD version: the same lanes in f32x4/i32x4 registers, the same
/// operations in the same order, so the same bits.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128", not(sabre_no_simd)))]
mod lanes {
    use super::LANES;
    use core::arch::wasm32::*;

    #[inline(always)]
    pub fn nearest(p: &[f32], ct: &[f32], k: usize, dims: usize) -> (usize, f32) {
        let mut bd = f32x4_splat(f32::NAN);
        let mut bi = u32x4(0, 1, 2, 3);
        let mut gi = bi;
        let kv = u32x4_splat(k as u32);
        let nan = f32x4_splat(f32::NAN);
        for group in ct.chunks_exact(dims * LANES) {
            let mut acc = f32x4_splat(0.0);
            for (&pd, cd) in p.iter().zip(group.chunks_exact(LANES)) {
                // SAFETY: `cd` is a bounds-checked slice of LANES (4) f32,
                // 16 bytes; v128.load has no alignment requirement.
                let c = unsafe { v128_load(cd.as_ptr() as *const v128) };
                let t = f32x4_sub(f32x4_splat(pd), c);
                acc = f32x4_add(acc, f32x4_mul(t, t));
            }
            let d = v128_bitselect(acc, nan, u32x4_lt(gi, kv));
            let take = v128_or(f32x4_lt(d, bd), v128_and(f32x4_ne(bd, bd), f32x4_eq(d, d)));
            bd = v128_bitselect(d, bd, take);
            bi = v128_bitselect(gi, bi, take);
            gi = u32x4_add(gi, u32x4_splat(LANES as u32));
        }
        let bd = [
            f32x4_extract_lane::<0>(bd),
            f32x4_extract_lane::<1>(bd),
            f32x4_extract_lane::<2>(bd),
            f32x4_extract_lane::<3>(bd),
        ];
        let bi = [
            u32x4_extract_lane::<0>(bi),
            u32x4_extract_lane::<1>(bi),
            u32x4_extract_lane::<2>(bi),
            u32x4_extract_lane::<3>(bi),
        ];
        super::merge(bd, bi)
    }
}

/// Merges the lanes' bests: smallest distance, then lowest index; NaN loses.
#[inline(always)]
fn merge(bd: [f32; LANES], bi: [u32; LANES]) -> (usize, f32) {
    let (mut d, mut i) = (bd[0], bi[0]);
    for l in 1..LANES {
        let better = bd[l] < d || (bd[l] == d && bi[l] < i) || (d.is_nan() && !bd[l].is_nan());
        if better {
            d = bd[l];
            i = bi[l];
        }
    }
    (i as usize, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::testutil::Rng;

    /// Readable reference: every point against every centroid.
    fn reference(points: &[f32], dims: usize, centroids: &[f32], labels: &mut [u32]) -> Vec<f64> {
        let k = centroids.len() / dims;
        let mut part = vec![0.0; partial_len(k, dims)];
        let (mut inertia, mut changed) = (0.0, 0.0);
        for (i, p) in points.chunks_exact(dims).enumerate() {
            let dist = |c: usize| {
                let mut d = 0f32;
                for j in 0..dims {
                    let t = p[j] - centroids[c * dims + j];
                    d += t * t;
                }
                d
            };
            let mut best = 0;
            for c in 1..k {
                let (dc, db) = (dist(c), dist(best));
                if dc < db || (db.is_nan() && !dc.is_nan()) {
                    best = c;
                }
            }
            if labels[i] != best as u32 {
                changed += 1.0;
                labels[i] = best as u32;
            }
            inertia += dist(best) as f64;
            part[k * dims + best] += 1.0;
            for j in 0..dims {
                part[best * dims + j] += p[j] as f64;
            }
        }
        part[k * dims + k] = inertia;
        part[k * dims + k + 1] = changed;
        part
    }

    #[test]
    fn matches_reference() {
        let mut rng = Rng::new(13);
        let mut ct = Vec::new();
        for &n in &[0usize, 1, 2, 5, 17, 300] {
            for &dims in &[1usize, 2, 3, 4, 5, 9] {
                for &k in &[1usize, 2, 3, 4, 5, 8, 13] {
                    let points = rng.f32s(n * dims);
                    let centroids = rng.f32s(k * dims);
                    let init: Vec<u32> = (0..n).map(|i| (i % 3) as u32).collect();
                    let mut want_labels = init.clone();
                    let want = reference(&points, dims, &centroids, &mut want_labels);
                    let mut labels = init.clone();
                    let mut part = vec![f64::NAN; partial_len(k, dims)];
                    assign(&points, dims, &centroids, &mut labels, &mut part, &mut ct).unwrap();
                    assert_eq!(labels, want_labels, "n={n} dims={dims} k={k}");
                    assert_eq!(part, want, "n={n} dims={dims} k={k}");
                }
            }
        }
    }

    #[test]
    fn ties_go_to_the_lowest_index_and_nan_never_wins() {
        let mut ct = Vec::new();
        let points = [0.0f32, 0.0, 5.0, 5.0, f32::NAN, 1.0];
        let centroids = [f32::NAN, 0.0, 1.0, 0.0, -1.0, 0.0, 5.0, 5.0, 5.0, 5.0];
        let mut labels = [9u32; 3];
        let mut part = vec![0.0; partial_len(5, 2)];
        assign(&points, 2, &centroids, &mut labels, &mut part, &mut ct).unwrap();
        // (0,0): 1 and 2 tie at distance 1, so 1; (5,5): 3 and 4 tie at 0,
        // so 3; (NaN,1): every distance is NaN, so 0.
        assert_eq!(labels, [1, 3, 0]);
        assert_eq!(part[10..15], [1.0, 1.0, 0.0, 1.0, 0.0]);
        assert!(part[15].is_nan());
        assert_eq!(part[16], 3.0);
    }

    #[test]
    fn rejects_bad_shapes() {
        let mut ct = Vec::new();
        let mut part = vec![0.0; partial_len(2, 2)];
        let mut labels = [0u32; 2];
        assert!(assign(&[0.0; 4], 2, &[0.0; 4], &mut labels, &mut part, &mut ct).is_ok());
        assert!(assign(&[0.0; 4], 0, &[0.0; 4], &mut labels, &mut part, &mut ct).is_err());
        assert!(assign(&[0.0; 5], 2, &[0.0; 4], &mut labels, &mut part, &mut ct).is_err());
        assert!(assign(&[0.0; 4], 2, &[0.0; 3], &mut labels, &mut part, &mut ct).is_err());
        assert!(assign(&[0.0; 4], 2, &[], &mut labels, &mut part, &mut ct).is_err());
        assert!(assign(
            &[0.0; 4],
            2,
            &[0.0; 4],
            &mut labels[..1],
            &mut part,
            &mut ct
        )
        .is_err());
        assert!(assign(
            &[0.0; 4],
            2,
            &[0.0; 4],
            &mut labels,
            &mut part[..3],
            &mut ct
        )
        .is_err());
    }
}
