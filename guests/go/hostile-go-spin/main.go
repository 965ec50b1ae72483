// hostile-go-spin: what Go makes easy: goroutines. Starts goroutines that spin without a
// function call in their loops, so Go's scheduler (single-threaded on wasm, with no
// asynchronous preemption) never gets control back, and main blocks forever. Only the
// host can stop it: it must report timeout and stay unharmed.
package main

import (
	"fmt"
	"os"
)

var sink int

func main() {
	fmt.Fprintln(os.Stderr, "starting spinners")
	for i := 0; i < 4; i++ {
		go func() {
			for n := 0; ; n++ {
				sink = n
			}
		}()
	}
	select {} // blocks: the scheduler runs a spinner, which never yields
}
