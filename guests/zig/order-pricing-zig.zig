//! order-pricing-zig: guests/rust/order-pricing in Zig, with the same validation,
//! arithmetic and output, byte for byte (see the Rust guest's main.rs for the input and
//! output).

const std = @import("std");
const ww = @import("wasm_worker.zig");
const Value = std.json.Value;

const max_lines = 1000;
const max_quantity: u64 = 1000000;
const max_unit_price_cents: u64 = 100000000; // 1,000,000.00 EUR
/// Keeps every amount far below 2^53 cents (exact as a double, no overflow in percentOf).
const max_subtotal_cents: u64 = 10000000000000;

const Vat = struct { country: []const u8, percent: u64 };
const vat_percent = [_]Vat{
    .{ .country = "AT", .percent = 20 }, .{ .country = "BE", .percent = 21 },
    .{ .country = "DE", .percent = 19 }, .{ .country = "ES", .percent = 21 },
    .{ .country = "FR", .percent = 20 }, .{ .country = "IT", .percent = 22 },
    .{ .country = "LU", .percent = 17 }, .{ .country = "NL", .percent = 21 },
};
const default_vat_percent: u64 = 20;

var arena = std.heap.ArenaAllocator.init(std.heap.page_allocator);
const allocator = arena.allocator();

fn print(comptime fmt: []const u8, args: anytype) []u8 {
    return std.fmt.allocPrint(allocator, fmt, args) catch ww.fail("out of memory", .{});
}

/// `percent`% of `cents`, rounded half up.
fn percentOf(cents: u64, percent: u64) u64 {
    return (cents * percent + 50) / 100;
}

/// Rust's {:?} of a string, which the Rust guest's messages use: quoted, \ and " escaped.
fn quoted(s: []const u8) []u8 {
    var out = std.ArrayList(u8).init(allocator);
    out.append('"') catch ww.fail("out of memory", .{});
    for (s) |c| {
        if (c == '"' or c == '\\') out.append('\\') catch ww.fail("out of memory", .{});
        out.append(c) catch ww.fail("out of memory", .{});
    }
    out.append('"') catch ww.fail("out of memory", .{});
    return out.items;
}

fn jsonObject1(key: []const u8, value: []const u8) []u8 {
    var out = std.ArrayList(u8).init(allocator);
    const w = out.writer();
    w.writeAll("{\"") catch unreachable;
    w.writeAll(key) catch unreachable;
    w.writeAll("\":") catch unreachable;
    ww.writeJsonString(w, value) catch ww.fail("out of memory", .{});
    w.writeAll("}") catch ww.fail("out of memory", .{});
    return out.items;
}

fn invalid(field: []const u8, message: []const u8) noreturn {
    ww.businessError("INVALID_ORDER", message, jsonObject1("field", field));
}

fn member(v: Value, key: []const u8) Value {
    return switch (v) {
        .object => |o| o.get(key) orelse .null,
        else => .null,
    };
}

/// A non-empty string member, or INVALID_ORDER naming `path`.
fn requiredStr(v: Value, path: []const u8) []const u8 {
    switch (v) {
        .string => |s| if (s.len > 0) return s,
        else => {},
    }
    invalid(path, print("{s} must be a non-empty string", .{path}));
}

/// serde_json's as_f64: any JSON number.
fn asF64(v: Value) ?f64 {
    return switch (v) {
        .integer => |i| @floatFromInt(i),
        .float => |f| f,
        .number_string => |s| std.fmt.parseFloat(f64, s) catch null,
        else => null,
    };
}

/// serde_json's as_u64: a number written as a non-negative integer.
fn asU64(v: Value) ?u64 {
    return switch (v) {
        .integer => |i| if (i >= 0) @intCast(i) else null,
        .number_string => |s| std.fmt.parseInt(u64, s, 10) catch null,
        else => null,
    };
}

/// A price in EUR as integer cents: finite, >= 0, at most two decimals.
fn priceCents(v: Value, path: []const u8) u64 {
    const eur = asF64(v) orelse invalid(path, print("{s} must be a number", .{path}));
    if (!(eur >= 0.0 and eur <= @as(f64, @floatFromInt(max_unit_price_cents / 100)))) {
        invalid(path, print("{s} must be between 0 and 1000000", .{path}));
    }
    const cents = @round(eur * 100.0);
    // Tolerance for binary floating point: 0.29 * 100 is 28.999999999999996.
    if (@fabs(eur * 100.0 - cents) > 1e-6) {
        invalid(path, print("{s} must not have more than two decimals", .{path}));
    }
    return @intFromFloat(cents);
}

