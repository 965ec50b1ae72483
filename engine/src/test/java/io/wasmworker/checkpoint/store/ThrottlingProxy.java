package io.wasmworker.checkpoint.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;

/**
 * A TCP proxy on loopback that forwards to an S3 server, uploads at a fixed, slow rate: a worker's
 * upload through it lasts long enough to be killed in the middle of it.
 */
final class ThrottlingProxy implements AutoCloseable {
    private final ServerSocket server;
    private final URI target;
    private final int bytesPerSecond;

    ThrottlingProxy(URI target, int bytesPerSecond) throws IOException {
        this.target = target;
        this.bytesPerSecond = bytesPerSecond;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread accept = new Thread(this::accept, "throttling-proxy");
        accept.setDaemon(true);
        accept.start();
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getLocalPort());
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                Socket upstream = new Socket(target.getHost(), target.getPort());
                pump(client.getInputStream(), upstream.getOutputStream(), bytesPerSecond, client, upstream);
                pump(upstream.getInputStream(), client.getOutputStream(), Integer.MAX_VALUE, client, upstream);
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private static void pump(InputStream in, OutputStream out, int rate, Socket a, Socket b) {
        Thread t = new Thread(
                () -> {
                    byte[] buffer = new byte[Math.min(rate / 10 + 1, 64 << 10)];
                    try {
                        for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                            out.write(buffer, 0, n);
                            out.flush();
                            if (rate != Integer.MAX_VALUE) {
                                Thread.sleep(Math.max(1, 1000L * n / rate));
                            }
                        }
                    } catch (IOException | InterruptedException e) {
                        // one side went away
                    } finally {
                        closeQuietly(a);
                        closeQuietly(b);
                    }
                },
                "throttling-proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
