// Package wasmworker is the wasm-worker guest helper for Go (GOOS=wasip1 GOARCH=wasm,
// see guests/ABI.md): it reads the input, writes the output, reports business errors
// (exit code 3) and reads the task's metadata.
//
// Go guests cannot checkpoint: Go's runtime switches goroutine stacks itself, which
// asyncify cannot capture, and Go before 1.24 cannot export ww_step for a step guest.
// This package therefore has no checkpoint function, and a Go module that imports
// wasm_worker.checkpoint itself is refused by the host when it loads.
package wasmworker

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

const (
	exitFailure       = 1
	exitBusinessError = 3
)

// ReadInput returns all of stdin. It calls Fail on a read error.
func ReadInput() []byte {
	b, err := io.ReadAll(os.Stdin)
	if err != nil {
		Fail("cannot read stdin: %v", err)
	}
	return b
}

// ReadInputJSON parses stdin as one JSON value (numbers as json.Number, so integers
// stay exact); the business error INVALID_INPUT if it is not exactly one JSON value.
func ReadInputJSON() any {
	dec := json.NewDecoder(bytes.NewReader(ReadInput()))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		BusinessError("INVALID_INPUT", "input is not valid JSON: "+err.Error(), nil)
	}
	if _, err := dec.Token(); err != io.EOF {
		BusinessError("INVALID_INPUT", "input is not valid JSON: trailing characters", nil)
	}
	return v
}

// WriteOutput writes json (one JSON value, already serialised) to stdout. Call once.
func WriteOutput(json []byte) {
	if _, err := os.Stdout.Write(json); err != nil {
		Fail("cannot write stdout: %v", err)
	}
}

// BusinessError reports a business error (ABI.md, "Outcomes"): it writes
// {"code","message","details"} to stdout and exits with code 3. details is marshalled
// with encoding/json (nil: no details). Nothing else may have been written to stdout.
func BusinessError(code, message string, details any) {
	var b strings.Builder
	b.WriteString(`{"code":`)
	b.WriteString(JSONString(code))
	b.WriteString(`,"message":`)
	b.WriteString(JSONString(message))
	if details != nil {
		b.WriteString(`,"details":`)
		b.Write(Marshal(details))
	}
	b.WriteString("}")
	WriteOutput([]byte(b.String()))
	os.Exit(exitBusinessError)
}

// Marshal is json.Marshal without HTML escaping (as serde_json and the other guest
// helpers write JSON); it calls Fail if v cannot be marshalled.
func Marshal(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		Fail("cannot marshal %T: %v", v, err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// Fail reports a failure of the guest itself: the message on stderr, exit code 1
// (a retryable failure).
func Fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "guest failure: "+format+"\n", args...)
	os.Exit(exitFailure)
}

// Log writes a line to stderr (the host keeps its tail with the outcome).
func Log(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
}

// TaskID is WASM_WORKER_TASK_ID ("" if unset).
func TaskID() string { return os.Getenv("WASM_WORKER_TASK_ID") }

// TaskSource is WASM_WORKER_TASK_SOURCE: camunda, temporal or cli ("" if unset).
func TaskSource() string { return os.Getenv("WASM_WORKER_TASK_SOURCE") }

// TaskMetadata is WASM_WORKER_TASK_<key> (TOPIC, BUSINESS_KEY, WORKFLOW_ID, ...).
func TaskMetadata(key string) string { return os.Getenv("WASM_WORKER_TASK_" + key) }

// TaskAttempt is WASM_WORKER_TASK_ATTEMPT: 1 for the first attempt; 1 if unset or
// not a number.
func TaskAttempt() uint32 {
	n, err := strconv.ParseUint(os.Getenv("WASM_WORKER_TASK_ATTEMPT"), 10, 32)
	if err != nil {
		return 1
	}
	return uint32(n)
}

// HostImports lists the functions the host offers in the wasm_worker import module
// (WASM_WORKER_IMPORTS).
func HostImports() []string {
	v := os.Getenv("WASM_WORKER_IMPORTS")
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}

// JSONString is s as a JSON string literal, escaped the way serde_json escapes.
func JSONString(s string) string {
	const hex = "0123456789abcdef"
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			b.WriteString(`\"`)
		case c == '\\':
			b.WriteString(`\\`)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c == 0x08:
			b.WriteString(`\b`)
		case c == 0x0c:
			b.WriteString(`\f`)
		case c < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// Cents is integer cents as a JSON number in units, printed the way serde_json prints
// cents / 100.0 (2410 -> 24.1, 2500 -> 25.0).
func Cents(cents uint64) string {
	frac := cents % 100
	switch {
	case frac == 0:
		return fmt.Sprintf("%d.0", cents/100)
	case frac%10 == 0:
		return fmt.Sprintf("%d.%d", cents/100, frac/10)
	default:
		return fmt.Sprintf("%d.%02d", cents/100, frac)
	}
}