fn tierPercent(tier: []const u8) ?u64 {
    if (std.mem.eql(u8, tier, "gold")) return 10;
    if (std.mem.eql(u8, tier, "silver")) return 5;
    if (std.mem.eql(u8, tier, "standard")) return 0;
    return null;
}

pub fn main() void {
    const order = ww.readInputJson(allocator);
    if (order != .object) ww.businessError("INVALID_INPUT", "input must be a JSON object", null);
    const order_id = requiredStr(member(order, "orderId"), "orderId");

    const customer = member(order, "customer");
    if (customer != .object) invalid("customer", "customer must be an object");
    const tier = requiredStr(member(customer, "tier"), "customer.tier");
    const tier_percent = tierPercent(tier) orelse
        invalid("customer.tier", print("unknown customer.tier {s} (expected gold, silver or standard)", .{quoted(tier)}));
    const country_in = requiredStr(member(customer, "country"), "customer.country");
    if (country_in.len != 2 or !std.ascii.isAlphabetic(country_in[0]) or !std.ascii.isAlphabetic(country_in[1])) {
        invalid("customer.country", "customer.country must be a two-letter country code");
    }
    const country = [2]u8{ std.ascii.toUpper(country_in[0]), std.ascii.toUpper(country_in[1]) };

    const lines = switch (member(order, "lines")) {
        .array => |a| a.items,
        else => invalid("lines", "lines must be an array"),
    };
    if (lines.len == 0 or lines.len > max_lines) invalid("lines", "lines must have between 1 and 1000 entries");
    var subtotal: u64 = 0;
    var item_count: u64 = 0;
    for (lines, 0..) |line, i| {
        if (line != .object) invalid(print("lines[{d}]", .{i}), "each line must be an object");
        _ = requiredStr(member(line, "sku"), print("lines[{d}].sku", .{i}));
        const quantity = asU64(member(line, "quantity")) orelse 0;
        if (quantity < 1 or quantity > max_quantity) {
            const path = print("lines[{d}].quantity", .{i});
            invalid(path, print("{s} must be an integer between 1 and 1000000", .{path}));
        }
        const unit_cents = priceCents(member(line, "unitPrice"), print("lines[{d}].unitPrice", .{i}));
        subtotal += quantity * unit_cents;
        item_count += quantity;
    }
    if (subtotal > max_subtotal_cents) invalid("lines", "order subtotal exceeds 100000000000 EUR");

    const tier_discount = percentOf(subtotal, tier_percent);
    const after_tier = subtotal - tier_discount;
    const coupon_discount: u64 = switch (member(order, "couponCode")) {
        .null => 0,
        .string => |code| if (std.mem.eql(u8, code, "SAVE10"))
            percentOf(after_tier, 10)
        else if (std.mem.eql(u8, code, "WELCOME5"))
            @min(500, after_tier) // never below zero
        else
            ww.businessError("UNKNOWN_COUPON", print("unknown coupon code {s}", .{quoted(code)}), jsonObject1("couponCode", code)),
        else => invalid("couponCode", "couponCode must be a string or null"),
    };

    var tax_rate_percent = default_vat_percent;
    for (vat_percent) |v| {
        if (std.mem.eql(u8, v.country, &country)) tax_rate_percent = v.percent;
    }
    const tax = percentOf(after_tier - coupon_discount, tax_rate_percent);
    const discount = tier_discount + coupon_discount;

    var out = std.ArrayList(u8).init(allocator);
    writeOutput(out.writer(), order_id, lines.len, item_count, subtotal, tier_discount, coupon_discount, discount, tax_rate_percent, tax) catch
        ww.fail("out of memory", .{});
    ww.writeOutput(out.items);
}

fn writeOutput(w: anytype, order_id: []const u8, line_count: usize, item_count: u64, subtotal: u64, tier_discount: u64, coupon_discount: u64, discount: u64, tax_rate_percent: u64, tax: u64) !void {
    try w.writeAll("{\"orderId\":");
    try ww.writeJsonString(w, order_id);
    try w.print(",\"currency\":\"EUR\",\"lineCount\":{d},\"itemCount\":{d},\"subtotal\":", .{ line_count, item_count });
    try ww.writeCents(w, subtotal);
    try w.writeAll(",\"tierDiscount\":");
    try ww.writeCents(w, tier_discount);
    try w.writeAll(",\"couponDiscount\":");
    try ww.writeCents(w, coupon_discount);
    try w.writeAll(",\"discount\":");
    try ww.writeCents(w, discount);
    try w.print(",\"taxRatePercent\":{d},\"tax\":", .{tax_rate_percent});
    try ww.writeCents(w, tax);
    try w.writeAll(",\"total\":");
    try ww.writeCents(w, subtotal - discount + tax);
    try w.writeAll("}");
}
