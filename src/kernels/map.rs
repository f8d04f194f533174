//! Elementwise maps in place on float arrays.
//!
//! Plain loops, written so LLVM vectorizes them: with `+simd128` each one
//! becomes f32x4/f64x2 code, and the same source is the portable path that
//! `cargo test` checks natively. Explicit `core::arch::wasm32` variants of
//! scale, axpy, axpby, clamp and abs were written and measured against these
//! loops in the +simd128 build (2^18 elements in wasm memory, and 2^14 in
//! cache): the ratios were 0.93-1.12, i.e. noise, because the autovectorized
//! loops are already the same f32x4/f64x2 code (`clamp`'s two selects
//! become `pmax`/`pmin`-style compare-and-select). So only these loops remain.
//!
//! Every kernel rounds exactly like the obvious JS expression on the element
//! type (`Math.fround` after each operation for f32), so results match a
//! plain-JS reference bit for bit.

use crate::error::{Error, Result};

/// The float element types the map kernels accept.
pub trait Float:
    Copy + PartialOrd + std::ops::Mul<Output = Self> + std::ops::Add<Output = Self>
{
    #[doc(hidden)]
    fn abs_(self) -> Self;
    #[doc(hidden)]
    fn sqrt_(self) -> Self;
}
impl Float for f32 {
    #[inline(always)]
    fn abs_(self) -> Self {
        self.abs()
    }
    #[inline(always)]
    fn sqrt_(self) -> Self {
        self.sqrt()
    }
}
impl Float for f64 {
    #[inline(always)]
    fn abs_(self) -> Self {
        self.abs()
    }
    #[inline(always)]
    fn sqrt_(self) -> Self {
        self.sqrt()
    }
}

/// `x[i] = a * x[i]`
pub fn scale<T: Float>(x: &mut [T], a: T) {
    for v in x.iter_mut() {
        *v = a * *v;
    }
}

fn same_len(what: &'static str, expected: usize, actual: usize) -> Result<()> {
    if expected == actual {
        Ok(())
    } else {
        Err(Error::LengthMismatch {
            what,
            expected,
            actual,
        })
    }
}

/// `y[i] = a * x[i] + y[i]` (BLAS axpy). Computed as a multiply then an add,
/// never fused, so the result is identical to the JS reference.
pub fn axpy<T: Float>(y: &mut [T], a: T, x: &[T]) -> Result<()> {
    same_len("x", y.len(), x.len())?;
    for (yv, &xv) in y.iter_mut().zip(x) {
        *yv = a * xv + *yv;
    }
    Ok(())
}

/// `y[i] = a * x[i] + b * y[i]` (BLAS axpby), computed as two multiplies
/// and an add, each rounded to the element type: `(a * x[i]) + (b * y[i])`.
///
/// Deliberately not fused, hence the BLAS name rather than "fma". Wasm has
/// no fused multiply-add instruction (relaxed SIMD's `f32x4.relaxed_madd` may
/// or may not fuse, depending on the engine), so `f64::mul_add` /
/// `f32::mul_add` compile to a call to compiler-builtins' software `fma`.
/// Measured in the +simd128 build on 65536 elements in wasm memory:
/// `y = a.mul_add(x, b * y)` took 1418 us (f64) and 256 us (f32), this loop
/// 26 us and 13 us: 54x and 20x slower. The unfused form is also exactly
/// what a plain JS loop computes, so results match JS bit for bit.
pub fn axpby<T: Float>(y: &mut [T], a: T, x: &[T], b: T) -> Result<()> {
    same_len("x", y.len(), x.len())?;
    for (yv, &xv) in y.iter_mut().zip(x) {
        *yv = a * xv + b * *yv;
    }
    Ok(())
}

/// `x[i] = x[i] < lo ? lo : x[i] > hi ? hi : x[i]`.
///
/// NaN elements stay NaN (both comparisons are false), and a zero keeps its
/// sign when it is inside the range (`clamp(-0, 0, 1)` is `-0`: `-0 < 0` is
/// false). `lo` and `hi` must not be NaN and `lo <= hi`, else `OutOfRange`
/// and nothing is written. Infinite bounds are allowed.
pub fn clamp<T: Float>(x: &mut [T], lo: T, hi: T) -> Result<()> {
    // `!(lo <= hi)` also catches a NaN bound.
    #[allow(clippy::neg_cmp_op_on_partial_ord)]
    if !(lo <= hi) {
        return Err(Error::OutOfRange {
            what: "lo",
            detail: "lo and hi must be numbers (not NaN) with lo <= hi".into(),
        });
    }
    for v in x.iter_mut() {
        let c = if *v < lo { lo } else { *v };
        *v = if c > hi { hi } else { c };
    }
    Ok(())
}

