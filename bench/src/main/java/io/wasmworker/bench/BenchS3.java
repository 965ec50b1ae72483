package io.wasmworker.bench;

import io.wasmworker.checkpoint.store.S3SnapshotStore;
import io.wasmworker.s3.S3Clients;
import io.wasmworker.s3.S3Location;
import io.wasmworker.s3.S3Settings;
import io.wasmworker.testbed.s3.Rgw;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The S3 server of the S3 benchmarks: the Ceph RGW at {@code -Dwasmworker.bench.s3=<endpoint>} (which
 * {@link WithRgw} starts once for all forks), else one started in this JVM by the engine's test
 * fixture (about 13 s per fork). Each store gets a bucket of its own and a client that counts the
 * requests made while {@link #counting} is on, so a benchmark can say how many requests an operation
 * makes.
 */
final class BenchS3 implements AutoCloseable {
    static final String ENDPOINT_PROPERTY = "wasmworker.bench.s3";
    private static final AtomicInteger BUCKETS = new AtomicInteger();

    private final S3Settings settings;
    private final S3Client client;
    private final S3Client counted;
    private final Map<String, LongAdder> requests = new ConcurrentHashMap<>();
    private volatile boolean counting;
    private long operations;

    BenchS3() {
        String endpoint = System.getProperty(ENDPOINT_PROPERTY);
        settings = endpoint == null || endpoint.isBlank()
                ? io.wasmworker.testing.RgwSettings.of(Rgw.shared())
                : S3Settings.builder()
                        .endpoint(URI.create(endpoint))
                        .region("us-east-1")
                        .credentials(Rgw.ACCESS_KEY, Rgw.SECRET_KEY)
                        .build();
        client = S3Clients.create(settings);
        counted = (S3Client) Proxy.newProxyInstance(
                S3Client.class.getClassLoader(), new Class<?>[] {S3Client.class}, (proxy, method, args) -> {
                    if (counting && method.getDeclaringClass() != Object.class) {
                        requests.computeIfAbsent(method.getName(), n -> new LongAdder())
                                .increment();
                    }
                    try {
                        return method.invoke(client, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    /** A snapshot store in a new bucket, on the counting client. */
    S3SnapshotStore newStore(String hint) {
        String bucket = hint + "-" + ProcessHandle.current().pid() + "-" + BUCKETS.incrementAndGet();
        client.createBucket(b -> b.bucket(bucket));
        return new S3SnapshotStore(counted, new S3Location(bucket, "bench"), settings);
    }

    /** Counts the requests made until {@link #stop}, as one more operation. */
    void counting() {
        counting = true;
    }

    void stop() {
        counting = false;
        operations++;
    }

    /** Requests per counted operation, by client method (a paginated listing counts once). */
    String perOperation() {
        Map<String, String> per = new TreeMap<>();
        requests.forEach((name, n) -> per.put(name, String.format("%.2f", n.doubleValue() / Math.max(1, operations))));
        return per + " over " + operations + " operations";
    }

    @Override
    public void close() {
        client.close();
    }
}
