package io.wasmworker.host;

/**
 * One journaled host call and what the guest got from it.
 *
 * @param sequence      the call's number within the task (1, 2, ...), part of the guest's checkpointed state
 * @param requestDigest SHA-256 of the request as the guest made it (endpoint, method, path, its headers,
 *                      body): a replayed call must match it
 * @param target        the endpoint, method and path it called, for people reading the journal (null in
 *                      entries of journal format 1, which did not keep them)
 * @param result        what {@code http_request} returned: {@link HttpCalls#OK} or one of the error codes
 *                      of a call that reached out (timeout, unavailable, response too large)
 * @param status        the HTTP status (0 without a response)
 * @param headers       the response headers as the guest sees them ({@code name: value\n} lines)
 * @param body          the response body
 */
public record RecordedCall(
        long sequence, byte[] requestDigest, Target target, int result, int status, byte[] headers, byte[] body) {
    /** What a call asked of which endpoint (its headers and body are only in the digest). */
    public record Target(String endpoint, String method, String path) {
        public Target {
            java.util.Objects.requireNonNull(endpoint, "endpoint");
            java.util.Objects.requireNonNull(method, "method");
            java.util.Objects.requireNonNull(path, "path");
        }

        @Override
        public String toString() {
            return method + " " + path + " on endpoint '" + endpoint + "'";
        }
    }

    public RecordedCall {
        if (sequence < 1) {
            throw new IllegalArgumentException("host call sequence numbers start at 1, got " + sequence);
        }
        if (requestDigest == null || requestDigest.length != 32) {
            throw new IllegalArgumentException("a request digest is 32 bytes of SHA-256");
        }
        headers = headers == null ? new byte[0] : headers;
        body = body == null ? new byte[0] : body;
    }

    /** Bytes the host holds for the guest while the call's response is pending. */
    long heldBytes() {
        return (long) headers.length + body.length;
    }
}
