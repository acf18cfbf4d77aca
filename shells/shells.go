// Package shells knows how each supported shell quotes a value, sets and
// unsets an environment variable, and installs the nixld prompt hook.
package shells

import (
	"fmt"
	"os/exec"
	"regexp"
	"strings"

	"github.com/nixld/nixld/templates"
	"mvdan.cc/sh/v3/syntax"
)

// Op is one change to the environment: set Name to Value, or unset it.
type Op struct {
	Name  string
	Value string
	Unset bool
}

// Shell renders code for one shell.
type Shell interface {
	Name() string
	// Quote returns s as a single word that the shell reads back as s.
	Quote(s string) string
	// Export renders ops as code to eval in a running shell.
	Export(ops []Op) string
	// Validate parses code without running it.
	Validate(code string) error
}

// Names lists the supported shells.
var Names = []string{"bash", "zsh", "fish"}

// Get returns the named shell or a one-line error naming the choices.
func Get(name string) (Shell, error) {
	switch name {
	case "bash":
		return Bash, nil
	case "zsh":
		return Zsh, nil
	case "fish":
		return Fish, nil
	}
	return nil, fmt.Errorf("unsupported shell %s (want bash, zsh or fish)", quoteForMessage(name))
}

// Hook renders the prompt hook for sh, calling the nixld binary at self.
func Hook(sh Shell, self string) (string, error) {
	code, err := templates.Render("hook."+sh.Name(), map[string]string{"Self": sh.Quote(self)})
	if err != nil {
		return "", err
	}
	return checked(sh, code)
}

// Export renders ops for sh, checked like Hook.
func Export(sh Shell, ops []Op) (string, error) {
	return checked(sh, sh.Export(ops))
}

// checked parses code before nixld prints it, wherever that costs no fork:
// bash and zsh in process; fish only in the tests, which run fish itself.
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

// Quote uses single quotes, closing them around each embedded quote. Inside
// single quotes bash and zsh take every byte literally, newlines included.
func (posix) Quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func (p posix) Export(ops []Op) string {
	var b strings.Builder
	for _, op := range ops {
		if op.Unset {
			fmt.Fprintf(&b, "unset %s\n", op.Name)
		} else {
			fmt.Fprintf(&b, "export %s=%s\n", op.Name, p.Quote(op.Value))
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

type fish struct{}

// bareFishWord matches words fish reads back as written: no expansion,
// no tilde or %, no brace, nothing that ends or splits a word.
var bareFishWord = regexp.MustCompile(`^[A-Za-z0-9_./:+@=-]+$`)

// Fish is the fish shell.
var Fish Shell = fish{}

func (fish) Name() string { return "fish" }

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
// by element; that round-trips empty elements too.
func (f fish) Export(ops []Op) string {
	var b strings.Builder
	for _, op := range ops {
		if op.Unset {
			fmt.Fprintf(&b, "set -e -g %s\n", op.Name)
			continue
		}
		fmt.Fprintf(&b, "set -g -x %s", op.Name)
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

// quoteForMessage keeps an arbitrary user string on one line of an error.
func quoteForMessage(s string) string {
	return fmt.Sprintf("%q", s)
}
