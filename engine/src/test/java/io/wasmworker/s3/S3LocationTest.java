package io.wasmworker.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.util.Map;
import org.junit.jupiter.api.Test;

class S3LocationTest {
    @Test
    void parsesBucketAndPrefix() {
        S3Location location = S3Location.parse("s3://my-bucket/team/snapshots/");
        assertThat(location.bucket()).isEqualTo("my-bucket");
        assertThat(location.prefix()).isEqualTo("team/snapshots");
        assertThat(location.key("task%3A1", "manifest")).isEqualTo("team/snapshots/task%3A1/manifest");
        assertThat(location.listPrefix()).isEqualTo("team/snapshots/");
        assertThat(location).hasToString("s3://my-bucket/team/snapshots");
        assertThat(S3Location.parse("s3://b12").key("x")).isEqualTo("x");
        assertThat(S3Location.parse("s3://b12").child("artifacts")).hasToString("s3://b12/artifacts");
    }

    @Test
    void keysNeverEscapeThePrefix() {
        S3Location location = S3Location.parse("s3://bucket/p");
        for (String bad : new String[] {"..", ".", "", "a/b", "a\\b", "x\u0000", "space here"}) {
            assertThatThrownBy(() -> location.key(bad))
                    .as(bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("key part");
        }
    }

    @Test
    void refusesWhatIsNotAnS3Location() {
        assertThat(S3Location.isS3("/var/lib/snapshots")).isFalse();
        assertThatThrownBy(() -> S3Location.parse("/tmp/x")).hasMessageContaining("s3://BUCKET/PREFIX");
        assertThatThrownBy(() -> S3Location.parse("s3://Upper/x"))
                .hasMessageContaining("invalid S3 bucket name 'Upper'");
        assertThatThrownBy(() -> S3Location.parse("s3://bucket/a/../b")).hasMessageContaining("'..'");
        assertThatThrownBy(() -> S3Location.parse("s3://bucket/a//b")).hasMessageContaining("prefix 'a//b'");
    }

    @Test
    void anEndpointOverrideMeansPathStyleUnlessSetOtherwise() {
        S3Settings plain = S3Settings.defaults();
        assertThat(plain.effectivePathStyle(Map.of())).isFalse();
        assertThat(plain.effectiveEndpoint(Map.of("AWS_ENDPOINT_URL", "http://127.0.0.1:9000")))
                .contains(URI.create("http://127.0.0.1:9000"));
        assertThat(plain.effectiveEndpoint(
                        Map.of("AWS_ENDPOINT_URL", "http://a:1", "AWS_ENDPOINT_URL_S3", "http://s3:2")))
                .contains(URI.create("http://s3:2"));
        assertThat(plain.effectivePathStyle(Map.of("AWS_ENDPOINT_URL_S3", "http://s3:2")))
                .isTrue();
        S3Settings virtualHosted = S3Settings.builder()
                .endpoint(URI.create("https://s3.example"))
                .pathStyle(false)
                .build();
        assertThat(virtualHosted.effectivePathStyle(Map.of())).isFalse();
        assertThat(S3Settings.builder().credentials("AK", "very-secret").build().toString())
                .doesNotContain("very-secret");
    }
}