/// `x[i] = |x[i]|`: clears the sign bit, so `-0` becomes `0` and NaN stays
/// NaN (like `Math.abs`).
pub fn abs<T: Float>(x: &mut [T]) {
    for v in x.iter_mut() {
        *v = v.abs_();
    }
}

/// `x[i] = sqrt(x[i])`, correctly rounded (IEEE 754, like `Math.sqrt`, and
/// `Math.fround(Math.sqrt(x))` for f32): `-0` stays `-0`, negatives and NaN
/// become NaN.
pub fn sqrt<T: Float>(x: &mut [T]) {
    for v in x.iter_mut() {
        *v = v.sqrt_();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::testutil::{Rng, EDGE_SIZES};

    /// Random data with the special values sprinkled in.
    fn with_specials(mut v: Vec<f64>) -> Vec<f64> {
        let sp = [
            f64::NAN,
            0.0,
            -0.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1e-310,
        ];
        for (i, s) in sp.iter().enumerate() {
            if i * 7 < v.len() {
                v[i * 7] = *s;
            }
        }
        v
    }

    /// Bitwise equality, so NaN == NaN and -0 != 0.
    fn same_bits64(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()))
    }
    fn same_bits32(a: &[f32], b: &[f32]) -> bool {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()))
    }

    #[test]
    fn scale_matches_reference() {
        let mut rng = Rng::new(7);
        for &n in EDGE_SIZES {
            let orig = rng.f32s(n);
            let mut x = orig.clone();
            scale(&mut x, 1.25f32);
            for i in 0..n {
                assert_eq!(x[i], 1.25f32 * orig[i], "n={n} i={i}");
            }
            let orig = rng.f64s(n);
            let mut x = orig.clone();
            scale(&mut x, -3.5f64);
            assert!(x.iter().zip(&orig).all(|(a, b)| *a == -3.5 * b));
        }
    }

    #[test]
    fn axpy_matches_reference() {
        let mut rng = Rng::new(11);
        for &n in EDGE_SIZES {
            let x = rng.f32s(n);
            let y0 = rng.f32s(n);
            let mut y = y0.clone();
            axpy(&mut y, 0.5f32, &x).unwrap();
            for i in 0..n {
                assert_eq!(y[i], 0.5f32 * x[i] + y0[i], "n={n} i={i}");
            }
            let x = rng.f64s(n);
            let y0 = rng.f64s(n);
            let mut y = y0.clone();
            axpy(&mut y, 2.0f64, &x).unwrap();
            assert!((0..n).all(|i| y[i] == 2.0 * x[i] + y0[i]));
        }
    }

    #[test]
    fn axpy_rejects_mismatched_lengths_without_writing() {
        let mut y = vec![1.0f32; 4];
        let err = axpy(&mut y, 2.0, &[1.0; 3]).unwrap_err();
        assert_eq!(err.code(), "ERR_SABRE_LENGTH_MISMATCH");
        assert_eq!(y, vec![1.0; 4]);
    }

    #[test]
    fn axpby_matches_reference() {
        let mut rng = Rng::new(13);
        for &n in EDGE_SIZES {
            let x = with_specials(rng.f64s(n));
            let y0 = rng.f64s(n);
            let mut y = y0.clone();
            axpby(&mut y, 0.75, &x, -1.5).unwrap();
            let want: Vec<f64> = (0..n).map(|i| 0.75 * x[i] + -1.5 * y0[i]).collect();
            assert!(same_bits64(&y, &want), "f64 n={n}");

            let x: Vec<f32> = x.iter().map(|&v| v as f32).collect();
            let y0 = rng.f32s(n);
            let mut y = y0.clone();
            axpby(&mut y, 0.3f32, &x, 2.0f32).unwrap();
            // The JS reference: each operation rounded to f32.
            let want: Vec<f32> = (0..n)
                .map(|i| ((0.3f32 * x[i]) as f64 + (2.0f32 * y0[i]) as f64) as f32)
                .collect();
            assert!(same_bits32(&y, &want), "f32 n={n}");
        }
        let mut y = vec![1.0f64; 3];
        assert!(axpby(&mut y, 1.0, &[1.0; 2], 1.0).is_err());
        assert_eq!(y, vec![1.0; 3]);
    }

    #[test]
    fn clamp_matches_reference_including_nan_and_signed_zero() {
        let mut rng = Rng::new(17);
        let bounds = [
            (-10.0, 10.0),
            (0.0, 0.0),
            (0.0, 1.0),
            (-0.0, 0.0),
            (f64::NEG_INFINITY, 5.0),
            (-5.0, f64::INFINITY),
        ];
        for &n in EDGE_SIZES {
            for &(lo, hi) in &bounds {
                let orig = with_specials(rng.f64s(n));
                let mut x = orig.clone();
                clamp(&mut x, lo, hi).unwrap();
                let want: Vec<f64> = orig
                    .iter()
                    .map(|&v| {
                        if v < lo {
                            lo
                        } else if v > hi {
                            hi
                        } else {
                            v
                        }
                    })
                    .collect();
                assert!(same_bits64(&x, &want), "f64 n={n} [{lo}, {hi}]");

                let orig: Vec<f32> = orig.iter().map(|&v| v as f32).collect();
                let (lo, hi) = (lo as f32, hi as f32);
                let mut x = orig.clone();
                clamp(&mut x, lo, hi).unwrap();
                let want: Vec<f32> = orig
                    .iter()
                    .map(|&v| {
                        if v < lo {
                            lo
                        } else if v > hi {
                            hi
                        } else {
                            v
                        }
                    })
                    .collect();
                assert!(same_bits32(&x, &want), "f32 n={n}");
            }
        }
        let mut x = [f64::NAN, -0.0, 0.0, 3.0];
        clamp(&mut x, 0.0, 1.0).unwrap();
        assert!(x[0].is_nan());
        assert_eq!(x[1].to_bits(), (-0.0f64).to_bits());
        assert_eq!(&x[2..], &[0.0, 1.0]);
    }

    #[test]
    fn clamp_rejects_bad_bounds_without_writing() {
        let mut x = vec![5.0f32; 5];
        for (lo, hi) in [(2.0, 1.0), (f32::NAN, 1.0), (0.0, f32::NAN)] {
            assert_eq!(
                clamp(&mut x, lo, hi).unwrap_err().code(),
                "ERR_SABRE_OUT_OF_RANGE"
            );
        }
        assert_eq!(x, vec![5.0; 5]);
    }

    #[test]
    fn abs_matches_reference() {
        let mut rng = Rng::new(19);
        for &n in EDGE_SIZES {
            let orig = with_specials(rng.f64s(n));
            let mut x = orig.clone();
            abs(&mut x);
            let want: Vec<f64> = orig.iter().map(|v| v.abs()).collect();
            assert!(same_bits64(&x, &want), "n={n}");
            assert!(x.iter().all(|v| v.is_sign_positive()));
            let orig: Vec<f32> = orig.iter().map(|&v| v as f32).collect();
            let mut x = orig.clone();
            abs(&mut x);
            let want: Vec<f32> = orig.iter().map(|v| v.abs()).collect();
            assert!(same_bits32(&x, &want), "f32 n={n}");
        }
    }

    #[test]
    fn sqrt_matches_reference() {
        let mut rng = Rng::new(23);
        for &n in EDGE_SIZES {
            let orig = with_specials(rng.f64s(n));
            let mut x = orig.clone();
            sqrt(&mut x);
            let want: Vec<f64> = orig.iter().map(|v| v.sqrt()).collect();
            assert!(same_bits64(&x, &want), "f64 n={n}");
            // f32: the f64 root rounded once to f32 (exact: f64 has more than
            // twice f32's precision), which is what Math.fround(Math.sqrt(x)) does.
            let orig: Vec<f32> = orig.iter().map(|&v| v as f32).collect();
            let mut x = orig.clone();
            sqrt(&mut x);
            let want: Vec<f32> = orig.iter().map(|&v| (v as f64).sqrt() as f32).collect();
            assert!(same_bits32(&x, &want), "f32 n={n}");
        }
        let mut x = [-0.0f64, -1.0, 4.0];
        sqrt(&mut x);
        assert!(x[0] == 0.0 && x[0].is_sign_negative() && x[1].is_nan() && x[2] == 2.0);
    }
}
