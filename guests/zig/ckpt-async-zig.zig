//! ckpt-async-zig: guests/c/ckpt-async-c.c in Zig: a command that checkpoints in the
//! middle of a call (asyncify; build.sh runs wasm-opt --asyncify on it). Same input, same
//! output, and the same checks: the state and the step counter are wasm locals three
//! calls below main, the trail is on the heap, and a canary on the shadow stack (global
//! 0's frames) must survive every checkpoint.

const std = @import("std");
const ww = @import("wasm_worker.zig");
const chain = @import("ckpt_chain.zig");

const allocator = std.heap.page_allocator;

/// Uses 4 KiB of shadow stack right after each checkpoint, as real work would: with a
/// wrongly restored stack pointer it would overwrite the callers' frames.
noinline fn useStack(step: u32) void {
    var scratch: [4096]u8 = undefined;
    for (&scratch, 0..) |*b, k| b.* = @truncate(step +% k);
    std.mem.doNotOptimizeAway(&scratch);
}

noinline fn checkpointAfter(step: u32) void {
    const resumed = ww.checkpointHere() == .resumed;
    useStack(step);
    if (resumed) ww.log("resumed from checkpoint {d}", .{step});
}

noinline fn runSteps(steps: u32, work: u32, trail: []u8) u64 {
    var state = chain.seed;
    var i: u32 = 1;
    while (i <= steps) : (i += 1) {
        ww.log("step {d}", .{i});
        state = chain.runStep(state, i, work);
        trail[i - 1] = chain.digit(state);
        checkpointAfter(i);
    }
    return state;
}

noinline fn compute(input: chain.Input) void {
    var canary: [48]u8 = undefined;
    var check: [48]u8 = undefined;
    const a = std.fmt.bufPrint(&canary, "canary {d}/{d}", .{ input.steps, input.work }) catch unreachable;
    std.mem.doNotOptimizeAway(&canary);
    const trail = allocator.alloc(u8, input.steps) catch ww.fail("out of memory for the trail", .{});
    const state = runSteps(input.steps, input.work, trail);
    const b = std.fmt.bufPrint(&check, "canary {d}/{d}", .{ input.steps, input.work }) catch unreachable;
    if (!std.mem.eql(u8, a, b)) ww.fail("the shadow stack did not survive a checkpoint (was the stack pointer restored?)", .{});
    chain.writeOutput(allocator, input.steps, input.work, state, trail);
}

pub fn main() void {
    compute(chain.readInput(allocator));
}
