// The workload of the checkpointing example guests, as in guests/c/ckpt_chain.h and
// guests/rust/shared/ckpt_chain.rs: the same input gives byte-identical output in every
// language. Input {"steps":8,"work":200000} (both optional); output
// {"steps":S,"work":W,"result":"<16 hex digits>","trail":"<S digits>"}.

import { JsonValue, businessError, readInputJson, writeOutput } from "./lib/wasm-worker";

export const SEED: u64 = 0xcbf29ce484222325;

/** The splitmix64 finaliser. */
function mix(z: u64): u64 {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
  z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
  return z ^ (z >> 31);
}

/** One step's work: `work` rounds of the hash chain, mixing in the step number. */
export function runStep(state: u64, step: u32, work: u32): u64 {
  for (let k: u32 = 0; k < work; k++) {
    state = mix(state + 0x9e3779b97f4a7c15 + <u64>step);
  }
  return state;
}

/** The trail digit a step leaves behind. */
export function digit(state: u64): string {
  return String.fromCharCode(0x30 + <i32>(state % 10));
}

export class ChainInput {
  constructor(public steps: u32, public work: u32) {}
}

function count(input: JsonValue, key: string, fallback: u32, max: u32, message: string): u32 {
  const v = input.get(key);
  if (v == null) return fallback;
  if (!v.isUnsignedInt || v.uint > <u64>max) businessError("INVALID_INPUT", message);
  return <u32>v.uint;
}

/** Reads {"steps":S,"work":W}; the business error INVALID_INPUT if it is bad. */
export function readChainInput(): ChainInput {
  const input = readInputJson();
  if (!input.isObject()) businessError("INVALID_INPUT", "input must be a JSON object");
  const steps = count(input, "steps", 8, 100000, "\"steps\" must be an integer from 0 to 100000");
  const work = count(input, "work", 200000, 1000000000, "\"work\" must be an integer from 0 to 1000000000");
  return new ChainInput(steps, work);
}

function hex16(v: u64): string {
  const s = v.toString(16);
  return "0000000000000000".substring(s.length) + s;
}

export function writeChainOutput(steps: u32, work: u32, state: u64, trail: string): void {
  writeOutput("{\"steps\":" + steps.toString() + ",\"work\":" + work.toString() +
    ",\"result\":\"" + hex16(state) + "\",\"trail\":\"" + trail + "\"}");
}
