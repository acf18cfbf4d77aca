// Nushell: values quoted as nu string literals, exports as data the hook
// loads with load-env, and nu --ide-check as the parser.
package shells

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
)

type nu struct{}

// Nu is nushell.
var Nu Shell = nu{}

func (nu) Name() string { return "nu" }

func (nu) HookTemplate() string { return "hook.nu" }

// Quote uses single quotes, inside which nu takes every character
// literally. A value holding one gets double quotes, escaping backslash,
// double quote and control characters.
func (nu) Quote(s string) string {
	if !strings.Contains(s, "'") {
		return "'" + s + "'"
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '\\' || r == '"':
			b.WriteString(`\` + string(r))
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u{%x}`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// Export gives PATH as a list: nu keeps it as one, and converts it back
// to a string for the programs it runs.
func (nu) Export(ops []Op, fast *Fast) (string, error) {
	return dataExport(ops, true, fast), nil
}

// Validate runs nu --ide-check, so it needs nu installed. It is for tests.
func (nu) Validate(code string) error {
	cmd := exec.Command("nu", "--no-config-file", "--ide-check", "100", "/dev/stdin")
	cmd.Stdin = strings.NewReader(code)
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("nu --ide-check: %v", err)
	}
	// One JSON object a line: diagnostics among type hints.
	for line := range strings.Lines(string(out)) {
		var d struct{ Type, Severity, Message string }
		if json.Unmarshal([]byte(line), &d) == nil && d.Type == "diagnostic" {
			return fmt.Errorf("generated nu code does not parse: %s: %s", d.Severity, d.Message)
		}
	}
	return nil
}
