package io.wasmworker.host;

/**
 * Told of every journaled host call a guest makes (metrics), on the guest's thread: must be quick, and
 * whatever it throws is logged and ignored.
 */
@FunctionalInterface
public interface HttpCallObserver {
    HttpCallObserver NONE = call -> {};

    void called(Call call);

    /**
     * One call.
     *
     * @param endpoint the endpoint's name
     * @param sequence the call's number within the task
     * @param replayed whether its result came from the journal (no request was sent)
     * @param result   what {@code http_request} returned ({@link HttpCalls#OK} or an error code)
     * @param status   the HTTP status, 0 without a response
     * @param nanos    time in the call (for a replayed call: reading the journal)
     * @param method   the request's method
     * @param path     the request's path (within the endpoint's allow-list: visible ASCII)
     */
    record Call(
            String endpoint,
            long sequence,
            boolean replayed,
            int result,
            int status,
            long nanos,
            String method,
            String path) {
        /** A call whose request is not named (metrics only need the rest). */
        public Call(String endpoint, long sequence, boolean replayed, int result, int status, long nanos) {
            this(endpoint, sequence, replayed, result, status, nanos, "", "");
        }

        public Call {
            method = method == null ? "" : method;
            path = path == null ? "" : path;
        }

        /** The service did not answer as a success: an error code, or a status of 400 or more. */
        public boolean failed() {
            return result != HttpCalls.OK || status >= 400;
        }

        /**
         * For failure details and logs: {@code host call 2 (POST /reserve on endpoint 'inventory'):
         * unavailable, no response} or {@code ...: status 503}.
         */
        public String describe() {
            String request = (method + " " + path).strip();
            return "host call " + sequence + " (" + (request.isEmpty() ? "" : request + " ") + "on endpoint '"
                    + endpoint + "'): "
                    + (result == HttpCalls.OK
                            ? "status " + status
                            : resultLabel() + (status == 0 ? ", no response" : ", status " + status))
                    + (replayed ? " (replayed from the journal)" : "");
        }

        /** {@code 2xx} ... {@code 5xx}, or {@code none} without a response. */
        public String statusClass() {
            return status >= 100 && status <= 599 ? (status / 100) + "xx" : "none";
        }

        /** The result as a label: {@code ok}, {@code timeout}, {@code unavailable}, {@code response_too_large}. */
        public String resultLabel() {
            return HttpCalls.label(result);
        }
    }
}
