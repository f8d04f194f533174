//! Per-instance scratch buffers that chunks are copied into.
//!
//! The JS engine copies a chunk of the caller's (shared) typed array into one
//! of these slots, calls a kernel that works on the slot, and copies the result
//! back only if the chunk completed and the call was not aborted. Keeping the
//! slots alive across calls avoids a malloc/free per chunk, and because the
//! kernel only ever sees this private copy, a chunk of the caller's buffer is
//! either fully written or untouched: that is what makes retries and aborts
//! safe.
//!
//! Slots are `Vec<u64>` so every slot is 8-byte aligned and can be viewed as
//! any element type through `bytemuck` without `unsafe`.

use crate::error::{Error, Result};
use std::cell::RefCell;

/// The most arrays any kernel takes.
pub const SLOTS: usize = 3;

pub type Slots = [Vec<u64>; SLOTS];

thread_local! {
    static SCRATCH: RefCell<Slots> = RefCell::new(Default::default());
}

fn check_slot(slot: usize) -> Result<()> {
    if slot < SLOTS {
        Ok(())
    } else {
        Err(Error::Scratch {
            detail: format!("slot {slot} does not exist (there are {SLOTS})"),
        })
    }
}

/// Makes slot `slot` at least `bytes` long and returns its address, for the JS
/// side to copy data in. Growing may grow wasm memory, so JS re-creates its
/// views of `memory.buffer` after every call to this.
pub fn reserve(slot: usize, bytes: usize) -> Result<usize> {
    check_slot(slot)?;
    SCRATCH.with(|s| {
        let v = &mut s.borrow_mut()[slot];
        let words = bytes.div_ceil(8);
        if v.len() < words {
            // Round up so a run of slightly growing chunks does not realloc
            // every time.
            v.resize(words.next_multiple_of(8192), 0);
        }
        Ok(v.as_mut_ptr() as usize)
    })
}

/// Gives a kernel mutable access to all slots at once.
pub fn with_slots<R>(f: impl FnOnce(&mut Slots) -> Result<R>) -> Result<R> {
    SCRATCH.with(|s| f(&mut s.borrow_mut()))
}

/// What a kernel export's slot names stand for in its body: a scratch slot
/// here, or (the shared-memory build, src/bindings/shared.rs) a pointer into
/// the shared memory. Either way the body views it with [`view`].
pub trait Slot<'a> {
    /// The first `len` elements, viewed as `T`.
    fn view<T: bytemuck::Pod>(self, len: usize) -> Result<&'a mut [T]>;
}

impl<'a> Slot<'a> for &'a mut Vec<u64> {
    fn view<T: bytemuck::Pod>(self, len: usize) -> Result<&'a mut [T]> {
        let all: &mut [T] = bytemuck::cast_slice_mut(self.as_mut_slice());
        let cap = all.len();
        all.get_mut(..len).ok_or_else(|| Error::Scratch {
            detail: format!("{len} elements asked of a slot holding {cap}"),
        })
    }
}

/// The first `len` elements of a slot, viewed as `T`.
pub fn view<'a, T: bytemuck::Pod>(slot: impl Slot<'a>, len: usize) -> Result<&'a mut [T]> {
    slot.view(len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserve_grows_and_views_fit() {
        reserve(0, 40).unwrap();
        with_slots(|s| {
            let v: &mut [f32] = view(&mut s[0], 10)?;
            v.fill(1.5);
            assert!(view::<f64>(&mut s[0], 1 << 20).is_err());
            Ok(())
        })
        .unwrap();
        assert!(reserve(SLOTS, 8).is_err());
    }
}
