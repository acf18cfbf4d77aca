// Bash and zsh: the same single-quote quoting and export syntax, each
// parsed in process by mvdan/sh in its own dialect.
package shells

import (
	"fmt"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// posix covers bash and zsh: same quoting, same export syntax, different parser.
type posix struct {
	name    string
	variant syntax.LangVariant
}

// Bash and Zsh are the POSIX-family shells nixld supports.
var (
	Bash Shell = posix{"bash", syntax.LangBash}
	Zsh  Shell = posix{"zsh", syntax.LangZsh}
)

func (p posix) Name() string { return p.name }

func (p posix) HookTemplate() string { return "hook." + p.name }

// Quote uses single quotes, closing them around each embedded quote. Inside
// single quotes bash and zsh take every byte literally, newlines included.
func (posix) Quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func (p posix) Export(ops []Op, fast *Fast) (string, error) {
	code := p.exports(ops, "")
	if fast == nil {
		return code, nil
	}
	keep, err := renderFast(p, "fast."+p.name, fast, p.exports(fast.Leave, "  "))
	return code + keep, err
}

// exports renders ops, each line starting with indent.
func (p posix) exports(ops []Op, indent string) string {
	var b strings.Builder
	for _, op := range ops {
		if op.Unset {
			fmt.Fprintf(&b, "%sunset %s\n", indent, op.Name)
		} else {
			fmt.Fprintf(&b, "%sexport %s=%s\n", indent, op.Name, p.Quote(op.Value))
		}
	}
	return b.String()
}

func (p posix) Validate(code string) error {
	_, err := syntax.NewParser(syntax.Variant(p.variant)).Parse(strings.NewReader(code), p.name)
	if err != nil {
		return fmt.Errorf("generated %s code does not parse: %v", p.name, err)
	}
	return nil
}
