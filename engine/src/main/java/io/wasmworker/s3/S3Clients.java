package io.wasmworker.s3;

import java.net.URI;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;

/** Builds the one kind of S3 client the stores use, from {@link S3Settings}. */
public final class S3Clients {
    private static final int MAX_CONNECTIONS = 64;

    private S3Clients() {}

    public static S3Client create(S3Settings settings) {
        return create(settings, System.getenv());
    }

    static S3Client create(S3Settings settings, Map<String, String> env) {
        S3ClientBuilder builder = S3Client.builder()
                .httpClientBuilder(Apache5HttpClient.builder()
                        .maxConnections(MAX_CONNECTIONS)
                        .connectionTimeout(settings.attemptTimeout())
                        .socketTimeout(settings.attemptTimeout()))
                // Since SDK 2.30 uploads carry aws-chunked trailing checksums by default, which Ceph RGW 16
                // rejects with 400; the stores verify their own SHA-256 digests on every read anyway.
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .forcePathStyle(settings.effectivePathStyle(env))
                .region(region(settings))
                .overrideConfiguration(o -> o.apiCallAttemptTimeout(settings.attemptTimeout())
                        .apiCallTimeout(settings.callTimeout())
                        .retryStrategy(AwsRetryStrategy.standardRetryStrategy().toBuilder()
                                .maxAttempts(settings.maxAttempts())
                                .build()));
        Optional<URI> endpoint = settings.effectiveEndpoint(env);
        endpoint.ifPresent(builder::endpointOverride);
        builder.credentialsProvider(credentials(settings));
        return builder.build();
    }

    private static AwsCredentialsProvider credentials(S3Settings settings) {
        if (settings.credentials().isEmpty()) {
            return DefaultCredentialsProvider.builder().build();
        }
        S3Settings.Credentials c = settings.credentials().get();
        return StaticCredentialsProvider.create(AwsBasicCredentials.create(c.accessKeyId(), c.secretAccessKey()));
    }

    private static Region region(S3Settings settings) {
        if (settings.region().isPresent()) {
            return Region.of(settings.region().get());
        }
        try {
            return new DefaultAwsRegionProviderChain().getRegion();
        } catch (SdkException noRegionConfigured) {
            // an S3-compatible server on an endpoint override usually ignores the region; AWS needs one
            return Region.of(S3Settings.FALLBACK_REGION);
        }
    }
}
