package io.wasmworker.cli;

import io.wasmworker.artifact.ArtifactStore;
import io.wasmworker.s3.S3Location;
import io.wasmworker.s3.S3Settings;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --artifacts LOCATION}: where the artifact store is, for every command that uses it. */
final class ArtifactStoreOption {
    @Option(
            names = "--artifacts",
            paramLabel = "LOCATION",
            description = {
                "The artifact store: a directory or s3://BUCKET/PREFIX (default: <home>/artifacts; for run,"
                        + " stores.artifacts of the configuration, which this replaces).",
                "On S3, endpoint, region and credentials come from the AWS SDK's settings"
                        + " (AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID and"
                        + " AWS_SECRET_ACCESS_KEY, AWS_PROFILE, instance roles)."
            })
    String location;

    /** The store named by {@code --artifacts}, else {@code <home>/artifacts}; S3 with the SDK's settings. */
    ArtifactStore open(StoreOptions store) {
        String where =
                location != null ? location : store.home().resolve("artifacts").toString();
        return ArtifactStore.at(where, S3Settings::defaults);
    }

    /**
     * The location as a configuration takes it: a directory absolute (relative to where the command
     * runs, not to the configuration file), or null when not given.
     */
    String forConfig() {
        if (location == null || S3Location.isS3(location)) {
            return location;
        }
        return Path.of(location).toAbsolutePath().normalize().toString();
    }
}
