//! A global allocator that counts allocations and live bytes, for the benches that print them
//! and simple-server's STATS line (included with `#[path]`; it is the binary's allocator, so only
//! binaries that report memory take it). Criterion's timing is unaffected in comparison since both sides run under it.

use core::alloc::{GlobalAlloc, Layout};
use core::sync::atomic::{AtomicUsize, Ordering};
use std::alloc::System;

/// Counts; forwards to the system allocator.
pub(crate) struct Counting;

/// Allocations (and reallocations) so far.
#[allow(dead_code, reason = "not every bench that counts prints allocations")]
pub(crate) static ALLOCS: AtomicUsize = AtomicUsize::new(0);
/// Bytes allocated and not freed.
pub(crate) static LIVE: AtomicUsize = AtomicUsize::new(0);

#[allow(unsafe_code)]
// SAFETY: forwards to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller's layout, passed on
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: a pointer this allocator returned, with its layout
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        LIVE.fetch_add(new, Ordering::Relaxed);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: as GlobalAlloc::realloc requires of its caller
        unsafe { System.realloc(ptr, layout, new) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;
