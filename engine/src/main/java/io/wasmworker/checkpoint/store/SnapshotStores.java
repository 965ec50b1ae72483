package io.wasmworker.checkpoint.store;

import io.wasmworker.s3.S3Location;
import io.wasmworker.s3.S3Settings;
import java.nio.file.Path;
import java.util.Objects;

/** Opens the snapshot store a location names: {@code s3://BUCKET/PREFIX}, or else a local directory. */
public final class SnapshotStores {
    private SnapshotStores() {}

    /**
     * @param location {@code s3://BUCKET/PREFIX} or a directory
     * @param fsync    whether the local store flushes its writes to disk (see {@link LocalSnapshotStore})
     * @param s3       how to reach S3, when the location is there
     * @throws IllegalArgumentException for an S3 location that is not valid, naming what is wrong
     */
    public static SnapshotStore open(String location, boolean fsync, S3Settings s3) {
        Objects.requireNonNull(location, "location");
        if (S3Location.isS3(location)) {
            return new S3SnapshotStore(S3Location.parse(location), s3);
        }
        return new LocalSnapshotStore(Path.of(location), fsync);
    }
}
