// ckpt-async-as: guests/c/ckpt-async-c.c in AssemblyScript: a command that checkpoints
// in the middle of a call (asyncify; build.sh runs wasm-opt --asyncify on it). Same input,
// same output. The running state and the step counter are wasm locals three calls below
// the top level when it checkpoints; the trail is on the GC heap.

import { checkpoint, log } from "./lib/wasm-worker";
import { SEED, digit, readChainInput, runStep, writeChainOutput } from "./ckpt-chain";

// AssemblyScript keeps the GC roots of its frames on a shadow stack in linear memory
// whose pointer is not global 0 (ABI.md, "AssemblyScript"). A full collection right after
// every checkpoint would free the trail, which only locals reference, if that stack did
// not survive the checkpoint; the output would then differ.
function checkpointAfter(step: u32): void {
  const resumed = checkpoint();
  __collect();
  if (resumed) log("resumed from checkpoint " + step.toString());
}

function runSteps(steps: u32, work: u32, trail: string[]): u64 {
  let state = SEED;
  for (let i: u32 = 1; i <= steps; i++) {
    log("step " + i.toString());
    state = runStep(state, i, work);
    trail.push(digit(state));
    checkpointAfter(i);
  }
  return state;
}

function compute(steps: u32, work: u32): void {
  const trail: string[] = [];
  const state = runSteps(steps, work, trail);
  writeChainOutput(steps, work, state, trail.join(""));
}

const input = readChainInput();
compute(input.steps, input.work);
