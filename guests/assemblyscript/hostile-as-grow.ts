// hostile-as-grow: what AssemblyScript makes easy: raw memory.grow and unchecked stores.
// Grows linear memory a page at a time until the host refuses (memory.grow returns -1 at
// the memory limit), reports how far it got on stderr, then stores one byte past the end
// of its memory, which traps. The host must report memory_limit and stay unharmed.

import { log } from "./lib/wasm-worker";

let pages = memory.size();
while (memory.grow(1) >= 0) pages++;
log("memory.grow refused after " + pages.toString() + " pages");
store<u8>(<usize>pages << 16, 1); // one byte past the end: out of bounds
