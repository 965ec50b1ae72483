/**
 * Where checkpoints are kept between attempts: the SnapshotStore contract (data before metadata,
 * fenced publish, loud failures) and its implementations (a local directory, and S3 for workers that
 * share no disk), and snapshots sealed at rest around any store (EncryptingSnapshotStore, SnapshotKeys).
 */
package io.wasmworker.checkpoint.store;
