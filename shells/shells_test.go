package shells_test

// Quoting through every real shell, and every template parsed, linted
// and sourced in its shell.

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nixld/nixld/hook"
	"github.com/nixld/nixld/internal/testtools"
	"github.com/nixld/nixld/shells"
	"github.com/nixld/nixld/templates"
	"mvdan.cc/sh/v3/syntax"
)

// hard are values that break naive quoting in at least one shell.
var hard = []string{
	"", " ", "plain", "with space", "tab\there", "new\nline", "trailing\n",
	"$HOME", "${x-y}", "$(echo pwned)", "`echo pwned`", "'", "''", `"`, `\`, `\'`, `'\''`,
	`a\\b`, "!bang", "*?[a]", "~", "~root", "semi;colon", "a|b&c", "<in>out", "#hash", "%s",
	"{a,b}", "(sub)", "::", ":a:", "a::b", "é ü 漢字", "\x01\x7f", "--", "-e", "=",
}

// TestMain runs the tests once every shell they drive is found, nu in
// test.sh's cache too.
func TestMain(m *testing.M) {
	if err := testtools.Find(append(slices.Clone(shells.Names), "shellcheck", "fish_indent")...); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// dumpEnv is code writing the shell's environment, NUL-separated, to a file.
func dumpEnv(sh shells.Shell, file string) string {
	if sh.Name() == "nu" {
		return "^/usr/bin/env -0 o> " + sh.Quote(file) + "\n"
	}
	return "/usr/bin/env -0 > " + sh.Quote(file) + "\n"
}

// argv runs code in sh without the user's configuration.
func argv(sh shells.Shell, code string) []string {
	switch sh.Name() {
	case "fish":
		return []string{"fish", "--no-config", "-c", code}
	case "nu":
		return []string{"nu", "--no-config-file", "-c", code}
	case "elvish":
		return []string{"elvish", "-norc", "-c", shells.ElvishEditorStub + code}
	}
	return []string{sh.Name(), "-c", code}
}

// loadsData tells the shells whose exports are JSON their hooks load.
func loadsData(sh shells.Shell) bool { return sh.Name() == "nu" || sh.Name() == "elvish" }

// applied is code that applies export in sh as the hook does. bash, zsh
// and fish eval it; nu and elvish hooks load it as data, so the real hook
// runs, with a stand-in nixld that prints it.
func applied(t testing.TB, sh shells.Shell, export string) string {
	t.Helper()
	if !loadsData(sh) {
		return export
	}
	dir := t.TempDir()
	data, nixld := filepath.Join(dir, "export"), filepath.Join(dir, "nixld")
	os.WriteFile(data, []byte(export), 0o644)
	os.WriteFile(nixld, []byte("#!/bin/sh\nexec cat "+shells.Bash.Quote(data)+"\n"), 0o755)
	hook, err := shells.Hook(sh, nixld, hook.TrackedNames())
	if err != nil {
		t.Fatal(err)
	}
	return hook + "\n_nixld_export\n"
}

// roundTrip sets each value through sh's Export and reads the variables
// back from a child process's environment, as every program sees them.
func roundTrip(t testing.TB, sh shells.Shell, values []string) {
	t.Helper()
	var ops []shells.Op
	for i, v := range values {
		// Fish and nu keep some variables as lists; cover both kinds.
		ops = append(ops, shells.Op{Name: fmt.Sprintf("NIXLD_T%d", i), Value: v},
			shells.Op{Name: fmt.Sprintf("NIXLD_T%d_PATH", i), Value: v})
	}
	ops = append(ops, shells.Op{Name: "NIXLD_GONE", Unset: true}, shells.Op{Name: "NIXLD_GONE_PATH", Unset: true},
		// PATH itself, which fish and nu keep as lists, with empty entries
		// (each means the working directory) and a space kept as they are.
		shells.Op{Name: "PATH", Value: ":/usr/bin::/with space/it's:/bin:"})
	code, err := shells.Export(sh, ops)
	if err != nil {
		t.Fatal(err)
	}
	if err := sh.Validate(code); err != nil && !loadsData(sh) {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "env")
	code = applied(t, sh, code) + dumpEnv(sh, out)
	a := argv(sh, code)
	cmd := exec.Command(a[0], a[1:]...)
	cmd.Env = append(os.Environ(), "NIXLD_GONE=x", "NIXLD_GONE_PATH=x")
	if msg, err := cmd.CombinedOutput(); err != nil || len(msg) > 0 {
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
		if sh.Name() == "fish" && op.Name == "PATH" {
			// fish itself gives an empty PATH entry to programs as ".".
			entries := strings.Split(op.Value, ":")
			for i, e := range entries {
				entries[i] = cmp.Or(e, ".")
			}
			op.Value = strings.Join(entries, ":")
		}
		switch {
		case op.Unset && ok:
			t.Errorf("%s: %s still set to %q", sh.Name(), op.Name, v)
		case !op.Unset && !ok:
			t.Errorf("%s: %s not set, want %q", sh.Name(), op.Name, op.Value)
		case !op.Unset && v != op.Value:
			t.Errorf("%s: %s = %q, want %q", sh.Name(), op.Name, v, op.Value)
		}
	}
	// nu and elvish only quote nixld's own path into code; check Quote by
	// itself, through each shell's JSON.
	if loadsData(sh) {
		quoteTrip(t, sh, values)
	}
}

// quoteTrip has nu or elvish read each quoted value back and print the
// list as JSON.
func quoteTrip(t testing.TB, sh shells.Shell, values []string) {
	t.Helper()
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = sh.Quote(v)
	}
	code := "[" + strings.Join(quoted, " ") + "] | to json -r\n"
	if sh.Name() == "elvish" {
		code = "put [" + strings.Join(quoted, " ") + "] | to-json\n"
	}
	a := argv(sh, code)
	out, err := exec.Command(a[0], a[1:]...).CombinedOutput()
	if err != nil {
		if len(values) > 1 {
			// Name the value at fault.
			for _, v := range values {
				quoteTrip(t, sh, []string{v})
			}
		}
		t.Fatalf("%s: %v: %s\ncode:\n%s", sh.Name(), err, out, code)
	}
	var got []string
	if err := json.Unmarshal(out, &got); err != nil || !slices.Equal(got, values) {
		t.Fatalf("%s: quoting does not round-trip (%v):\n got %q\nwant %q", sh.Name(), err, got, values)
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

// rendered is one piece of generated code: a template rendered for a
// shell, or an export. source says whether sourcing it on its own in a
// strict shell is meaningful (shims run, direnv-env needs direnv).
type rendered struct {
	name   string
	sh     shells.Shell
	code   string
	source bool
}

// fastFor is what a hook keeps of a project, with value everywhere.
func fastFor(value string) *shells.Fast {
	return &shells.Fast{Config: value + "/.nixld.toml", Content: value, Record: value + "/record", Trust: value,
		Tracked: []string{"PATH", "LD_LIBRARY_PATH", "_NIXLD_STATE"},
		Leave:   []shells.Op{{Name: "PATH", Value: value}, {Name: "_NIXLD_STATE", Unset: true}}, Left: []string{"nixld: left " + value}}
}

// renderAll renders every template for every shell it serves, with value
// for every path, plus the export code of each shell.
func renderAll(t *testing.T, value string) []rendered {
	t.Helper()
	var out []rendered
	names := map[string]bool{}
	add := func(name string, sh shells.Shell, code string, err error, source bool) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, rendered{name + " (" + sh.Name() + ")", sh, code, source})
		names[name] = true
	}
	exportOps := []shells.Op{{Name: "PATH", Value: value + ":/usr/bin"}, {Name: "LD_LIBRARY_PATH", Unset: true}, {Name: "_NIXLD_STATE", Value: value}}
	for _, name := range shells.Names {
		sh, _ := shells.Get(name)
		code, err := shells.Hook(sh, value, hook.TrackedNames())
		add(sh.HookTemplate(), sh, code, err, true)
		if loadsData(sh) {
			// Their exports are JSON, which roundTrip has their hooks load.
			continue
		}
		code, err = shells.Export(sh, exportOps)
		add("export", sh, code, err, true)
		code, err = shells.HookExport(sh, exportOps, fastFor(value))
		add("fast."+sh.Name(), sh, code, err, true)
	}
	// Part of hook.fish, which sources it with $_nixld_self set.
	code, err := templates.Render("hook-code.fish", nil)
	add("hook-code.fish", shells.Fish, code, err, false)
	code, err = shells.Direnv(value)
	add("direnv.bash", shells.Bash, code, err, true)
	// Each way a shim runs its target (see hook.RenderShim).
	q := shells.Bash.Quote
	shim := func(over map[string]any) map[string]any {
		d := map[string]any{
			"Interpreter": "/bin/bash -p", "SystemVar": "NIX_LD_LIBRARY_PATH_x86_64_linux", "Target": q(value), "Project": q(value),
			"DefaultLibs": q("/run/x"), "Libraries": ":" + q(value), "Name": q("python3"), "Wanted": q("python3.11"),
			"Delegate": "", "Argv0Path": `"$0"`, "Loader": "", "Real": "", "Exec": "", "LoaderArgv0": `"$0"`,
			"Wrapper": []string(nil), "Before": "", "After": "", "Affix": false, "ScriptHook": false,
			"TailLD": true, "Source": false, "Stands": false,
		}
		for k, v := range over {
			d[k] = v
		}
		return d
	}
	for _, over := range []map[string]any{
		{},
		{"Libraries": ""},
		{"Argv0Path": `"${__nixld_target}"`},
		{"Source": true},
		{"Stands": true, "Argv0Path": q(value)},
		{"Delegate": q(value)},
		{"TailLD": false},
		{"Loader": q("/lib/ld.so"), "Real": q(value), "Exec": q(value)},
		{"Loader": q("/lib/ld.so"), "Real": q(value), "Exec": q(value), "LoaderArgv0": q("named"), "Affix": true,
			"Wrapper": []string{"export A=" + q(value), "[[ -v B ]] || export B=" + q(value), "unset -v C", "__nixld_affix prefix D ':' " + q(value), "cd -- " + q(value) + " || exit 1"},
			"Before":  " " + q("-a"), "After": " " + q(value)},
		{"Loader": q("/lib/ld.so"), "Exec": q(value), "ScriptHook": true, "TailLD": false},
	} {
		code, err := templates.Render("shim.bash", shim(over))
		add("shim.bash", shells.Bash, code, err, false)
	}
	code, err = templates.Render("direnv-env.bash", map[string]any{
		"Config":  q(value),
		"Exports": []shells.Op{{Name: "PATH", Value: q(value)}, {Name: "VIRTUALENV_PYTHON", Value: q(value)}},
	})
	add("direnv-env.bash", shells.Bash, code, err, false)
	// Every embedded template must be covered above.
	for _, name := range templates.Names() {
		if !names[name] {
			t.Errorf("template %s is not rendered by the lint tests", name)
		}
	}
	return out
}

// TestTemplatesParse parses every rendered piece: mvdan/sh for bash and
// zsh, fish --no-execute for fish.
func TestTemplatesParse(t *testing.T) {
	for _, r := range renderAll(t, awkward) {
		if err := r.sh.Validate(r.code); err != nil {
			t.Errorf("%s: %v", r.name, err)
		}
	}
}

// TestTemplatesLint holds generated code to what zoxide holds its own to:
// shellcheck --enable=all (bash), shfmt's formatting (mvdan/sh's printer,
// which shfmt -i 2 -ci -d runs, and which knows zsh), and fish_indent leaving
// fish code unchanged. It lints a realistic rendering: shellcheck's notes
// on an awkward value would be about the value, which the other tests
// prove quoted.
func TestTemplatesLint(t *testing.T) {
	for _, r := range renderAll(t, "/home/me/.nix-profile/bin/nixld") {
		switch r.sh.Name() {
		case "bash":
			cmd := exec.Command("shellcheck", "--enable=all", "--shell=bash", "-")
			cmd.Stdin = strings.NewReader(r.code)
			if out, err := cmd.CombinedOutput(); err != nil || len(out) > 0 {
				t.Errorf("%s: shellcheck: %v\n%s\n%s", r.name, err, out, r.code)
			}
			fallthrough
		case "zsh":
			variant := syntax.LangBash
			if r.sh.Name() == "zsh" {
				variant = syntax.LangZsh
			}
			f, err := syntax.NewParser(syntax.Variant(variant), syntax.KeepComments(true)).Parse(strings.NewReader(r.code), "")
			if err != nil {
				t.Fatalf("%s: %v", r.name, err)
			}
			var b bytes.Buffer
			syntax.NewPrinter(syntax.Indent(2), syntax.SwitchCaseIndent(true)).Print(&b, f)
			if b.String() != r.code {
				t.Errorf("%s is not shfmt -i 2 -ci clean:\n got %q\nwant %q", r.name, r.code, b.String())
			}
		case "fish":
			cmd := exec.Command("fish_indent")
			cmd.Stdin = strings.NewReader(r.code)
			out, err := cmd.Output()
			if err != nil || string(out) != r.code {
				t.Errorf("%s: fish_indent changes it (%v):\n got %q\nwant %q", r.name, err, r.code, out)
			}
		}
	}
}

// TestTemplatesSource sources each hook, the direnv library and export
// code in the strictest settings a user may have: bash -euo pipefail,
// zsh -euo pipefail --no-rcs, fish --no-config, nu and elvish without
// their config. Nothing may go to stderr. (nu and elvish exports are
// data, which as code is a harmless expression.)
func TestTemplatesSource(t *testing.T) {
	argv := map[string][]string{
		"bash": {"bash", "-euo", "pipefail", "-c", `source "$1"`, "bash"},
		"zsh":  {"zsh", "--no-rcs", "-euo", "pipefail", "-c", `source "$1"`, "zsh"},
		"fish": {"fish", "--no-config", "-c", `source $argv[1]`},
		// nu runs a file as a script; source is for files named in code.
		"nu":     {"nu", "--no-config-file"},
		"elvish": {"elvish", "-norc"},
	}
	dir := t.TempDir()
	for i, r := range renderAll(t, awkward) {
		if !r.source {
			continue
		}
		file := filepath.Join(dir, fmt.Sprint(i))
		code := r.code
		if r.sh.Name() == "elvish" {
			code = shells.ElvishEditorStub + code
		}
		if err := os.WriteFile(file, []byte(code), 0o644); err != nil {
			t.Fatal(err)
		}
		a := argv[r.sh.Name()]
		cmd := exec.Command(a[0], append(a[1:], file)...)
		// The export unsets LD_LIBRARY_PATH, as it does only where it is set.
		cmd.Env = append(os.Environ(), "LD_LIBRARY_PATH=/x")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil || stderr.Len() > 0 {
			t.Errorf("%s: sourcing: %v\n%s", r.name, err, stderr.String())
		}
	}
}

// TestValidateRejects proves the parsers are not vacuous.
func TestValidateRejects(t *testing.T) {
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

// Values that are not UTF-8 (a directory name in another encoding) come
// back byte for byte through bash and zsh, whose exports and shims carry
// them; mvdan.cc/sh parses them.
func TestQuoteRoundTripNotUTF8(t *testing.T) {
	values := []string{"\xff", "caf\xe9", "a'\xfe\\b", "\xc3", "ok\x80\n"}
	for _, sh := range []shells.Shell{shells.Bash, shells.Zsh} {
		roundTrip(t, sh, values)
	}
}

// TestFastReadsBack has each shell's hook keep a project whose config,
// trust record and tracked variables hold every awkward value, and check,
// with its own builtins, that they still hold them: yes (stay within the
// project, leave out of it) as they are, no (run nixld) after the config,
// the trust record or PATH changes by a byte, and out of the project
// after any tracked variable does. With stamps (see Fast.Stamp), the
// bash, zsh and fish hooks look at mtimes instead: the files were written an
// hour ago, and any write since, even of the same bytes, runs nixld.
func TestFastReadsBack(t *testing.T) {
	dir := t.TempDir()
	proj, sub, out := filepath.Join(dir, "proj"), filepath.Join(dir, "proj", "sub"), filepath.Join(dir, "out")
	os.MkdirAll(sub, 0o755)
	os.Mkdir(out, 0o755)
	config, record := filepath.Join(proj, ".nixld.toml"), filepath.Join(dir, "record")
	content, trust := strings.Join(hard, "\n"), strings.Join(hard, "'")+"\n"
	// The tracked variables as the shell has them when it applies the
	// export, which the hook keeps: every third unset.
	values := map[string]string{}
	for i, name := range hook.TrackedNames() {
		switch {
		case name == "PATH":
			values[name] = "/usr/bin:/bin"
		case i%3 != 2:
			values[name] = hard[(7*i)%len(hard)] + "|" + hard[(11*i)%len(hard)]
		}
	}
	stamp := filepath.Join(dir, "stamp")
	// nixld, for the bash, zsh and fish hooks, which walk inline: a stand-in
	// that has the hook say so and stop.
	standIn := filepath.Join(dir, "nixld")
	os.WriteFile(standIn, []byte("#!/bin/sh\necho 'echo nixld; exit'\n"), 0o755)
	// Code that sets name to value after the hook kept the project.
	setVar := func(sh shells.Shell, name, value string) string {
		format := map[string]string{"bash": "export %s=%s", "zsh": "export %s=%s", "fish": "set -gx %s %s",
			"nu": "$env.%s = %s", "elvish": "set-env %s %s"}[sh.Name()]
		return fmt.Sprintf(format, name, sh.Quote(value))
	}
	// PATH changed after the hook kept the project.
	setPath := map[string]string{"bash": "PATH=/bin:/usr/bin", "zsh": "PATH=/bin:/usr/bin", "fish": "set -gx PATH /bin /usr/bin",
		"nu": "$env.PATH = ['/bin' '/usr/bin']", "elvish": "set-env PATH /bin:/usr/bin"}
	// What each shell prints in $DIR: stay, leave, or nixld.
	check := map[string]string{
		"bash":   `cd "$DIR" && _nixld_hook && if [[ -n ${_nixld_config} ]]; then echo stay; else echo leave; fi`,
		"zsh":    `cd "$DIR" && _nixld_hook && if [[ -n ${_nixld_config} ]]; then echo stay; else echo leave; fi`,
		"fish":   `cd $DIR; and if not _nixld_moved; echo nixld; else if set -q _nixld_config; echo stay; else; echo leave; end`,
		"nu":     `cd $env.DIR; print (_nixld_moved $env._nixld_kept)`,
		"elvish": `cd $E:DIR; _nixld_moved $_nixld_kept[0]; echo $_nixld_place`,
	}
	for _, name := range shells.Names {
		for _, stamped := range []bool{false, true} {
			sh, _ := shells.Get(name)
			fast := &shells.Fast{Config: config, Content: content, Record: record, Trust: trust, Tracked: hook.TrackedNames(),
				Leave: []shells.Op{{Name: "_NIXLD_STATE", Unset: true}}, Left: []string{"nixld: left " + proj}}
			if stamped {
				fast.Stamp = stamp
			}
			// The nu and elvish hooks compare content only.
			byMtime := stamped && !loadsData(sh)
			code, err := shells.HookExport(sh, nil, fast)
			if err != nil {
				t.Fatal(err)
			}
			run := func(what, in, want, post string, env ...string) {
				t.Helper()
				os.Remove(filepath.Join(sub, ".nixld.toml"))
				os.Remove(config) // a symlink a row left
				os.WriteFile(config, []byte(content), 0o644)
				os.WriteFile(record, []byte(trust), 0o644)
				hourAgo := time.Now().Add(-time.Hour)
				for i, file := range []string{config, record} {
					t := hourAgo.Add(time.Duration(i) * time.Second)
					os.Chtimes(file, t, t)
					for suffix, d := range map[string]time.Duration{".before": -time.Microsecond, ".after": time.Microsecond} {
						name := stamp + []string{".toml", ".allow"}[i] + suffix
						os.WriteFile(name, nil, 0o644)
						os.Chtimes(name, t.Add(d), t.Add(d))
					}
				}
				for _, kv := range env {
					if file, text, ok := strings.Cut(kv, "\x00"); ok {
						os.WriteFile(file, []byte(text), 0o644)
					}
				}
				script := applied(t, sh, code)
				if !loadsData(sh) {
					hook, err := shells.Hook(sh, standIn, hook.TrackedNames())
					if err != nil {
						t.Fatal(err)
					}
					script = hook + "\n" + code
					if name == "fish" {
						// As _nixld_export does once it applied an export.
						script += "\nset -e _nixld_path_new"
					}
				}
				a := argv(sh, script+"\n"+post+"\n"+check[name]+"\n")
				cmd := exec.Command(a[0], a[1:]...)
				cmd.Env = []string{"HOME=" + dir, "DIR=" + in, "TERM=dumb", "NIXLD_QUIET=1"}
				for k, v := range values {
					cmd.Env = append(cmd.Env, k+"="+v)
				}
				for _, kv := range env {
					if !strings.Contains(kv, "\x00") {
						cmd.Env = append(cmd.Env, kv)
					}
				}
				got, err := cmd.CombinedOutput()
				if g := strings.TrimSpace(string(got)); err != nil || g != want {
					t.Errorf("%s (stamps %v), %s in %s: %q (%v), want %s", name, stamped, what, filepath.Base(in), g, err, want)
				}
			}
			for _, in := range []string{proj, sub, out} {
				kept := map[string]string{proj: "stay", sub: "stay", out: "leave"}[in]
				run("as kept", in, kept, "")
				run("config edited", in, "nixld", "", config+"\x00"+content+" ")
				run("config shortened", in, "nixld", "", config+"\x00"+content[:len(content)-1])
				run("config with a NUL more", in, "nixld", "", config+"\x00"+content+"\x00x")
				run("config emptied", in, "nixld", "", config+"\x00")
				run("trust record rewritten", in, "nixld", "", record+"\x00"+strings.ToUpper(trust))
				run("trust record removed", in, "nixld", "rm -f "+sh.Quote(record))
				if byMtime {
					run("config written again, as it was", in, "nixld", "", config+"\x00"+content)
					run("trust record written again, as it was", in, "nixld", "", record+"\x00"+trust)
				} else {
					run("config written again, as it was", in, kept, "", config+"\x00"+content)
				}
				// Moved aside (a rename keeps its mtime) and linked to: a
				// symlinked config is kept by no hook.
				aside := sh.Quote(config + ".aside")
				run("config moved aside and symlinked to", in, "nixld", "mv "+sh.Quote(config)+" "+aside+"; ln -s "+aside+" "+sh.Quote(config))
				run("PATH changed", in, "nixld", setPath[name])
				if in != out {
					run("a nearer .nixld.toml", in, map[string]string{proj: "stay", sub: "nixld"}[in], "", filepath.Join(sub, ".nixld.toml")+"\x00")
				}
				for _, name := range hook.TrackedNames() {
					if name == "PATH" {
						continue
					}
					// Within the project no other variable matters.
					want := map[string]string{proj: "stay", sub: "stay", out: "nixld"}[in]
					run(name+" changed", in, want, setVar(sh, name, values[name]+"x"))
				}
				// The variables as the shell has them when it applies the
				// export are what the hook keeps, whatever they are.
				run("every variable other at the start", in, kept, "", "UV_PYTHON_PREFERENCE=other", "_NIXLD_DIRENV=")
			}
		}
	}
}
