package io.wasmworker.checkpoint;

/**
 * What one published checkpoint cost, told as it is published (metrics per checkpoint, visible while
 * a long task still runs).
 *
 * @param bytes its encoded size as stored (a full snapshot or a delta)
 * @param nanos the time to take, store and publish it
 */
public record CheckpointCost(long bytes, long nanos) {}
