//! Float maps and reductions: scale, axpy, axpby, clamp, abs, sum, dot,
//! min, max, mean/variance, linear regression. One `export!` per kernel
//! and element type (see bindings/mod.rs).

use super::export;
use crate::kernels::{map, reduce};
use crate::scratch::view;
#[cfg(not(sabre_shared))]
use wasm_bindgen::prelude::*;

/// An in-place map over `x` with no other argument, exported for f32 and
/// f64 (`x` in slot `x`, the chunk's length first): one line per kernel.
macro_rules! float_map {
    ($f32:ident, $f64:ident => $kernel:path) => {
        export! {
            /// x in place (f32); see the kernel's doc in kernels/map.rs.
            $f32 = fn $f32(len: usize) [x] -> () {
                $kernel(view::<f32>(x, len)?);
                Ok(())
            }
        }
        export! {
            /// x in place (f64); see the kernel's doc in kernels/map.rs.
            $f64 = fn $f64(len: usize) [x] -> () {
                $kernel(view::<f64>(x, len)?);
                Ok(())
            }
        }
    };
}

float_map!(absF32, absF64 => map::abs);
float_map!(sqrtF32, sqrtF64 => map::sqrt);

macro_rules! float_kernels {
    ($t:ty, $scale:ident, $axpy:ident, $axpby:ident, $clamp:ident,
     $sum:ident, $dot:ident, $min:ident, $max:ident, $stats:ident, $linreg:ident) => {
        export! {
            /// x in place: `x[i] *= a`.
            $scale = fn $scale(len: usize, a: $t) [x] -> () {
                map::scale(view::<$t>(x, len)?, a);
                Ok(())
            }
        }
        export! {
            /// y in place: `y[i] += a * x[i]`.
            $axpy = fn $axpy(len: usize, a: $t) [y, x] -> () {
                map::axpy(view::<$t>(y, len)?, a, view::<$t>(x, len)?)
            }
        }
        export! {
            /// y in place: `y[i] = a * x[i] + b * y[i]`.
            $axpby = fn $axpby(len: usize, a: $t, b: $t) [y, x] -> () {
                map::axpby(view::<$t>(y, len)?, a, view::<$t>(x, len)?, b)
            }
        }
        export! {
            /// x in place, clamped to `[lo, hi]`.
            $clamp = fn $clamp(len: usize, lo: $t, hi: $t) [x] -> () {
                map::clamp(view::<$t>(x, len)?, lo, hi)
            }
        }
        export! {
            /// The chunk's unrounded compensated pair `{ sum, comp }` (see
            /// `reduce::Neumaier`).
            $sum = fn $sum(len: usize) [x] -> serde reduce::Neumaier {
                Ok(reduce::sum(view::<$t>(x, len)?))
            }
        }
        export! {
            /// The chunk's unrounded compensated pair `{ sum, comp }` of x . y.
            $dot = fn $dot(len: usize) [x, y] -> serde reduce::Neumaier {
                reduce::dot(view::<$t>(x, len)?, view::<$t>(y, len)?)
            }
        }
        export! {
            /// `+Infinity` when empty.
            $min = fn $min(len: usize) [x] -> f64 {
                Ok(reduce::min(view::<$t>(x, len)?))
            }
        }
        export! {
            /// `-Infinity` when empty.
            $max = fn $max(len: usize) [x] -> f64 {
                Ok(reduce::max(view::<$t>(x, len)?))
            }
        }
        export! {
            /// `{ n, mean, m2, sum, comp }`.
            $stats = fn $stats(len: usize) [x] -> serde reduce::Stats {
                Ok(reduce::Stats::of(view::<$t>(x, len)?))
            }
        }
        export! {
            /// `{ n, meanX, meanY, m2x, m2y, cxy }`.
            $linreg = fn $linreg(len: usize) [x, y] -> serde reduce::Moments {
                reduce::Moments::of(view::<$t>(x, len)?, view::<$t>(y, len)?)
            }
        }
    };
}

#[rustfmt::skip]
float_kernels!(f32, scaleF32, axpyF32, axpbyF32, clampF32, sumF32, dotF32, minF32, maxF32, meanVarianceF32, linregF32);
#[rustfmt::skip]
float_kernels!(f64, scaleF64, axpyF64, axpbyF64, clampF64, sumF64, dotF64, minF64, maxF64, meanVarianceF64, linregF64);
