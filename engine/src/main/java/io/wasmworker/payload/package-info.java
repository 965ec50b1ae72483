/**
 * Large payloads by reference: an input value {@code {"$ref":"s3://BUCKET/KEY"}} is streamed into the
 * guest's stdin from S3 in constant memory, and output values above a size are written to S3 and
 * handed to the orchestrator as such references.
 */
package io.wasmworker.payload;
