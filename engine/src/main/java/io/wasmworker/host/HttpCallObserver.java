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
     */
    record Call(String endpoint, long sequence, boolean replayed, int result, int status, long nanos) {
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
