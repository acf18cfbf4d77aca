// Package shells knows how each supported shell quotes a value, sets and
// unsets an environment variable, and installs the nixld prompt hook.
package shells

import (
	"fmt"
	"strings"

	"github.com/nixld/nixld/templates"
)

// Op is one change to the environment: set Name to Value, or unset it.
type Op struct {
	Name  string
	Value string
	Unset bool
}

// Shell renders code for one shell. Each lives in a file of its own.
type Shell interface {
	Name() string
	// HookTemplate names the template of the shell's prompt hook.
	HookTemplate() string
	// Quote returns s as a single word that the shell reads back as s.
	Quote(s string) string
	// Export renders ops as what the hook applies: code to eval, or for
	// nu and elvish data the hook loads; with fast, also what the hook
	// keeps of the project entered (see Fast).
	Export(ops []Op, fast *Fast) (string, error)
	// Validate parses code without running it.
	Validate(code string) error
}

// Names lists the supported shells.
var Names = []string{"bash", "zsh", "fish", "nu", "elvish"}

// Get returns the named shell or a one-line error naming the choices.
func Get(name string) (Shell, error) {
	switch name {
	case "bash":
		return Bash, nil
	case "zsh":
		return Zsh, nil
	case "fish":
		return Fish, nil
	case "nu":
		return Nu, nil
	case "elvish":
		return Elvish, nil
	}
	return nil, fmt.Errorf("unsupported shell %s (want %s)", quoteForMessage(name), NameList())
}

// NameList names the supported shells for messages: "bash, zsh, ... or elvish".
func NameList() string {
	return strings.Join(Names[:len(Names)-1], ", ") + " or " + Names[len(Names)-1]
}

// Hook renders the prompt hook for sh, calling the nixld binary at self.
// tracked names the variables nixld tracks (hook.TrackedNames), which
// the nu and elvish hooks compare with what nixld left them as.
func Hook(sh Shell, self string, tracked []string) (string, error) {
	data := map[string]any{"Self": sh.Quote(self), "Tracked": tracked}
	if sh.Name() == "fish" {
		// fish's hook is a string that bash and zsh read too (see
		// hook.fish): its code holds no quote or backslash, and nixld's
		// path goes in %-encoded.
		code, err := templates.Render("hook-code.fish", nil)
		if err != nil {
			return "", err
		}
		if strings.ContainsAny(code, `'\`) {
			return "", fmt.Errorf("hook-code.fish holds a quote or a backslash")
		}
		if strings.HasSuffix(self, "\n") {
			// string collect drops it.
			return "", fmt.Errorf("fish's hook can't call a nixld whose path ends in a newline")
		}
		data = map[string]any{"Self": percentEncode(self), "Code": code}
	}
	code, err := templates.Render(sh.HookTemplate(), data)
	if err != nil {
		return "", err
	}
	return checked(sh, code)
}

// percentEncode writes every byte of s but letters, digits and /._- as
// %XX, which fish's string unescape --style=url reads back.
func percentEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("/._-", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// Export renders ops for sh, checked like Hook.
func Export(sh Shell, ops []Op) (string, error) {
	return HookExport(sh, ops, nil)
}

// checked parses code before nixld prints it, wherever that costs no fork:
// bash and zsh in process; fish, nu and elvish only in the tests, which
// run those shells themselves.
func checked(sh Shell, code string) (string, error) {
	if p, ok := sh.(posix); ok {
		if err := p.Validate(code); err != nil {
			return "", err
		}
	}
	return code, nil
}

// Direnv renders the direnv library defining use_nixld.
func Direnv(self string) (string, error) {
	code, err := templates.Render("direnv.bash", map[string]string{"Self": Bash.Quote(self)})
	if err != nil {
		return "", err
	}
	return checked(Bash, code)
}

// quoteForMessage keeps an arbitrary user string on one line of an error.
func quoteForMessage(s string) string {
	return fmt.Sprintf("%q", s)
}
