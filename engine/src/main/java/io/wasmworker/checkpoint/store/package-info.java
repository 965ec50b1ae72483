/**
 * Where checkpoints are kept between attempts: the SnapshotStore contract (data before metadata,
 * fenced publish, loud failures), its local implementation, and snapshots sealed at rest around any
 * store (EncryptingSnapshotStore, SnapshotKeys).
 */
package io.wasmworker.checkpoint.store;
