package io.wasmworker.payload;

import io.wasmworker.s3.S3Location;
import java.util.Objects;

/**
 * Where payloads passed by reference live and how large they may be.
 *
 * @param location         the only place references may point to ({@code s3://BUCKET/PREFIX}: the
 *                         worker's credentials may reach more, a task's input must not), and where
 *                         offloaded outputs are written ({@code PREFIX/outputs/sha256/<hex>})
 * @param maxStreamedBytes the largest stdin a task's references may stream, in all (at most 2 GiB - 1:
 *                         a checkpoint keeps the stdin position in 32 bits)
 * @param offloadAbove     an output value larger than this is written to S3 and replaced by its
 *                         reference; 0: never
 */
public record PayloadSettings(S3Location location, long maxStreamedBytes, long offloadAbove) {
    public static final long DEFAULT_MAX_STREAMED_BYTES = 1L << 30;
    public static final long DEFAULT_OFFLOAD_ABOVE = 1L << 20;
    public static final long MAX_STREAMED_BYTES = Integer.MAX_VALUE;

    public PayloadSettings {
        Objects.requireNonNull(location, "location");
        if (maxStreamedBytes < 1 || maxStreamedBytes > MAX_STREAMED_BYTES) {
            throw new IllegalArgumentException("maxStreamedBytes must be 1 byte to 2 GiB - 1, got " + maxStreamedBytes);
        }
        if (offloadAbove < 0) {
            throw new IllegalArgumentException("offloadAbove must not be negative, got " + offloadAbove);
        }
    }

    public static PayloadSettings at(S3Location location) {
        return new PayloadSettings(location, DEFAULT_MAX_STREAMED_BYTES, DEFAULT_OFFLOAD_ABOVE);
    }

    public PayloadSettings withMaxStreamedBytes(long bytes) {
        return new PayloadSettings(location, bytes, offloadAbove);
    }

    public PayloadSettings withOffloadAbove(long bytes) {
        return new PayloadSettings(location, maxStreamedBytes, bytes);
    }
}
