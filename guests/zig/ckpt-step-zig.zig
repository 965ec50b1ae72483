//! ckpt-step-zig: the step guest of guests/c/ckpt-step-c.c in Zig (same input, same
//! output). Built with -mexec-model=reactor: the module exports _initialize (which runs
//! main, empty here), ww_step and memory, and no _start. All state lives in globals and
//! the heap, so the host can snapshot exactly between calls.

const std = @import("std");
const ww = @import("wasm_worker.zig");
const chain = @import("ckpt_chain.zig");

const more: i32 = 0;
const done: i32 = 1;

const Run = struct {
    input: chain.Input,
    next: u32 = 1, // the step the next call runs, 1-based
    state: u64 = chain.seed,
    trail: []u8, // heap: one digit per finished step
};

var run: ?Run = null;
var finished = false;
const allocator = std.heap.page_allocator;

pub fn main() void {}

export fn ww_step() i32 {
    if (finished) return done;
    if (run == null) {
        const input = chain.readInput(allocator);
        const trail = allocator.alloc(u8, input.steps) catch ww.fail("out of memory for the trail", .{});
        run = .{ .input = input, .trail = trail };
    }
    const r = &run.?;
    if (r.next <= r.input.steps) {
        const i = r.next;
        ww.log("step {d}", .{i});
        r.state = chain.runStep(r.state, i, r.input.work);
        r.trail[i - 1] = chain.digit(r.state);
        r.next = i + 1;
        ww.checkpointAfterStep();
        return more;
    }
    chain.writeOutput(allocator, r.input.steps, r.input.work, r.state, r.trail);
    finished = true;
    return done;
}
