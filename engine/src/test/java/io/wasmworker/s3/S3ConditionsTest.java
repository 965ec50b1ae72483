package io.wasmworker.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wasmworker.testbed.s3.Rgw;
import io.wasmworker.testing.RgwSettings;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** The conditional writes the stores fence with, against a real Ceph RGW. */
class S3ConditionsTest {
    private static S3Client s3;
    private static String bucket;

    @BeforeAll
    static void server() {
        s3 = S3Clients.create(RgwSettings.of(Rgw.shared()));
        bucket = Rgw.shared().newBucket("s3-conditions");
    }

    @Test
    void createOnlyWinsOnce() {
        s3.putObject(b -> b.bucket(bucket).key("once").ifNoneMatch("*"), RequestBody.fromString("first"));
        assertThatThrownBy(() -> s3.putObject(
                        b -> b.bucket(bucket).key("once").ifNoneMatch("*"), RequestBody.fromString("second")))
                .isInstanceOfSatisfying(
                        S3Exception.class, e -> assertThat(S3Conditions.lost(e)).isTrue());
        assertThat(s3.getObjectAsBytes(b -> b.bucket(bucket).key("once")).asUtf8String())
                .isEqualTo("first");
    }

    @Test
    void replaceWinsOnlyWithTheCurrentEtag() {
        String first = s3.putObject(b -> b.bucket(bucket).key("cas"), RequestBody.fromString("v1"))
                .eTag();
        String second = s3.putObject(
                        b -> b.bucket(bucket).key("cas").ifMatch(S3Conditions.ifMatch(first)),
                        RequestBody.fromString("v2"))
                .eTag();
        assertThat(second).isNotEqualTo(first);
        assertThatThrownBy(() -> s3.putObject(
                        b -> b.bucket(bucket).key("cas").ifMatch(S3Conditions.ifMatch(first)),
                        RequestBody.fromString("v3")))
                .isInstanceOfSatisfying(
                        S3Exception.class, e -> assertThat(S3Conditions.lost(e)).isTrue());
        assertThatThrownBy(() -> s3.putObject(
                        b -> b.bucket(bucket).key("missing").ifMatch(S3Conditions.ifMatch(first)),
                        RequestBody.fromString("v")))
                .isInstanceOfSatisfying(
                        S3Exception.class, e -> assertThat(S3Conditions.lost(e)).isTrue());
    }

    @Test
    void aRaceOfReplacesHasExactlyOneWinner() throws Exception {
        int threads = 16;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            for (int round = 0; round < 5; round++) {
                String key = "race-" + round;
                String etag = s3.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromString("start"))
                        .eTag();
                CyclicBarrier barrier = new CyclicBarrier(threads);
                List<Future<Boolean>> results = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    String body = "writer-" + t;
                    results.add(pool.submit(() -> {
                        barrier.await();
                        try {
                            s3.putObject(
                                    b -> b.bucket(bucket).key(key).ifMatch(S3Conditions.ifMatch(etag)),
                                    RequestBody.fromString(body));
                            return true;
                        } catch (S3Exception e) {
                            if (S3Conditions.lost(e)) {
                                return false;
                            }
                            throw e;
                        }
                    }));
                }
                int winners = 0;
                for (Future<Boolean> r : results) {
                    winners += r.get() ? 1 : 0;
                }
                assertThat(winners).as("winners in round " + round).isEqualTo(1);
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
