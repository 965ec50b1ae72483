package io.wasmworker.adapter.temporal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Metadata;
import io.temporal.serviceclient.GrpcMetadataProvider;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import org.junit.jupiter.api.Test;

class TemporalSettingsTest {
    private static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    @Test
    void anApiKeyIsSentAsABearerTokenOverTls() {
        TemporalSettings settings =
                TemporalSettings.of("ns.a1b2c.tmprl.cloud:7233", "ns.a1b2c").withApiKey("k3y");
        assertThat(settings.tls()).as("an API key implies TLS").isEqualTo(TemporalSettings.Tls.serverOnly());

        WorkflowServiceStubsOptions options = TemporalAdapter.stubsOptions(settings, null);
        assertThat(options.getTarget()).isEqualTo("ns.a1b2c.tmprl.cloud:7233");
        assertThat(options.getEnableHttps()).isTrue();
        assertThat(options.getGrpcMetadataProviders())
                .map(GrpcMetadataProvider::getMetadata)
                .anySatisfy(m -> assertThat(m.get(AUTHORIZATION)).isEqualTo("Bearer k3y"));
        assertThat(settings.toString()).doesNotContain("k3y").contains("apiKey=(hidden)");
    }

    @Test
    void withoutAnApiKeyNothingIsAddedAndTheConnectionIsPlain() {
        WorkflowServiceStubsOptions options =
                TemporalAdapter.stubsOptions(TemporalSettings.of("127.0.0.1:7233", "default"), null);
        assertThat(options.getEnableHttps()).isFalse();
        assertThat(options.getGrpcMetadataProviders()).isNullOrEmpty();
    }

    @Test
    void aBlankApiKeyIsRefused() {
        assertThatThrownBy(() -> TemporalSettings.of("h:1", "default").withApiKey(" "))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("apiKey must not be blank");
    }
}
