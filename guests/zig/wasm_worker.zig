//! wasm-worker guest helper for Zig (guests/ABI.md): reads the input, writes the output,
//! reports business errors (exit code 3), reads the task's metadata, and checkpoints.
//! Build for `-target wasm32-wasi` (see guests/build.sh).

const std = @import("std");

pub const exit_failure: u8 = 1;
pub const exit_business_error: u8 = 3;

/// All of stdin. Calls `fail` on a read error.
pub fn readInput(allocator: std.mem.Allocator) []u8 {
    return std.io.getStdIn().readToEndAlloc(allocator, std.math.maxInt(usize)) catch |e|
        fail("cannot read stdin: {s}", .{@errorName(e)});
}

/// stdin parsed as JSON (std.json.Value); the business error INVALID_INPUT if it is not
/// exactly one JSON value. The value lives in `allocator` (an arena is simplest).
pub fn readInputJson(allocator: std.mem.Allocator) std.json.Value {
    const input = readInput(allocator);
    const parsed = std.json.parseFromSliceLeaky(std.json.Value, allocator, input, .{}) catch |e| {
        var buf: [128]u8 = undefined;
        const message = std.fmt.bufPrint(&buf, "input is not valid JSON: {s}", .{@errorName(e)}) catch "input is not valid JSON";
        businessError("INVALID_INPUT", message, null);
    };
    return parsed;
}

/// Writes `json` (one JSON value, already serialised) to stdout. Call once.
pub fn writeOutput(json: []const u8) void {
    std.io.getStdOut().writer().writeAll(json) catch |e| fail("cannot write stdout: {s}", .{@errorName(e)});
}

/// Reports a business error (ABI.md, "Outcomes"): writes {"code","message","details"} to
/// stdout and exits with code 3. `details_json` is a serialised JSON value, or null.
/// Nothing else may have been written to stdout before.
pub fn businessError(code: []const u8, message: []const u8, details_json: ?[]const u8) noreturn {
    var buf = std.io.bufferedWriter(std.io.getStdOut().writer());
    const w = buf.writer();
    writeError(w, code, message, details_json) catch {};
    buf.flush() catch {};
    std.process.exit(exit_business_error);
}

fn writeError(w: anytype, code: []const u8, message: []const u8, details_json: ?[]const u8) !void {
    try w.writeAll("{\"code\":");
    try writeJsonString(w, code);
    try w.writeAll(",\"message\":");
    try writeJsonString(w, message);
    if (details_json) |d| {
        try w.writeAll(",\"details\":");
        try w.writeAll(d);
    }
    try w.writeAll("}");
}

/// A failure of the guest itself: the message on stderr, exit code 1 (retryable).
pub fn fail(comptime fmt: []const u8, args: anytype) noreturn {
    std.io.getStdErr().writer().print("guest failure: " ++ fmt ++ "\n", args) catch {};
    std.process.exit(exit_failure);
}

/// A line on stderr (the host keeps its tail with the outcome).
pub fn log(comptime fmt: []const u8, args: anytype) void {
    std.io.getStdErr().writer().print(fmt ++ "\n", args) catch {};
}

/// An environment variable the host set (only WASM_WORKER_*), or null.
pub fn env(allocator: std.mem.Allocator, name: []const u8) ?[]u8 {
    return std.process.getEnvVarOwned(allocator, name) catch null;
}

/// WASM_WORKER_TASK_ID, or null.
pub fn taskId(allocator: std.mem.Allocator) ?[]u8 {
    return env(allocator, "WASM_WORKER_TASK_ID");
}

/// WASM_WORKER_TASK_<key> (TOPIC, BUSINESS_KEY, WORKFLOW_ID, ...), or null.
pub fn taskMetadata(allocator: std.mem.Allocator, comptime key: []const u8) ?[]u8 {
    return env(allocator, "WASM_WORKER_TASK_" ++ key);
}

/// WASM_WORKER_TASK_ATTEMPT: 1 for the first attempt; 1 if unset or not a number.
pub fn taskAttempt(allocator: std.mem.Allocator) u32 {
    const v = env(allocator, "WASM_WORKER_TASK_ATTEMPT") orelse return 1;
    defer allocator.free(v);
    return std.fmt.parseInt(u32, v, 10) catch 1;
}

/// Writes `s` as a JSON string literal, escaped the way serde_json escapes.
pub fn writeJsonString(w: anytype, s: []const u8) !void {
    const hex = "0123456789abcdef";
    try w.writeByte('"');
    var start: usize = 0;
    for (s, 0..) |c, i| {
        const esc: ?[]const u8 = switch (c) {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            else => null,
        };
        if (esc == null and c >= 0x20) continue;
        try w.writeAll(s[start..i]);
        if (esc) |e| {
            try w.writeAll(e);
        } else {
            try w.writeAll("\\u00");
            try w.writeByte(hex[c >> 4]);
            try w.writeByte(hex[c & 15]);
        }
        start = i + 1;
    }
    try w.writeAll(s[start..]);
    try w.writeByte('"');
}

/// Integer cents as a JSON number in units, printed the way serde_json prints
/// cents / 100.0 (2410 -> 24.1, 2500 -> 25.0).
pub fn writeCents(w: anytype, cents: u64) !void {
    const frac = cents % 100;
    try w.print("{d}.", .{cents / 100});
    if (frac == 0) {
        try w.writeAll("0");
    } else if (frac % 10 == 0) {
        try w.print("{d}", .{frac / 10});
    } else {
        try w.print("{d:0>2}", .{frac});
    }
}

// --- checkpoints (ABI.md, "Checkpoints") --------------------------------------------
// Only a guest that calls one of these imports wasm_worker.checkpoint: Zig compiles
// only what is referenced.

extern "wasm_worker" fn checkpoint(buf: usize, len: u32) i32;

/// Where the host saves the call stack of an asyncify guest: static, 16-byte aligned.
var checkpoint_buffer: [65536]u8 align(16) = undefined;

pub const Checkpoint = enum { taken, resumed };

/// Mid-call checkpoint (an asyncify guest, built by build.sh with wasm-opt --asyncify):
/// `.taken` when the checkpoint was taken and the run goes on, `.resumed` in a run that
/// was just restored from it.
pub fn checkpointHere() Checkpoint {
    return if (checkpoint(@intFromPtr(&checkpoint_buffer), checkpoint_buffer.len) == 1) .resumed else .taken;
}

/// Step guest: asks the host to checkpoint when the current ww_step call returns.
pub fn checkpointAfterStep() void {
    _ = checkpoint(0, 0);
}
