// Fish: single quotes where needed, PATH-like variables as lists, and
// fish --no-execute as the parser.
package shells

import (
	"fmt"
	"os/exec"
	"regexp"
	"strings"
)

type fish struct{}

// bareFishWord matches words fish reads back as written: no expansion,
// no tilde or %, no brace, nothing that ends or splits a word.
var bareFishWord = regexp.MustCompile(`^[A-Za-z0-9_./:+@=-]+$`)

// Fish is the fish shell.
var Fish Shell = fish{}

func (fish) Name() string { return "fish" }

func (fish) HookTemplate() string { return "hook.fish" }

// Quote uses single quotes, where fish only gives meaning to \' and \\.
// A word that needs none is left bare, as fish_indent would write it.
func (fish) Quote(s string) string {
	if bareFishWord.MatchString(s) {
		return s
	}
	s = strings.ReplaceAll(s, `\`, `\\`)
	return "'" + strings.ReplaceAll(s, "'", `\'`) + "'"
}

// Export sets variables globally. Fish keeps variables whose name ends in
// PATH as lists it joins with ':' when exporting, so those are given element
// by element; that round-trips empty elements too, except in PATH itself,
// where fish gives programs "." for one, as it does from its start.
func (f fish) Export(ops []Op, fast *Fast) (string, error) {
	code := f.exports(ops, "")
	if fast == nil {
		return code, nil
	}
	keep, err := renderFast(f, "fast.fish", fast, f.exports(fast.Leave, "    "))
	return code + keep, err
}

// exports renders ops, each line starting with indent.
func (f fish) exports(ops []Op, indent string) string {
	var b strings.Builder
	for _, op := range ops {
		if op.Unset {
			fmt.Fprintf(&b, "%sset -e -g %s\n", indent, op.Name)
			continue
		}
		fmt.Fprintf(&b, "%sset -g -x %s", indent, op.Name)
		parts := []string{op.Value}
		if strings.HasSuffix(op.Name, "PATH") {
			parts = strings.Split(op.Value, ":")
		}
		for _, part := range parts {
			b.WriteString(" " + f.Quote(part))
		}
		b.WriteString("\n")
	}
	return b.String()
}

// Validate runs fish --no-execute, so it needs fish installed. It is for
// tests; nixld itself never forks a shell to check its output.
func (fish) Validate(code string) error {
	cmd := exec.Command("fish", "--no-config", "--no-execute")
	cmd.Stdin = strings.NewReader(code)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("generated fish code does not parse: %v: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}
