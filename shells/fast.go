// What nixld export gives a hook besides the changes themselves: the
// project it entered, as the hook keeps it so that a cd within that
// project, or out of it, needs no nixld.
package shells

import (
	"fmt"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/nixld/nixld/templates"
)

// Fast is a project nixld entered (or found the shell already in), as the
// hook keeps it in the shell alone (never exported): a later cd runs no
// nixld while Config and Record still hold Content and Trust and either
// the walk up from the new directory finds Config again and PATH is as
// Same says (within the project, where nothing is then to be done), or
// the walk finds no .nixld.toml at all and every variable nixld tracks
// is as Same says (out of it, where Leave is).
type Fast struct {
	// Config is the project's .nixld.toml, named as the hook's walk up
	// from $PWD names it: the logical directory, then /.nixld.toml.
	Config string
	// Content is Config's content (UTF-8 text without NUL, at most
	// MaxFastContent bytes), and Trust the content of the trust record
	// at Record: both must read back byte for byte.
	Content, Record, Trust string
	// Same is every variable nixld tracks, in its order, as entering
	// left it; Unset for one unset. An unset variable and an empty one
	// count the same: nixld's leave treats them alike.
	Same []Op
	// Leave is what leaving does to those variables (never nothing: it
	// unsets _NIXLD_STATE at least), valid while they are as Same says,
	// and Left the lines it shows on stderr unless $NIXLD_QUIET is set.
	Leave []Op
	Left  []string
}

// MaxFastContent bounds Fast.Content: the hooks read at most one byte
// more, so that a larger file never reads back the same.
const MaxFastContent = 64 << 10

// HookExport renders ops for sh's hook, with what the hook keeps of the
// project entered (nil: none, and the hook forgets any it kept).
func HookExport(sh Shell, ops []Op, fast *Fast) (string, error) {
	if fast != nil {
		if err := fast.check(sh); err != nil {
			return "", err
		}
	}
	code, err := sh.Export(ops, fast)
	if err != nil {
		return "", err
	}
	return checked(sh, code)
}

// check refuses values no shell can hold or read back.
func (f *Fast) check(sh Shell) error {
	for _, v := range []string{f.Config, f.Content, f.Record, f.Trust} {
		if strings.IndexByte(v, 0) >= 0 || !utf8.ValidString(v) {
			return fmt.Errorf("%s keeps only UTF-8 text without NUL bytes", sh.Name())
		}
	}
	if len(f.Leave) == 0 {
		return fmt.Errorf("leaving changes at least $_NIXLD_STATE")
	}
	if len(f.Content) > MaxFastContent {
		return fmt.Errorf("a .nixld.toml of %d bytes is more than the hook keeps", len(f.Content))
	}
	return nil
}

// sameValue is what the hooks compare a variable with: its value, or ""
// where Same has it unset.
func sameValue(op Op) string {
	if op.Unset {
		return ""
	}
	return op.Value
}

// renderFast renders the named template (fast.bash, fast.zsh, fast.fish)
// with f's values quoted for sh, and the code of f.Leave.
func renderFast(sh Shell, name string, f *Fast, leave string) (string, error) {
	same := make([]Op, len(f.Same))
	for i, op := range f.Same {
		same[i] = Op{Name: op.Name, Value: sh.Quote(sameValue(op))}
		switch {
		case op.Name == "PATH" && sh.Name() == "fish":
			// Kept once, in _nixld_entered_path: PATH may be long.
			same[i].Value = `x"$_nixld_entered_path"`
		case op.Name == "PATH":
			same[i].Value = `"${_nixld_entered_path}"`
		case sh.Name() == "fish":
			// Compared as x"$NAME" = x'value': nothing fish's test
			// reads as an operator.
			same[i].Value = sh.Quote("x" + sameValue(op))
		}
	}
	return templates.Render(name, map[string]any{"Dir": sh.Quote(filepath.Dir(f.Config)),
		"Config": sh.Quote(f.Config), "Content": sh.Quote(f.Content), "Record": sh.Quote(f.Record),
		"Trust": sh.Quote(f.Trust), "Left": sh.Quote(strings.Join(f.Left, "\n")),
		"Depth": len(strings.FieldsFunc(f.Config, func(r rune) bool { return r == '/' })),
		"Same":  same, "Leave": leave,
	})
}
