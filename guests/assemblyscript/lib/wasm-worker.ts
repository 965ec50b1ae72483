// wasm-worker guest helper for AssemblyScript (guests/ABI.md): reads the input, writes
// the output, reports business errors (exit code 3), reads the task's metadata, and
// checkpoints. Build with @assemblyscript/wasi-shim (see guests/build.sh).

import { JsonParser, JsonValue, jsonString } from "./json";
export { JsonKind, JsonParser, JsonValue, jsonString, centsToJson } from "./json";

const EXIT_FAILURE = 1;
const EXIT_BUSINESS_ERROR = 3;

/** All of stdin as UTF-8 text. */
export function readInput(): string {
  const chunks: ArrayBuffer[] = [];
  let total = 0;
  while (true) {
    const buf = new ArrayBuffer(65536);
    const n = process.stdin.read(buf);
    if (n <= 0) break;
    chunks.push(buf.slice(0, n));
    total += n;
  }
  const all = new Uint8Array(total);
  let at = 0;
  for (let i = 0; i < chunks.length; i++) {
    all.set(Uint8Array.wrap(chunks[i]), at);
    at += chunks[i].byteLength;
  }
  return String.UTF8.decode(all.buffer);
}

/** stdin parsed as JSON; the business error INVALID_INPUT if it is not exactly one JSON value. */
export function readInputJson(): JsonValue {
  const parser = new JsonParser(readInput());
  const value = parser.parse();
  if (value == null) {
    businessError("INVALID_INPUT", "input is not valid JSON: " + parser.error);
  }
  return value!;
}

/** Writes `json` (one JSON value, already serialised) to stdout. Call once. */
export function writeOutput(json: string): void {
  process.stdout.write(String.UTF8.encode(json));
}

/**
 * Reports a business error (ABI.md, "Outcomes"): writes {"code","message","details"} to
 * stdout and exits with code 3. `detailsJson` is a serialised JSON value, or null for none.
 * Nothing else may have been written to stdout before. Does not return.
 */
export function businessError(code: string, message: string, detailsJson: string | null = null): void {
  let out = "{\"code\":" + jsonString(code) + ",\"message\":" + jsonString(message);
  if (detailsJson != null) out += ",\"details\":" + detailsJson;
  writeOutput(out + "}");
  process.exit(EXIT_BUSINESS_ERROR);
  unreachable();
}

/** A failure of the guest itself: the message on stderr, exit code 1 (retryable). Does not return. */
export function fail(message: string): void {
  log("guest failure: " + message);
  process.exit(EXIT_FAILURE);
  unreachable();
}

/** A line on stderr (the host keeps its tail with the outcome). */
export function log(line: string): void {
  process.stderr.write(String.UTF8.encode(line + "\n"));
}

/** An environment variable the host set (only WASM_WORKER_*), or null. */
export function env(name: string): string | null {
  return process.env.has(name) ? process.env.get(name) : null;
}

/** WASM_WORKER_TASK_ID, or null. */
export function taskId(): string | null {
  return env("WASM_WORKER_TASK_ID");
}

/** WASM_WORKER_TASK_SOURCE (camunda, temporal, cli), or null. */
export function taskSource(): string | null {
  return env("WASM_WORKER_TASK_SOURCE");
}

/** WASM_WORKER_TASK_<key> (TOPIC, BUSINESS_KEY, WORKFLOW_ID, ...), or null. */
export function taskMetadata(key: string): string | null {
  return env("WASM_WORKER_TASK_" + key);
}

/** WASM_WORKER_TASK_ATTEMPT: 1 for the first attempt; 1 if unset or not a number. */
export function taskAttempt(): u32 {
  const v = env("WASM_WORKER_TASK_ATTEMPT");
  if (v == null || v.length == 0 || v.length > 9) return 1;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return 1;
  }
  return <u32>I32.parseInt(v);
}

/** The functions the host offers in the wasm_worker import module (WASM_WORKER_IMPORTS). */
export function hostImports(): string[] {
  const v = env("WASM_WORKER_IMPORTS");
  return v == null || v.length == 0 ? [] : v.split(",");
}

// --- checkpoints (ABI.md, "Checkpoints") --------------------------------------------
// Only a guest that calls one of these imports wasm_worker.checkpoint: AssemblyScript
// leaves unused imports out.

@external("wasm_worker", "checkpoint")
declare function hostCheckpoint(buf: usize, len: u32): i32;

/** Where the host saves the call stack of an asyncify guest: static, 16-byte aligned. */
const CHECKPOINT_BUFFER_SIZE: u32 = 65536;
const checkpointBuffer = memory.data(CHECKPOINT_BUFFER_SIZE, 16);

/**
 * Mid-call checkpoint (an asyncify guest, built by build.sh with wasm-opt --asyncify):
 * returns false when the checkpoint was taken and the run goes on, true in a run that was
 * just restored from it.
 */
export function checkpoint(): bool {
  return hostCheckpoint(checkpointBuffer, CHECKPOINT_BUFFER_SIZE) == 1;
}

/** Step guest: asks the host to checkpoint when the current ww_step call returns. */
export function checkpointAfterStep(): void {
  hostCheckpoint(0, 0);
}
