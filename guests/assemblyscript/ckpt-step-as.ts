// ckpt-step-as: the step guest of guests/c/ckpt-step-c.c in AssemblyScript (same input,
// same output). A reactor: build.sh compiles it with --exportStart _initialize, so the
// module exports _initialize, ww_step and memory, and no _start. All state lives in
// module globals and the heap, so the host can snapshot exactly between calls.

import { checkpointAfterStep, log } from "./lib/wasm-worker";
import { ChainInput, SEED, digit, readChainInput, runStep, writeChainOutput } from "./ckpt-chain";

const MORE = 0;
const DONE = 1;

let input: ChainInput | null = null;
let done = false;
let next: u32 = 1; // the step the next call runs, 1-based
let state: u64 = SEED;
let trail: string[] = []; // heap: one digit per finished step

export function ww_step(): i32 {
  if (done) return DONE;
  if (input == null) input = readChainInput();
  const run = input!;
  if (next <= run.steps) {
    const i = next;
    log("step " + i.toString());
    state = runStep(state, i, run.work);
    trail.push(digit(state));
    next = i + 1;
    checkpointAfterStep();
    return MORE;
  }
  writeChainOutput(run.steps, run.work, state, trail.join(""));
  done = true;
  return DONE;
}
