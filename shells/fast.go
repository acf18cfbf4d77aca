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
// the export left it (within the project, where nothing is then to be
// done), or the walk finds no .nixld.toml at all and every variable in
// Tracked is as the export left it (out of it, where Leave is). The hook
// takes those values from the shell itself, right after applying the
// export: they are what nixld computed the export and Leave from (the
// shell's own, exported, with the export's changes), and a long PATH or
// LD_LIBRARY_PATH is not printed again.
type Fast struct {
	// Config is the project's .nixld.toml, named as the hook's walk up
	// from $PWD names it: the logical directory, then /.nixld.toml.
	Config string
	// Content is Config's content (UTF-8 text without NUL, at most
	// MaxFastContent bytes), and Trust the content of the trust record
	// at Record: both must read back byte for byte.
	Content, Record, Trust string
	// Stamp, where set, is what the names of four empty files begin
	// with: Stamp.toml.before has an mtime a microsecond before Config's
	// and Stamp.toml.after one a microsecond after it, as it was when it
	// read back as Content, long enough after it last changed for any
	// change since to show in its mtime; Stamp.allow.before and .after
	// stand so for Record. The bash, zsh and fish hooks then compare
	// mtimes (-nt and -ot, to the nanosecond) rather than content, which
	// costs bash a fifth as much; nu and elvish have no builtin that tells
	// an mtime that finely, and compare content.
	Stamp string
	// Tracked names every variable nixld tracks, in its order. An unset
	// one and an empty one count the same: nixld's leave treats them
	// alike.
	Tracked []string
	// Leave is what leaving does to those variables (never nothing: it
	// unsets _NIXLD_STATE at least), valid while they are as the export
	// left them, and Left the lines it shows on stderr unless
	// $NIXLD_QUIET is set.
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
	for _, v := range []string{f.Config, f.Content, f.Record, f.Trust, f.Stamp} {
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

// renderFast renders the named template (fast.bash, fast.zsh, fast.fish)
// with f's values quoted for sh, and the code of f.Leave.
func renderFast(sh Shell, name string, f *Fast, leave string) (string, error) {
	// Each tracked variable and where the hook keeps its value: bash
	// counts from 0, zsh and fish from 1.
	type tracked struct {
		Name string
		At   int
	}
	same := make([]tracked, len(f.Tracked))
	for i, name := range f.Tracked {
		same[i] = tracked{name, i}
		if sh.Name() != "bash" {
			same[i].At++
		}
	}
	// Dir is Config's directory, and Root the same without a trailing
	// slash: "" for "/", so that Root/* matches every directory below.
	dir := filepath.Dir(f.Config)
	return templates.Render(name, map[string]any{"Dir": sh.Quote(dir), "Root": sh.Quote(strings.TrimSuffix(dir, "/")),
		"Config": sh.Quote(f.Config), "Content": sh.Quote(f.Content), "Record": sh.Quote(f.Record),
		"Trust": sh.Quote(f.Trust), "Stamp": sh.Quote(f.Stamp), "Left": sh.Quote(strings.Join(f.Left, "\n")),
		"Depth": len(strings.FieldsFunc(f.Config, func(r rune) bool { return r == '/' })),
		"Same":  same, "Leave": leave,
	})
}
