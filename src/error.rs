//! The one error type of the crate. Kernels return it; the wasm boundary turns
//! it into a JS `RangeError`/`TypeError`/`Error` with a stable `code`.

use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// Two arrays that must have the same length do not.
    LengthMismatch {
        what: &'static str,
        expected: usize,
        actual: usize,
    },
    /// An array's length is not a multiple of what the kernel works in.
    NotMultiple {
        what: &'static str,
        len: usize,
        multiple: usize,
    },
    /// A numeric argument is outside the range the kernel accepts.
    OutOfRange { what: &'static str, detail: String },
    /// A scratch slot that does not exist, or a length larger than reserved.
    Scratch { detail: String },
}

impl Error {
    /// Stable machine-readable code, kept across the thread boundary.
    pub fn code(&self) -> &'static str {
        match self {
            Error::LengthMismatch { .. } => "ERR_SABRE_LENGTH_MISMATCH",
            Error::NotMultiple { .. } => "ERR_SABRE_BAD_LENGTH",
            Error::OutOfRange { .. } => "ERR_SABRE_OUT_OF_RANGE",
            Error::Scratch { .. } => "ERR_SABRE_INTERNAL",
        }
    }

    /// The JS error class this maps to.
    pub fn js_name(&self) -> &'static str {
        match self {
            Error::Scratch { .. } => "Error",
            _ => "RangeError",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::LengthMismatch {
                what,
                expected,
                actual,
            } => write!(f, "{what}: expected length {expected}, got {actual}"),
            Error::NotMultiple {
                what,
                len,
                multiple,
            } => write!(f, "{what}: length {len} is not a multiple of {multiple}"),
            Error::OutOfRange { what, detail } => write!(f, "{what}: {detail}"),
            Error::Scratch { detail } => write!(f, "scratch memory: {detail}"),
        }
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;
