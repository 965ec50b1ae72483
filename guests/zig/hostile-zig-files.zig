//! hostile-zig-files: what Zig's std makes easy on WASI: file system calls. Tries to open
//! files and directories through the descriptors a WASI runtime would preopen (3 and
//! up) and through fd 0-2, then writes {"escaped":false,"attempts":N} if every attempt
//! failed, or {"escaped":true,...} naming the first that succeeded. The host gives a
//! guest no files (ABI.md), so the output must be {"escaped":false,...}.

const std = @import("std");
const ww = @import("wasm_worker.zig");
const wasi = std.os.wasi;

const paths = [_][]const u8{ "etc/passwd", "../../etc/passwd", ".", "secret.txt", "/etc/passwd" };

pub fn main() void {
    var attempts: usize = 0;
    var fd: wasi.fd_t = 0;
    while (fd < 8) : (fd += 1) {
        for (paths) |path| {
            attempts += 1;
            var opened: wasi.fd_t = undefined;
            const rights = wasi.RIGHT.FD_READ | wasi.RIGHT.FD_READDIR;
            const errno = wasi.path_open(fd, 0, path.ptr, path.len, 0, rights, rights, 0, &opened);
            if (errno == .SUCCESS) {
                var buf: [256]u8 = undefined;
                const out = std.fmt.bufPrint(&buf, "{{\"escaped\":true,\"fd\":{d},\"path\":\"{s}\"}}", .{ fd, path }) catch unreachable;
                ww.writeOutput(out);
                return;
            }
        }
        var prestat: wasi.prestat_t = undefined;
        attempts += 1;
        if (wasi.fd_prestat_get(fd, &prestat) == .SUCCESS) {
            var buf: [64]u8 = undefined;
            ww.writeOutput(std.fmt.bufPrint(&buf, "{{\"escaped\":true,\"preopen\":{d}}}", .{fd}) catch unreachable);
            return;
        }
    }
    var buf: [64]u8 = undefined;
    ww.writeOutput(std.fmt.bufPrint(&buf, "{{\"escaped\":false,\"attempts\":{d}}}", .{attempts}) catch unreachable);
}
