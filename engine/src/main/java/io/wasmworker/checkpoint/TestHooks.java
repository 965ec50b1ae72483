package io.wasmworker.checkpoint;

/**
 * Pause points for crash tests, off unless the system property {@code wasmworker.test.pause} is
 * set to {@code <point>:<sequence>} (points: {@code before-publish}, {@code after-checkpoint}; host calls: {@code call-made}, after the
 * service answered and before the call is recorded, and {@code call-recorded}, before the guest sees it).
 * At the point the worker prints a marker line to stderr and waits to be killed, so a test can
 * SIGKILL it at a precise moment.
 */
final class TestHooks {
    private static final String PAUSE = System.getProperty("wasmworker.test.pause");

    private TestHooks() {}

    static void point(String name, long sequence) {
        if (PAUSE != null && PAUSE.equals(name + ":" + sequence)) {
            System.err.println("wasm-worker-test: paused at " + name + " " + sequence);
            System.err.flush();
            while (true) {
                try {
                    Thread.sleep(60_000);
                } catch (InterruptedException e) {
                    // keep waiting: only a kill ends this
                }
            }
        }
    }
}
