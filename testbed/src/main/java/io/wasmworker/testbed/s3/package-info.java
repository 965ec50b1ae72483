/** A real S3 server on loopback (a single-node Ceph RGW) for the tests, benchmarks and {@code dev --s3}. */
package io.wasmworker.testbed.s3;
