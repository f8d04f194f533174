//! The raw pointer C ABI of the shared-memory build (issue 11, foundation).
//!
//! Compiled only for `wasm32-wasip1-threads` (stable Rust: its std is built
//! with atomics, and its modules import a *shared* `env.memory`). No
//! wasm-bindgen here: JS passes byte offsets into the shared memory as
//! pointers and element counts as lengths (js/shared-memory.js).
//!
//! Every kernel accepts `len == 0` with any pointer (no slice is made then).
//! Otherwise the pointer must be the start of `len` elements of the type,
//! naturally aligned, inside memory the caller allocated with `sabre_alloc`;
//! the JS side checks that before it calls. Disjoint ranges may be worked on
//! by several threads at once (each instance has its own stack and TLS).

use crate::kernels::{map, reduce};
use std::alloc::{alloc, dealloc, Layout};

/// `bytes` bytes aligned to `align` (a power of two) from std's allocator,
/// or 0 when the layout is invalid or memory is exhausted (never a trap).
/// `bytes == 0` is rounded up to `align`, so every allocation has its own
/// address.
#[no_mangle]
pub extern "C" fn sabre_alloc(bytes: usize, align: usize) -> *mut u8 {
    match Layout::from_size_align(bytes.max(align).max(1), align) {
        // SAFETY: the layout has a non-zero size.
        Ok(layout) => unsafe { alloc(layout) },
        Err(_) => std::ptr::null_mut(),
    }
}

/// Frees what `sabre_alloc(bytes, align)` returned, with the same arguments.
///
/// # Safety
/// `ptr` must come from `sabre_alloc(bytes, align)` and not be freed yet.
#[no_mangle]
pub unsafe extern "C" fn sabre_free(ptr: *mut u8, bytes: usize, align: usize) {
    if ptr.is_null() {
        return;
    }
    if let Ok(layout) = Layout::from_size_align(bytes.max(align).max(1), align) {
        dealloc(ptr, layout);
    }
}

/// Whether `[a, a + len)` and `[b, b + len)` share an element.
fn overlap<T>(a: *const T, b: *const T, len: usize) -> bool {
    let (a, b) = (a as usize, b as usize);
    let bytes = len * std::mem::size_of::<T>();
    a < b + bytes && b < a + bytes
}

macro_rules! float_abi {
    ($t:ty, $scale:ident, $axpy:ident, $sum:ident) => {
        /// `x[i] = a * x[i]` in place.
        ///
        /// # Safety
        /// See the module doc: `len` elements at `x`, allocated, aligned.
        #[no_mangle]
        pub unsafe extern "C" fn $scale(x: *mut $t, len: usize, a: $t) {
            if len > 0 {
                map::scale(std::slice::from_raw_parts_mut(x, len), a);
            }
        }

        /// `y[i] = a * x[i] + y[i]` in place. Returns 0, or -1 (nothing
        /// written) when `x` and `y` overlap without being the same array;
        /// `x == y` is allowed and computes what the copying path does.
        ///
        /// # Safety
        /// See the module doc, for both `y` and `x`.
        #[no_mangle]
        pub unsafe extern "C" fn $axpy(y: *mut $t, x: *const $t, len: usize, a: $t) -> i32 {
            if len == 0 {
                return 0;
            }
            if std::ptr::eq(x, y) {
                // One slice only (no aliasing & and &mut): y = a * y + y.
                for v in std::slice::from_raw_parts_mut(y, len) {
                    *v = a * *v + *v;
                }
                return 0;
            }
            if overlap(x, y, len) {
                return -1;
            }
            let ys = std::slice::from_raw_parts_mut(y, len);
            let xs = std::slice::from_raw_parts(x, len);
            match map::axpy(ys, a, xs) {
                Ok(()) => 0,
                Err(_) => -1,
            }
        }

        /// The compensated sum of `len` elements at `x`, rounded to f64
        /// (the whole array: a caller splitting it merges no partials yet).
        ///
        /// # Safety
        /// See the module doc.
        #[no_mangle]
        pub unsafe extern "C" fn $sum(x: *const $t, len: usize) -> f64 {
            if len == 0 {
                return 0.0;
            }
            reduce::sum(std::slice::from_raw_parts(x, len)).value()
        }
    };
}

float_abi!(f32, scale_f32, axpy_f32, sum_f32);
float_abi!(f64, scale_f64, axpy_f64, sum_f64);
