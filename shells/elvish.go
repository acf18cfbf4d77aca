// Elvish: single-quoted values, exports as data the hook applies with
// set-env and unset-env, and elvish -compileonly as the parser.
package shells

import (
	"fmt"
	"os/exec"
	"strings"
)

type elvish struct{}

// Elvish is the elvish shell.
var Elvish Shell = elvish{}

func (elvish) Name() string { return "elvish" }

func (elvish) HookTemplate() string { return "hook.elv" }

// Quote uses single quotes, inside which elvish takes every character
// literally except a doubled quote, which stands for one.
func (elvish) Quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

func (elvish) Export(ops []Op, fast *Fast) (string, error) {
	return dataExport(ops, false, fast), nil
}

// ElvishEditorStub stands in for the edit: namespace, which only an
// interactive elvish has, so that the hook compiles, and runs, without a
// terminal: in Validate and in tests.
const ElvishEditorStub = "var edit: = (ns [&before-readline=[] &after-readline=[] &add-var~={|name value| }])\n"

// Validate runs elvish -compileonly, so it needs elvish installed. It is
// for tests.
func (elvish) Validate(code string) error {
	cmd := exec.Command("elvish", "-norc", "-compileonly", "/dev/stdin")
	cmd.Stdin = strings.NewReader(ElvishEditorStub + code)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("generated elvish code does not compile: %v: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}
