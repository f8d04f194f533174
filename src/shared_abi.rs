//! The allocator of the shared-memory build: what js/shared-memory.js
//! allocates sabre.shared's arrays, the worker contexts and the scratch
//! regions with. The kernels' own exports come from the `export!` lines of
//! src/bindings under `--cfg sabre_shared` (src/bindings/shared.rs).
//!
//! Compiled only for `wasm32-wasip1-threads` (stable Rust: its std is built
//! with atomics, and its modules import a *shared* `env.memory`). No
//! wasm-bindgen here: JS passes byte offsets into the shared memory as
//! pointers and byte counts as sizes.

use std::alloc::{alloc, alloc_zeroed, dealloc, Layout};

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

/// [`sabre_alloc`], zeroed: the bytes of a new sabre.shared array. Memory
/// never handed out before comes from `memory.grow`, zero already; reused
/// bytes are cleared by the allocator's memset, one `memory.fill`. (JS's
/// `TypedArray#fill(0)` over a SharedArrayBuffer stores byte by byte: 80 MB
/// took ~25 ms that way against ~1 ms here.)
#[no_mangle]
pub extern "C" fn sabre_alloc_zeroed(bytes: usize, align: usize) -> *mut u8 {
    match Layout::from_size_align(bytes.max(align).max(1), align) {
        // SAFETY: the layout has a non-zero size.
        Ok(layout) => unsafe { alloc_zeroed(layout) },
        Err(_) => std::ptr::null_mut(),
    }
}

/// Copies `bytes` bytes from `src` to `dst` in the shared memory (the
/// ranges may overlap): one `memory.copy`, ~1.6-2× faster here than
/// `TypedArray#set` between views of a SharedArrayBuffer, which V8 copies
/// with relaxed atomic stores. The zero-copy path's undo copies use it
/// (js/zero-copy.js). Allocates nothing and uses no stack: a pool worker
/// may call it.
///
/// # Safety
/// Both ranges lie within the memory, and nothing else writes `dst` meanwhile.
#[no_mangle]
pub unsafe extern "C" fn sabre_copy(dst: *mut u8, src: *const u8, bytes: usize) {
    // SAFETY: the caller's contract; `copy` allows overlap.
    unsafe { std::ptr::copy(src, dst, bytes) }
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
