const std = @import("std");
const ww = @import("wasm_worker");

var arena = std.heap.ArenaAllocator.init(std.heap.page_allocator);

pub fn main() void {
    const allocator = arena.allocator();
    const input = ww.readInputJson(allocator);
    const name = switch (input) {
        .object => |o| switch (o.get("name") orelse .null) {
            .string => |s| s,
            else => "",
        },
        else => "",
    };
    if (name.len == 0) ww.businessError("NAME_MISSING", "name is required", null); // exit code 3
    var out = std.ArrayList(u8).init(allocator);
    const w = out.writer();
    w.writeAll("{\"greeting\":\"Hello, \",\"name\":") catch ww.fail("out of memory", .{});
    ww.writeJsonString(w, name) catch ww.fail("out of memory", .{});
    w.print(",\"attempt\":{d}}}", .{ww.taskAttempt(allocator)}) catch ww.fail("out of memory", .{});
    ww.writeOutput(out.items);
}
