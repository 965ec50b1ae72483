//! The workload of the checkpointing example guests, as in guests/c/ckpt_chain.h: the
//! same input gives byte-identical output in every language. Input
//! {"steps":8,"work":200000} (both optional); output
//! {"steps":S,"work":W,"result":"<16 hex digits>","trail":"<S digits>"}.

const std = @import("std");
const ww = @import("wasm_worker.zig");

pub const seed: u64 = 0xcbf29ce484222325;

fn mix(z0: u64) u64 {
    var z = z0;
    z = (z ^ (z >> 30)) *% 0xbf58476d1ce4e5b9;
    z = (z ^ (z >> 27)) *% 0x94d049bb133111eb;
    return z ^ (z >> 31);
}

/// One step's work: `work` rounds of the hash chain, mixing in the step number.
pub fn runStep(state0: u64, step: u32, work: u32) u64 {
    var state = state0;
    var k: u32 = 0;
    while (k < work) : (k += 1) {
        state = mix(state +% 0x9e3779b97f4a7c15 +% step);
    }
    return state;
}

/// The trail digit a step leaves behind.
pub fn digit(state: u64) u8 {
    return @as(u8, '0') + @as(u8, @intCast(state % 10));
}

pub const Input = struct { steps: u32, work: u32 };

fn count(input: std.json.Value, key: []const u8, fallback: u32, max: u32, message: []const u8) u32 {
    const v = input.object.get(key) orelse return fallback;
    switch (v) {
        .integer => |n| if (n >= 0 and n <= max) return @intCast(n),
        else => {},
    }
    ww.businessError("INVALID_INPUT", message, null);
}

/// Reads {"steps":S,"work":W}; the business error INVALID_INPUT if it is bad.
pub fn readInput(allocator: std.mem.Allocator) Input {
    const input = ww.readInputJson(allocator);
    if (input != .object) ww.businessError("INVALID_INPUT", "input must be a JSON object", null);
    return .{
        .steps = count(input, "steps", 8, 100000, "\"steps\" must be an integer from 0 to 100000"),
        .work = count(input, "work", 200000, 1000000000, "\"work\" must be an integer from 0 to 1000000000"),
    };
}

pub fn writeOutput(allocator: std.mem.Allocator, steps: u32, work: u32, state: u64, trail: []const u8) void {
    const out = std.fmt.allocPrint(allocator, "{{\"steps\":{d},\"work\":{d},\"result\":\"{x:0>16}\",\"trail\":\"{s}\"}}", .{ steps, work, state, trail }) catch ww.fail("out of memory", .{});
    ww.writeOutput(out);
}
