//! Reductions: each chunk returns a partial that the JS side merges in chunk
//! order, so a result never depends on how many threads ran it.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// Neumaier's compensated sum (Kahan-Babuska). Chosen over plain or pairwise
/// summation because its error bound does not grow with `n`: the sum of a
/// million values is as exact as the sum of ten, and the JS side can merge
/// chunk partials with the same step. Returns `(sum, compensation)`; the
/// rounded result is `sum + compensation`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Neumaier {
    pub sum: f64,
    pub comp: f64,
}

impl Neumaier {
    #[inline(always)]
    pub fn add(&mut self, v: f64) {
        let t = self.sum + v;
        if self.sum.abs() >= v.abs() {
            self.comp += (self.sum - t) + v;
        } else {
            self.comp += (v - t) + self.sum;
        }
        self.sum = t;
    }
    pub fn value(&self) -> f64 {
        self.sum + self.comp
    }
}

/// Compensated sum of an f64 or f32 slice (f32 is widened to f64).
pub fn sum<T: Copy + Into<f64>>(x: &[T]) -> f64 {
    let mut acc = Neumaier::default();
    for &v in x {
        acc.add(v.into());
    }
    acc.value()
}

/// The sufficient statistics of a simple linear regression over one chunk:
/// count, means and centred second moments. Chunks merge with Chan et al.'s
/// pairwise update, which is stable where the textbook `Σxy - n x̄ ȳ` form
/// cancels catastrophically.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Moments {
    pub n: f64,
    pub mean_x: f64,
    pub mean_y: f64,
    /// Σ (x - x̄)²
    pub m2x: f64,
    /// Σ (y - ȳ)²
    pub m2y: f64,
    /// Σ (x - x̄)(y - ȳ)
    pub cxy: f64,
}

impl Moments {
    /// Two passes over the chunk (means, then deviations): the chunk is in
    /// cache, and no division sits in the loop, unlike Welford's update.
    pub fn of<T: Copy + Into<f64>>(x: &[T], y: &[T]) -> Result<Moments> {
        if x.len() != y.len() {
            return Err(Error::LengthMismatch {
                what: "y",
                expected: x.len(),
                actual: y.len(),
            });
        }
        if x.is_empty() {
            return Ok(Moments::default());
        }
        let n = x.len() as f64;
        let mean_x = sum(x) / n;
        let mean_y = sum(y) / n;
        let (mut m2x, mut m2y, mut cxy) = (0.0, 0.0, 0.0);
        for (&xv, &yv) in x.iter().zip(y) {
            let dx = xv.into() - mean_x;
            let dy = yv.into() - mean_y;
            m2x += dx * dx;
            m2y += dy * dy;
            cxy += dx * dy;
        }
        Ok(Moments {
            n,
            mean_x,
            mean_y,
            m2x,
            m2y,
            cxy,
        })
    }

    /// Chan, Golub & LeVeque's merge of two partials.
    pub fn merge(&self, o: &Moments) -> Moments {
        if self.n == 0.0 {
            return *o;
        }
        if o.n == 0.0 {
            return *self;
        }
        let n = self.n + o.n;
        let dx = o.mean_x - self.mean_x;
        let dy = o.mean_y - self.mean_y;
        let f = self.n * o.n / n;
        Moments {
            n,
            mean_x: self.mean_x + dx * o.n / n,
            mean_y: self.mean_y + dy * o.n / n,
            m2x: self.m2x + o.m2x + dx * dx * f,
            m2y: self.m2y + o.m2y + dy * dy * f,
            cxy: self.cxy + o.cxy + dx * dy * f,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::testutil::{Rng, EDGE_SIZES};

    /// Exact reference: sum of f64 values via i128 fixed point at 2^-60 for
    /// inputs of magnitude < 2^10 that are multiples of 2^-40.
    fn exact_sum(x: &[f64]) -> f64 {
        let s: i128 = x.iter().map(|v| (v * (1u64 << 40) as f64) as i128).sum();
        s as f64 / (1u64 << 40) as f64
    }

    #[test]
    fn sum_is_correctly_rounded_on_representable_data() {
        let mut rng = Rng::new(17);
        for &n in EDGE_SIZES {
            let x: Vec<f64> = rng
                .f64s(n)
                .iter()
                .map(|v| (v * (1u64 << 30) as f64).round() / (1u64 << 30) as f64)
                .collect();
            let got = sum(&x);
            let want = exact_sum(&x);
            assert!(
                (got - want).abs() <= want.abs() * 2.0 * f64::EPSILON,
                "n={n}"
            );
        }
    }

    #[test]
    fn sum_beats_naive_on_cancellation() {
        // 1e16 + many 1.0 - 1e16: naive summation loses every 1.0.
        let mut x = vec![1e16];
        x.extend(std::iter::repeat_n(1.0, 1000));
        x.push(-1e16);
        assert_eq!(sum(&x), 1000.0);
        let f: Vec<f32> = vec![0.1; 10];
        assert!((sum(&f) - 10.0 * 0.1f32 as f64).abs() < 1e-12);
    }

    /// Textbook closed form for slope/intercept/r² computed with plain sums.
    fn closed_form(x: &[f64], y: &[f64]) -> (f64, f64, f64) {
        let n = x.len() as f64;
        let (sx, sy): (f64, f64) = (x.iter().sum(), y.iter().sum());
        let sxx: f64 = x.iter().map(|v| v * v).sum();
        let syy: f64 = y.iter().map(|v| v * v).sum();
        let sxy: f64 = x.iter().zip(y).map(|(a, b)| a * b).sum();
        let slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
        let intercept = (sy - slope * sx) / n;
        let r = (n * sxy - sx * sy) / ((n * sxx - sx * sx).sqrt() * (n * syy - sy * sy).sqrt());
        (slope, intercept, r * r)
    }

    #[test]
    fn moments_merge_matches_one_pass_and_closed_form() {
        let mut rng = Rng::new(23);
        for &n in EDGE_SIZES.iter().filter(|&&n| n >= 2) {
            let x = rng.f64s(n);
            let y: Vec<f64> = x.iter().map(|v| 3.0 * v - 7.0 + rng.f64() * 5.0).collect();
            let whole = Moments::of(&x, &y).unwrap();
            let cut = n / 3;
            let merged = Moments::of(&x[..cut], &y[..cut])
                .unwrap()
                .merge(&Moments::of(&x[cut..], &y[cut..]).unwrap());
            let slope = merged.cxy / merged.m2x;
            let intercept = merged.mean_y - slope * merged.mean_x;
            let r2 = merged.cxy * merged.cxy / (merged.m2x * merged.m2y);
            let (s, i, r) = closed_form(&x, &y);
            let tol = 1e-9;
            assert!((slope - s).abs() <= tol * s.abs().max(1.0), "n={n}");
            assert!((intercept - i).abs() <= tol * i.abs().max(1.0), "n={n}");
            assert!((r2 - r).abs() <= tol, "n={n}");
            assert!((whole.cxy - merged.cxy).abs() <= 1e-9 * whole.cxy.abs().max(1.0));
            assert_eq!(whole.n, merged.n);
        }
    }

    #[test]
    fn moments_reject_mismatched_lengths() {
        assert!(Moments::of(&[1.0f64, 2.0], &[1.0]).is_err());
        assert_eq!(Moments::of::<f32>(&[], &[]).unwrap(), Moments::default());
    }
}
