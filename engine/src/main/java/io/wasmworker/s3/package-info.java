/**
 * Talking to S3-compatible object storage: where a store lives ({@code s3://bucket/prefix}), how the
 * client is configured and bounded, and the conditional writes the stores build their fencing on.
 */
package io.wasmworker.s3;
