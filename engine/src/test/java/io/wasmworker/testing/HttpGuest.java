package io.wasmworker.testing;

import io.wasmworker.module.GuestModule;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * WAT guests that call HTTP endpoints through the host ({@code wasm_worker.http_request}) and print a
 * JSON array with, per call, the response body as is (the test services answer JSON) or
 * {@code {"error":<code>}}. A command ({@code _start}) by default; {@link #stepGuest} splits each call
 * into two steps (request, then response) so a checkpoint can fall in between.
 */
public final class HttpGuest {
    /** One call: what the guest passes; {@code bodyCapacity} is its buffer for the response body. */
    public record Call(
            String endpoint,
            String method,
            String path,
            String headers,
            String body,
            int bodyCapacity,
            boolean randomBody) {
        public static Call of(String endpoint, String method, String path) {
            return new Call(endpoint, method, path, "", "", 32768, false);
        }

        public Call withHeaders(String h) {
            return new Call(endpoint, method, path, h, body, bodyCapacity, randomBody);
        }

        public Call withBody(String b) {
            return new Call(endpoint, method, path, headers, b, bodyCapacity, randomBody);
        }

        public Call withBodyCapacity(int capacity) {
            return new Call(endpoint, method, path, headers, body, capacity, randomBody);
        }

        /** Eight random bytes as the body: a guest that does not repeat itself outside deterministic mode. */
        public Call withRandomBody() {
            return new Call(endpoint, method, path, headers, body, bodyCapacity, true);
        }
    }

    private static final String PRELUDE = """
            (module
              (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
              (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
              (import "wasm_worker" "http_request" (func $req (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
              (import "wasm_worker" "http_response" (func $resp (param i32 i32 i32 i32) (result i32)))
              (memory (export "memory") 3)
              ;; 0..8 iovec, 16..28 http_request's result, 32..48 digits, 100.. punctuation,
              ;; 4000..4008 random body, 8192.. headers, 32768.. body, 65536.. the calls' strings
              (data (i32.const 100) "[,]{\\"error\\":}")
              (global $rc (mut i32) (i32.const 0))
              (global $step (mut i32) (i32.const 0))
              (func $write (param $ptr i32) (param $len i32)
                (i32.store (i32.const 0) (local.get $ptr))
                (i32.store (i32.const 4) (local.get $len))
                (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
              (func $num (param $n i32)
                (local $p i32)
                (local.set $p (i32.const 48))
                (loop $l
                  (local.set $p (i32.sub (local.get $p) (i32.const 1)))
                  (i32.store8 (local.get $p) (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10))))
                  (local.set $n (i32.div_u (local.get $n) (i32.const 10)))
                  (br_if $l (local.get $n)))
                (call $write (local.get $p) (i32.sub (i32.const 48) (local.get $p))))
              (func $request (param $np i32) (param $nl i32) (param $mp i32) (param $ml i32) (param $pp i32)
                  (param $pl i32) (param $hp i32) (param $hl i32) (param $bp i32) (param $bl i32)
                (global.set $rc (call $req (local.get $np) (local.get $nl) (local.get $mp) (local.get $ml)
                  (local.get $pp) (local.get $pl) (local.get $hp) (local.get $hl) (local.get $bp) (local.get $bl)
                  (i32.const 16))))
              (func $finish (param $cap i32) (param $first i32)
                (if (i32.eqz (local.get $first)) (then (call $write (i32.const 101) (i32.const 1))))
                (if (i32.eqz (global.get $rc))
                  (then (global.set $rc (call $resp (i32.const 8192) (i32.const 8192) (i32.const 32768) (local.get $cap)))))
                (if (i32.eqz (global.get $rc))
                  (then (call $write (i32.const 32768) (i32.load (i32.const 24))))
                  (else
                    (call $write (i32.const 103) (i32.const 9))
                    (call $num (global.get $rc))
                    (call $write (i32.const 112) (i32.const 1)))))
            """;

    private HttpGuest() {}

    /** A command making the calls in order. */
    public static GuestModule command(List<Call> calls) {
        return Guests.watModule(commandWat(calls));
    }

    /**
     * A step guest that leaves a journal behind a checkpoint: step 1 calls {@code GET /stock/X-1} on
     * {@code inventory}, reads the answer and checkpoints (the checkpoint covers call 1); step 2 calls
     * {@code POST /reserve} and traps, so call 2 stays in the journal for a retry to replay.
     */
    public static final String RESERVES_AFTER_A_CHECKPOINT_THEN_TRAPS = """
            (module
              (import "wasm_worker" "checkpoint" (func $checkpoint (param i32 i32) (result i32)))
              (import "wasm_worker" "http_request" (func $req (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
              (import "wasm_worker" "http_response" (func $resp (param i32 i32 i32 i32) (result i32)))
              (memory (export "memory") 2)
              (data (i32.const 100) "inventory")
              (data (i32.const 120) "GET")
              (data (i32.const 130) "/stock/X-1")
              (data (i32.const 150) "POST")
              (data (i32.const 160) "/reserve")
              (data (i32.const 180) "{\\"sku\\":\\"X-1\\",\\"quantity\\":2}")
              (global $n (mut i32) (i32.const 0))
              (func (export "ww_step") (result i32)
                (global.set $n (i32.add (global.get $n) (i32.const 1)))
                (if (i32.eq (global.get $n) (i32.const 1))
                  (then
                    (drop (call $req (i32.const 100) (i32.const 9) (i32.const 120) (i32.const 3) (i32.const 130)
                      (i32.const 10) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 16)))
                    (drop (call $resp (i32.const 8192) (i32.const 8192) (i32.const 32768) (i32.const 32768)))
                    (drop (call $checkpoint (i32.const 0) (i32.const 0)))
                    (return (i32.const 0))))
                (drop (call $req (i32.const 100) (i32.const 9) (i32.const 150) (i32.const 4) (i32.const 160)
                  (i32.const 8) (i32.const 0) (i32.const 0) (i32.const 180) (i32.const 26) (i32.const 16)))
                unreachable))
            """;

    /** The WAT text of {@link #command}. */
    public static String commandWat(List<Call> calls) {
        StringBuilder body =
                new StringBuilder("(func (export \"_start\")\n(call $write (i32.const 100) (i32.const 1))\n");
        List<String> data = new ArrayList<>();
        for (int i = 0; i < calls.size(); i++) {
            body.append(request(calls.get(i), i, data)).append(finish(calls.get(i), i));
        }
        body.append("(call $write (i32.const 102) (i32.const 1)))\n");
        return PRELUDE + String.join("\n", data) + "\n" + body + ")";
    }

    /** A step guest: step 2i makes call i, step 2i+1 reads its response; the last step ends the output. */
    public static GuestModule stepGuest(List<Call> calls) {
        return Guests.watModule(stepGuestWat(calls));
    }

    /** The WAT text of {@link #stepGuest}. */
    private static String stepGuestWat(List<Call> calls) {
        StringBuilder body = new StringBuilder("(func (export \"ww_step\") (result i32)\n");
        List<String> data = new ArrayList<>();
        body.append("(if (i32.eqz (global.get $step)) (then (call $write (i32.const 100) (i32.const 1))))\n");
        for (int i = 0; i < calls.size(); i++) {
            body.append("(if (i32.eq (global.get $step) (i32.const ")
                    .append(2 * i)
                    .append(")) (then ")
                    .append(request(calls.get(i), i, data))
                    .append("))\n");
            body.append("(if (i32.eq (global.get $step) (i32.const ")
                    .append(2 * i + 1)
                    .append(")) (then ")
                    .append(finish(calls.get(i), i))
                    .append("))\n");
        }
        body.append("(global.set $step (i32.add (global.get $step) (i32.const 1)))\n")
                .append("(if (result i32) (i32.eq (global.get $step) (i32.const ")
                .append(2 * calls.size())
                .append(")) (then (call $write (i32.const 102) (i32.const 1)) (i32.const 1)) (else (i32.const 0))))\n");
        return PRELUDE + String.join("\n", data) + "\n" + body + ")";
    }

    private static String request(Call c, int index, List<String> data) {
        int base = 65536 + index * 2048;
        int[] at = {base};
        String name = segment(c.endpoint(), at, data);
        String method = segment(c.method(), at, data);
        String path = segment(c.path(), at, data);
        String headers = segment(c.headers(), at, data);
        String body = c.randomBody() ? "(i32.const 4000) (i32.const 8)" : segment(c.body(), at, data);
        if (at[0] > base + 2048 || index >= 64) {
            throw new IllegalArgumentException("call " + index + " is too long for this test guest");
        }
        String random = c.randomBody() ? "(drop (call $random_get (i32.const 4000) (i32.const 8)))\n" : "";
        return random + "(call $request " + name + " " + method + " " + path + " " + headers + " " + body + ")\n";
    }

    private static String finish(Call c, int index) {
        return "(call $finish (i32.const " + c.bodyCapacity() + ") (i32.const " + (index == 0 ? 1 : 0) + "))\n";
    }

    /** A data segment at {@code at[0]}, advanced past it; returns "(i32.const ptr) (i32.const len)". */
    private static String segment(String text, int[] at, List<String> data) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        StringBuilder escaped = new StringBuilder();
        for (byte b : bytes) {
            escaped.append(String.format("\\%02x", b & 0xff));
        }
        int ptr = at[0];
        data.add("(data (i32.const " + ptr + ") \"" + escaped + "\")");
        at[0] += bytes.length;
        return "(i32.const " + ptr + ") (i32.const " + bytes.length + ")";
    }
}
