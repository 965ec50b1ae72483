package io.wasmworker.adapter.temporal;

import java.nio.file.Path;
import java.time.Duration;

/**
 * How the worker reaches the Temporal service. Plain values: the daemon's configuration maps onto
 * this record, and tests build it directly.
 *
 * @param target         {@code host:port} of the frontend, e.g. {@code 127.0.0.1:7233}
 * @param namespace      the namespace every task queue of this adapter belongs to
 * @param identity       the worker identity shown in Temporal's UI and history (null: {@code pid@host},
 *                       as the SDK would choose)
 * @param tls            null for plain gRPC
 * @param connectTimeout how long start-up waits for the service before failing (null: {@link
 *                       #DEFAULT_CONNECT_TIMEOUT})
 * @param apiKey         an API key (Temporal Cloud's, or any server's that takes one), sent as
 *                       {@code authorization: Bearer <key>} on every call, as the SDK's
 *                       {@code addApiKey} does; it implies TLS ({@link Tls#serverOnly()} when
 *                       {@code tls} is null), as Temporal's environment configuration does. Null: none
 */
public record TemporalSettings(
        String target, String namespace, String identity, Tls tls, Duration connectTimeout, String apiKey) {
    /** How long start-up waits for the service when nobody says otherwise. */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);

    public TemporalSettings {
        requireText(target, "target");
        requireText(namespace, "namespace");
        connectTimeout = connectTimeout == null ? DEFAULT_CONNECT_TIMEOUT : connectTimeout;
        if (connectTimeout.isNegative() || connectTimeout.isZero()) {
            throw new IllegalArgumentException("connectTimeout must be positive, got " + connectTimeout);
        }
        if (apiKey != null && apiKey.isBlank()) {
            throw new IllegalArgumentException("apiKey must not be blank (leave it out for none)");
        }
        if (apiKey != null && tls == null) {
            tls = Tls.serverOnly(); // an API key never travels in the clear
        }
    }

    public TemporalSettings(String target, String namespace, String identity, Tls tls, Duration connectTimeout) {
        this(target, namespace, identity, tls, connectTimeout, null);
    }

    /** Plain gRPC, default identity, {@link #DEFAULT_CONNECT_TIMEOUT} to connect. */
    public static TemporalSettings of(String target, String namespace) {
        return new TemporalSettings(target, namespace, null, null, DEFAULT_CONNECT_TIMEOUT);
    }

    public TemporalSettings withIdentity(String newIdentity) {
        return new TemporalSettings(target, namespace, newIdentity, tls, connectTimeout, apiKey);
    }

    public TemporalSettings withTls(Tls newTls) {
        return new TemporalSettings(target, namespace, identity, newTls, connectTimeout, apiKey);
    }

    /** With this API key (and so with TLS, {@link Tls#serverOnly()} unless mTLS is set). */
    public TemporalSettings withApiKey(String newApiKey) {
        return new TemporalSettings(target, namespace, identity, tls, connectTimeout, newApiKey);
    }

    /** The API key is never printed. */
    @Override
    public String toString() {
        return "TemporalSettings[target=" + target + ", namespace=" + namespace + ", identity=" + identity + ", tls="
                + tls + ", connectTimeout=" + connectTimeout + ", apiKey=" + (apiKey == null ? null : "(hidden)")
                + "]";
    }

    /**
     * TLS to the frontend. Without a client certificate the server is verified against the JVM's
     * trust store; with one (PEM chain and PKCS#8 key, as Temporal Cloud issues them) it is mTLS.
     */
    public record Tls(Path clientCertChain, Path clientKey) {
        public Tls {
            if ((clientCertChain == null) != (clientKey == null)) {
                throw new IllegalArgumentException("mTLS needs both a client certificate chain and its key");
            }
        }

        public static Tls serverOnly() {
            return new Tls(null, null);
        }
    }

    static void requireText(String value, String what) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(what + " must not be empty");
        }
    }
}
