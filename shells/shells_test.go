package shells_test

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nixld/nixld/shells"
	"github.com/nixld/nixld/templates"
)

// hard are values that break naive quoting in at least one shell.
var hard = []string{
	"", " ", "plain", "with space", "tab\there", "new\nline", "trailing\n",
	"$HOME", "${x-y}", "$(echo pwned)", "`echo pwned`", "'", "''", `"`, `\`, `\'`, `'\''`,
	`a\\b`, "!bang", "*?[a]", "~", "~root", "semi;colon", "a|b&c", "<in>out", "#hash", "%s",
	"{a,b}", "(sub)", "::", ":a:", "a::b", "é ü 漢字", "\x01\x7f", "--", "-e", "=",
}

// needShell fails the test where a shell is missing: CI installs all of
// them, and none may be skipped.
func needShell(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not installed; the test command installs bash, zsh, fish and direnv", name)
	}
	return path
}

// roundTrip sets each value through sh's Export and reads the variables
// back from a child process's environment, as every program sees them.
func roundTrip(t testing.TB, sh shells.Shell, values []string) {
	t.Helper()
	needShell(t, sh.Name())
	var ops []shells.Op
	for i, v := range values {
		// Fish treats names ending in PATH as colon lists; cover both kinds.
		ops = append(ops, shells.Op{Name: fmt.Sprintf("NIXLD_T%d", i), Value: v},
			shells.Op{Name: fmt.Sprintf("NIXLD_T%d_PATH", i), Value: v})
	}
	ops = append(ops, shells.Op{Name: "NIXLD_GONE", Unset: true}, shells.Op{Name: "NIXLD_GONE_PATH", Unset: true})
	code, err := shells.Export(sh, ops)
	if err != nil {
		t.Fatal(err)
	}
	if err := sh.Validate(code); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "env")
	code += "env -0 > " + sh.Quote(out) + "\n"
	cmd := exec.Command(sh.Name(), "-c", code)
	if sh.Name() == "fish" {
		cmd = exec.Command("fish", "--no-config", "-c", code)
	}
	cmd.Env = append(os.Environ(), "NIXLD_GONE=x", "NIXLD_GONE_PATH=x")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s\ncode:\n%s", sh.Name(), err, msg, code)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, kv := range bytes.Split(data, []byte{0}) {
		if k, v, ok := strings.Cut(string(kv), "="); ok {
			got[k] = v
		}
	}
	for _, op := range ops {
		v, ok := got[op.Name]
		switch {
		case op.Unset && ok:
			t.Errorf("%s: %s still set to %q", sh.Name(), op.Name, v)
		case !op.Unset && !ok:
			t.Errorf("%s: %s not set, want %q", sh.Name(), op.Name, op.Value)
		case !op.Unset && v != op.Value:
			t.Errorf("%s: %s = %q, want %q", sh.Name(), op.Name, v, op.Value)
		}
	}
}

func TestQuoteRoundTripHardCases(t *testing.T) {
	for _, name := range shells.Names {
		sh, _ := shells.Get(name)
		t.Run(name, func(t *testing.T) { roundTrip(t, sh, hard) })
	}
}

// TestQuoteRoundTripRandom is a fuzz run with a fixed seed, so CI repeats
// it exactly: hundreds of random values, each shell run once.
func TestQuoteRoundTripRandom(t *testing.T) {
	const alphabet = " \t\n$'\"\\`!*?[]{}()<>|&;#~%:=-_/.aZ9é漢\x01\x1b\x7f"
	runes := []rune(alphabet)
	rng := rand.New(rand.NewSource(20261125))
	values := make([]string, 300)
	for i := range values {
		var b strings.Builder
		for n := rng.Intn(12); n > 0; n-- {
			b.WriteRune(runes[rng.Intn(len(runes))])
		}
		values[i] = b.String()
	}
	for _, name := range shells.Names {
		sh, _ := shells.Get(name)
		t.Run(name, func(t *testing.T) { roundTrip(t, sh, values) })
	}
}

// FuzzQuote: go test ./shells -fuzz FuzzQuote
func FuzzQuote(f *testing.F) {
	for _, v := range hard {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if strings.ContainsRune(v, 0) || !isValidUTF8(v) {
			t.Skip("environment values hold no NUL; shells read UTF-8")
		}
		for _, name := range shells.Names {
			sh, _ := shells.Get(name)
			roundTrip(t, sh, []string{v})
		}
	})
}

func isValidUTF8(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }

// awkward is a nixld path that needs every kind of quoting.
const awkward = "/opt/it's a \"$HOME\" `dir`\\\nwith\ttabs/nixld"

// TestTemplatesParse renders every template for every shell it serves and
// parses the result: mvdan/sh for bash and zsh, fish --no-execute for fish.
func TestTemplatesParse(t *testing.T) {
	needShell(t, "fish")
	rendered := 0
	for _, name := range shells.Names {
		sh, _ := shells.Get(name)
		code, err := shells.Hook(sh, awkward)
		if err != nil {
			t.Fatal(err)
		}
		if err := sh.Validate(code); err != nil {
			t.Errorf("hook %s: %v", name, err)
		}
		rendered++
	}
	code, err := shells.Direnv(awkward)
	if err != nil {
		t.Fatal(err)
	}
	if err := shells.Bash.Validate(code); err != nil {
		t.Errorf("direnv: %v", err)
	}
	rendered++
	for _, argv0 := range []bool{true, false} {
		code, err := templates.Render("shim.bash", map[string]any{
			"Interpreter": "/bin/bash", "Target": shells.Bash.Quote(awkward), "Project": shells.Bash.Quote(awkward),
			"DefaultLibs": shells.Bash.Quote("/run/x"), "Libraries": ":" + shells.Bash.Quote(awkward), "Argv0": argv0,
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := shells.Bash.Validate(code); err != nil {
			t.Errorf("shim: %v", err)
		}
	}
	rendered++
	code, err = templates.Render("direnv-env.bash", map[string]string{
		"Config": shells.Bash.Quote(awkward), "Bin": shells.Bash.Quote(awkward), "LD": shells.Bash.Quote(awkward),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := shells.Bash.Validate(code); err != nil {
		t.Errorf("direnv-env: %v", err)
	}
	rendered++
	// Every embedded template must be covered above.
	if want := len(templates.Names()); rendered != want {
		t.Errorf("rendered %d templates, have %d: %v", rendered, want, templates.Names())
	}
}

// TestValidateRejects proves the parsers are not vacuous.
func TestValidateRejects(t *testing.T) {
	needShell(t, "fish")
	for _, name := range shells.Names {
		sh, _ := shells.Get(name)
		if err := sh.Validate("if true; then\n"); err == nil && name != "fish" {
			t.Errorf("%s accepted an unterminated if", name)
		}
		if err := sh.Validate("echo 'unterminated\n"); err == nil {
			t.Errorf("%s accepted an unterminated quote", name)
		}
	}
}

func TestGetUnknown(t *testing.T) {
	_, err := shells.Get("tc\nsh")
	if err == nil || strings.Contains(err.Error(), "\n") {
		t.Fatalf("want a one-line error, got %v", err)
	}
}
