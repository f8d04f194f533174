//! What `export!` needs in the shared-memory build (`--cfg sabre_shared`):
//! slots that are raw pointers into the shared memory, results written into
//! a per-instance result buffer, and the contract entries with the result's
//! field names.
//!
//! A shared export `name(result, slot pointers..., len, args...) -> i32`
//! returns `n >= 0`, the number of f64s of its result at `result` (a `()`
//! result: 0; an `f64`: 1; a struct: its fields in [`SharedReturn::FIELDS`]
//! order; a `Vec<f64>`: its elements), or `-n`: the call failed and
//! `result` holds `n` bytes of UTF-8, `js_name\0code\0message` (the same
//! error the wasm-bindgen build throws). Nothing here allocates but an
//! error's text.

use crate::error::{Error, Result};
use crate::kernels::reduce::{Moments, Neumaier, Stats};
use crate::scratch::Slot;
use std::marker::PhantomData;

/// The size of every instance's result buffer, in f64s (a histogram's 256
/// counts). JS allocates it per instance, 8-byte aligned.
pub const RESULT_F64S: usize = 256;

/// A slot of a shared export: the address JS passed.
pub struct SharedSlot<'a> {
    ptr: *mut u8,
    _call: PhantomData<&'a mut [u8]>,
}

impl SharedSlot<'_> {
    /// # Safety
    /// See the exports' doc (`shared_export!`): `ptr` holds what the body
    /// views of it, for the call, and no other slot overlaps it.
    pub unsafe fn new(ptr: *mut u8) -> Self {
        SharedSlot {
            ptr,
            _call: PhantomData,
        }
    }
}

impl<'a> Slot<'a> for SharedSlot<'a> {
    fn view<T: bytemuck::Pod>(self, len: usize) -> Result<&'a mut [T]> {
        if len == 0 {
            return Ok(&mut []);
        }
        if (self.ptr as usize) % std::mem::align_of::<T>() != 0 {
            return Err(Error::Scratch {
                detail: format!(
                    "address {} is not aligned for {len} elements",
                    self.ptr as usize
                ),
            });
        }
        // SAFETY: `SharedSlot::new`'s contract.
        Ok(unsafe { std::slice::from_raw_parts_mut(self.ptr.cast::<T>(), len) })
    }
}

/// A result of a shared export, as f64s in the result buffer.
pub trait SharedReturn {
    /// A struct's field names as JS sees them (its serde names, in order),
    /// `""` for anything else: written into the contract entry.
    const FIELDS: &'static str;
    /// Writes the result into `out`; returns how many f64s, or None when it
    /// does not fit.
    fn write(&self, out: &mut [f64; RESULT_F64S]) -> Option<usize>;
}

impl SharedReturn for () {
    const FIELDS: &'static str = "";
    fn write(&self, _: &mut [f64; RESULT_F64S]) -> Option<usize> {
        Some(0)
    }
}

impl SharedReturn for f64 {
    const FIELDS: &'static str = "";
    fn write(&self, out: &mut [f64; RESULT_F64S]) -> Option<usize> {
        out[0] = *self;
        Some(1)
    }
}

impl SharedReturn for Vec<f64> {
    const FIELDS: &'static str = "";
    fn write(&self, out: &mut [f64; RESULT_F64S]) -> Option<usize> {
        out.get_mut(..self.len())?.copy_from_slice(self);
        Some(self.len())
    }
}

/// A struct of f64 fields, in serde order (the names JS sees).
macro_rules! shared_struct {
    ($t:ty { $($field:ident),* } $names:literal) => {
        impl SharedReturn for $t {
            const FIELDS: &'static str = $names;
            fn write(&self, out: &mut [f64; RESULT_F64S]) -> Option<usize> {
                let fields = [$(self.$field),*];
                out[..fields.len()].copy_from_slice(&fields);
                Some(fields.len())
            }
        }
    };
}

shared_struct!(Neumaier { sum, comp } "sum, comp");
shared_struct!(Stats { n, mean, m2, sum, comp } "n, mean, m2, sum, comp");
shared_struct!(Moments { n, mean_x, mean_y, m2x, m2y, cxy } "n, meanX, meanY, m2x, m2y, cxy");

/// Writes an export's outcome to its result buffer (see the module doc).
///
/// # Safety
/// `result` is an instance's result buffer of [`RESULT_F64S`] f64s.
pub unsafe fn finish<R: SharedReturn>(result: *mut f64, r: Result<R>) -> i32 {
    // SAFETY: the caller's contract.
    let out = unsafe { &mut *result.cast::<[f64; RESULT_F64S]>() };
    let e = match r.map(|v| v.write(out)) {
        Ok(Some(n)) => return n as i32,
        Ok(None) => Error::Scratch {
            detail: format!("a result of more than {RESULT_F64S} f64s"),
        },
        Err(e) => e,
    };
    let text = format!("{}\0{}\0{}", e.js_name(), e.code(), e);
    let bytes = text.as_bytes();
    let n = bytes.len().min(RESULT_F64S * 8);
    // SAFETY: the buffer holds RESULT_F64S * 8 bytes.
    unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), result.cast::<u8>(), n) };
    -(n as i32)
}

/// The parts of a contract entry joined into a fixed-size array for a `static`.
pub(crate) const fn entry_bytes<const N: usize>(parts: &[&str]) -> [u8; N] {
    let mut out = [0u8; N];
    let (mut i, mut p) = (0, 0);
    while p < parts.len() {
        let bytes = parts[p].as_bytes();
        let mut j = 0;
        while j < bytes.len() {
            out[i] = bytes[j];
            i += 1;
            j += 1;
        }
        p += 1;
    }
    out
}

/// The sum of the parts' lengths.
pub(crate) const fn entry_len(parts: &[&str]) -> usize {
    let (mut n, mut p) = (0, 0);
    while p < parts.len() {
        n += parts[p].len();
        p += 1;
    }
    n
}

/// The shared export's line in its module's `sabre_contract` section: the
/// wasm-bindgen build's line, then ` {field, ...}` for a struct result.
macro_rules! contract_entry {
    ($js:ident ($($arg:ident: $ty:ty),*) [$($slot:ident),*] -> ($($ret:tt)+) $rty:ty) => {
        const _: () = {
            const FIELDS: &str = <$rty as $crate::bindings::shared::SharedReturn>::FIELDS;
            const PARTS: &[&str] = &[
                concat!(stringify!($js), "(", stringify!($($arg: $ty),*), ") [", stringify!($($slot),*), "] -> ", stringify!($($ret)+)),
                if FIELDS.is_empty() { "" } else { " {" },
                FIELDS,
                if FIELDS.is_empty() { "" } else { "}" },
                "\0",
            ];
            #[used]
            #[link_section = "sabre_contract"]
            static CONTRACT: [u8; $crate::bindings::shared::entry_len(PARTS)] = $crate::bindings::shared::entry_bytes(PARTS);
        };
    };
}

pub(crate) use contract_entry;
