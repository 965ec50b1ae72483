//! Checkpointing (cargo feature `checkpoint`; see `guests/ABI.md`).
//!
//! The host function is `wasm_worker.checkpoint(buf: i32, len: i32) -> i32`, used in one
//! of two ways:
//!
//! 1. **Mid-call**, in a normal command (`fn main`): call [`checkpoint`] anywhere, as deep
//!    in the call stack as you like. The host saves the whole call stack with binaryen's
//!    asyncify and later resumes the run right after the call, possibly in another
//!    process. The module must be post-processed after `cargo build`:
//!
//!    ```sh
//!    wasm-opt in.wasm --asyncify --pass-arg=asyncify-imports@wasm_worker.checkpoint -O2 -o out.wasm
//!    ```
//!
//!    A module that imports `wasm_worker.checkpoint` without the `asyncify_*` exports is
//!    refused at load time.
//!
//! 2. **Between steps**, in a step guest (a `cdylib` without `main` that exports
//!    `#[no_mangle] pub extern "C" fn ww_step() -> i32`): call [`checkpoint_after_step`]
//!    during a step to have the host checkpoint once that step returns. No asyncify.
//!
//! Off the wasm32 target (native unit tests) there is no host: [`checkpoint`] returns
//! [`Checkpoint::Taken`] and does nothing else.

use std::cell::UnsafeCell;

/// Size of the buffer that holds the saved call stack (asyncify data) of a mid-call
/// checkpoint: the live locals of every function on the stack at the checkpoint. 64 KiB
/// is plenty unless a guest checkpoints inside deep recursion.
pub const CHECKPOINT_BUFFER_SIZE: usize = 64 * 1024;

/// What [`checkpoint`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checkpoint {
    /// The checkpoint was taken; this run goes on (host value 0).
    Taken,
    /// This run was just restored from this checkpoint (host value 1).
    Resumed,
}

#[cfg(target_arch = "wasm32")]
mod host {
    #[link(wasm_import_module = "wasm_worker")]
    extern "C" {
        #[link_name = "checkpoint"]
        pub fn checkpoint(buf: *mut u8, len: i32) -> i32;
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod host {
    pub unsafe fn checkpoint(_buf: *mut u8, _len: i32) -> i32 {
        0
    }
}

/// The asyncify data buffer: a static (it must not live on the stack it describes),
/// zero-initialised so it costs no bytes in the module, 16-byte aligned. The host
/// writes the 8-byte asyncify header at its start.
#[repr(C, align(16))]
struct AsyncifyBuffer(UnsafeCell<[u8; CHECKPOINT_BUFFER_SIZE]>);

// Only the host touches the contents, and wasm32-wasi guests are single-threaded.
unsafe impl Sync for AsyncifyBuffer {}

static ASYNCIFY_BUFFER: AsyncifyBuffer = AsyncifyBuffer(UnsafeCell::new([0; CHECKPOINT_BUFFER_SIZE]));

/// Mid-call checkpoint (asyncify guests only, see the module docs). Returns
/// [`Checkpoint::Taken`] in the run that took it and [`Checkpoint::Resumed`] when the
/// run was restored from it. Locals, the heap and the stack all carry over; what lives
/// outside the instance does not: stdin has already been consumed, and output written
/// before the checkpoint is the host's to keep.
pub fn checkpoint() -> Checkpoint {
    let buf = ASYNCIFY_BUFFER.0.get() as *mut u8;
    match unsafe { host::checkpoint(buf, CHECKPOINT_BUFFER_SIZE as i32) } {
        1 => Checkpoint::Resumed,
        _ => Checkpoint::Taken,
    }
}

/// Step guests: asks the host to checkpoint after the current `ww_step` call returns.
/// All state must then live in statics and the heap (which it must anyway, since the
/// wasm stack is empty between steps).
pub fn checkpoint_after_step() {
    unsafe {
        host::checkpoint(std::ptr::null_mut(), 0);
    }
}
