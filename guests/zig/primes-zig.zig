//! primes-zig: CPU-heavy benchmark guest, the Zig twin of guests/c/primes.c.
//!
//!   input   {"n":1000000}
//!   output  {"n":1000000,"primes":78498}
//!
//! The same deliberately plain algorithm as the C, Rust and plain-Java versions, so the
//! benchmark compares runtimes rather than algorithms: a byte-per-number sieve of
//! Eratosthenes (outer loop while i*i <= n, inner loop marks j = i*i, i*i+i, ... as
//! composite), then one counting pass.
//!
//! Business errors: INVALID_INPUT (n missing, not an integer, or negative) and
//! N_TOO_LARGE (n > 1000000000, or the sieve does not fit in the memory the host allows).

const std = @import("std");
const ww = @import("wasm_worker.zig");

/// Same limit as primes.c: every index and i*i stay below 2^31 (u32 cannot overflow).
const max_n: i64 = 1000000000;

var arena = std.heap.ArenaAllocator.init(std.heap.page_allocator);
const allocator = arena.allocator();

fn countPrimes(n: u32) u32 {
    // The page allocator grows linear memory; a refused memory.grow is an error here,
    // which becomes N_TOO_LARGE as in the C guest (where calloc returns NULL).
    const composite = std.heap.page_allocator.alloc(u8, @as(usize, n) + 1) catch
        ww.businessError("N_TOO_LARGE", "not enough memory for a sieve of this size", null);
    @memset(composite, 0);

    var i: u32 = 2;
    while (i * i <= n) : (i += 1) {
        if (composite[i] == 0) {
            var j: u32 = i * i;
            while (j <= n) : (j += i) composite[j] = 1;
        }
    }
    var count: u32 = 0;
    var k: u32 = 2;
    while (k <= n) : (k += 1) {
        if (composite[k] == 0) count += 1;
    }
    return count;
}

pub fn main() void {
    const input = ww.readInputJson(allocator);
    if (input != .object) ww.businessError("INVALID_INPUT", "input must be a JSON object", null);
    // std.json gives an integer literal that fits an i64 as .integer; anything else
    // (a fraction, an exponent, a larger integer, not a number) is not an n.
    const n = switch (input.object.get("n") orelse .null) {
        .integer => |v| v,
        else => ww.businessError("INVALID_INPUT", "\"n\" must be a non-negative integer", null),
    };
    if (n < 0) ww.businessError("INVALID_INPUT", "\"n\" must be a non-negative integer", null);
    if (n > max_n) ww.businessError("N_TOO_LARGE", "\"n\" must be at most 1000000000", null);
    const count = countPrimes(@intCast(n));
    var buf: [64]u8 = undefined;
    ww.writeOutput(std.fmt.bufPrint(&buf, "{{\"n\":{d},\"primes\":{d}}}", .{ n, count }) catch unreachable);
}
