// Bash and zsh: the same single-quote quoting and export syntax, each
// parsed in process by mvdan/sh in its own dialect.
package shells

import (
	"fmt"
	"strings"
	"unicode/utf8"

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
// A value that is not UTF-8 (a directory name in another encoding) is
// written in ANSI-C quotes instead, each such byte as \xHH, which both
// shells read back byte for byte and mvdan.cc/sh parses.
func (posix) Quote(s string) string {
	if !utf8.ValidString(s) {
		return ansiC(s)
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// ansiC quotes s as $'...': printable ASCII as it is, but for \ and ',
// and every other byte as \xHH.
func ansiC(s string) string {
	var b strings.Builder
	b.WriteString("$'")
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' || c == '\'':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c >= 0x20 && c < 0x7f:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, `\x%02x`, c)
		}
	}
	b.WriteByte('\'')
	return b.String()
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
