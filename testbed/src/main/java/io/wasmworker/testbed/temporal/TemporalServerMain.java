package io.wasmworker.testbed.temporal;

import io.temporal.testserver.TestServer;

/** Runs the Temporal test server (real gRPC protocol, real time) on a port until killed. */
public final class TemporalServerMain {
    private TemporalServerMain() {}

    public static void main(String[] args) throws InterruptedException {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: temporal PORT");
        }
        int port = Integer.parseInt(args[0]);
        TestServer.createPortBoundServer(port);
        System.out.println("temporal test server listening on 127.0.0.1:" + port);
        Thread.currentThread().join();
    }
}
