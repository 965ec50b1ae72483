package main

import (
	"fmt"

	ww "wasmworker.io/guests/wasmworker"
)

func main() {
	input, _ := ww.ReadInputJSON().(map[string]any)
	name, _ := input["name"].(string)
	if name == "" {
		ww.BusinessError("NAME_MISSING", "name is required", nil) // exit code 3
	}
	ww.WriteOutput([]byte(fmt.Sprintf(`{"greeting":"Hello, ","name":%s,"attempt":%d}`,
		ww.JSONString(name), ww.TaskAttempt())))
}
