/**
 * Where checkpoints are kept between attempts: the SnapshotStore contract (data before metadata,
 * fenced publish, loud failures) and its local implementation.
 */
package io.wasmworker.checkpoint.store;
