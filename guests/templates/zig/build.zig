//! A wasm-worker guest in Zig: copy this directory to guests/tasks/<name> (the helper's
//! path below counts on that depth), edit, then
//!   ./wasm-worker artifacts build guests/tasks/<name> --name <name>
//! which runs `zig build` and takes the one .wasm it installs. For a step guest, export
//! ww_step and set `exe.wasi_exec_model = .reactor; exe.rdynamic = true;`.
const std = @import("std");

pub fn build(b: *std.Build) void {
    const exe = b.addExecutable(.{
        .name = "guest",
        .root_source_file = .{ .path = "main.zig" },
        .target = .{ .cpu_arch = .wasm32, .os_tag = .wasi },
        .optimize = .ReleaseSmall,
    });
    exe.strip = true;
    exe.addAnonymousModule("wasm_worker", .{ .source_file = .{ .path = "../../zig/wasm_worker.zig" } });
    b.installArtifact(exe);
}
