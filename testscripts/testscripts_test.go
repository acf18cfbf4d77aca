// Package testscripts runs nixld end to end: each testdata/*.txtar drives
// real interactive bash, zsh, fish, nu and elvish sessions on a pty, with a real
// Python and a probe library that only $NIX_LD_LIBRARY_PATH provides.
package testscripts

import (
	"bytes"
	"cmp"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/nixld/nixld/hook"
	"github.com/nixld/nixld/internal/testtools"
	"github.com/rogpeppe/go-internal/testscript"
)

// world is built once: the nixld binary, the probe libraries, a bin
// directory with python3 and friends. Every script gets it read-only.
type world struct {
	dir   string // holds all of it, and what tests extract once (nixLibs)
	bin   string // nixld (a logging wrapper), python3, python3.X, envdump
	nixld string // the real binary
	nixLD string // holds libnixldprobe.so: what $NIX_LD_LIBRARY_PATH names
	wheel string // libwheel.so, which needs libnixldprobe.so
	probe string // probe.py: loads libwheel.so like an import would
	// withPackages holds python3.withPackages-like environments around
	// Debian's python3.11 and a profile leading to one (see
	// buildWithPackages).
	withPackages string
	nixosLibs    string // what bin/nixos-sandbox adds to NIX_LD_LIBRARY_PATH
}

var w world

// needs are the programs the tests drive (the benchmark's peers it finds
// itself); TestMain runs nothing unless all are found.
var needs = []string{"bash", "zsh", "fish", "nu", "elvish", "direnv", "cc", "python3", "nix-instantiate", "nix-store", "nix-hash",
	"man", "bwrap", "virtualenv", "poetry", "tox", "pipx", "strace", "setpriv"}

func TestMain(m *testing.M) {
	if err := testtools.Find(needs...); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	dir, err := os.MkdirTemp("", "nixld-testscripts-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// Other users run these programs too (see TestHookWalkMatchesNixld).
	os.Chmod(dir, 0o755)
	if err := w.build(dir); err != nil {
		fmt.Fprintln(os.Stderr, "testscripts setup:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func run(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out)), nil
}

func (w *world) build(dir string) error {
	w.dir = dir
	w.bin = filepath.Join(dir, "bin")
	w.nixLD = filepath.Join(dir, "nix-ld-lib")
	wheelDir := filepath.Join(dir, "site-packages")
	for _, d := range []string{w.bin, w.nixLD, wheelDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	w.nixld = filepath.Join(dir, "nixld")
	if err := buildStatic(w.nixld); err != nil {
		return err
	}
	// The wrapper logs each call, so tests can count forks per prompt; it
	// keeps its own name in argv[0], so the hooks call it, not the binary.
	wrapper := fmt.Sprintf("#!/bin/bash\nprintf '%%s\\n' \"$*\" >> \"${NIXLD_LOG:-/dev/null}\"\nexec -a \"$0\" %q \"$@\"\n", w.nixld)
	if err := os.WriteFile(filepath.Join(w.bin, "nixld"), []byte(wrapper), 0o755); err != nil {
		return err
	}
	envdump := `#!/bin/sh
# envdump NAME...: NAME=value, or NAME unset
for n in "$@"; do
  if v=$(printenv "$n"); then printf '%s=%s\n' "$n" "$v"; else printf '%s unset\n' "$n"; fi
done
`
	if err := os.WriteFile(filepath.Join(w.bin, "envdump"), []byte(envdump), 0o755); err != nil {
		return err
	}

	// The probe: libwheel.so stands for a wheel's extension module, linked
	// against a library that NixOS only has in the nix-ld directory.
	src := filepath.Join(dir, "src")
	os.MkdirAll(src, 0o755)
	os.WriteFile(filepath.Join(src, "probe.c"), []byte("int nixld_probe(void) { return 42; }\n"), 0o644)
	os.WriteFile(filepath.Join(src, "wheel.c"), []byte("int nixld_probe(void);\nint wheel_answer(void) { return nixld_probe(); }\n"), 0o644)
	var err error
	if _, err = run("cc", "-shared", "-fPIC", "-o", filepath.Join(w.nixLD, "libnixldprobe.so"), filepath.Join(src, "probe.c")); err != nil {
		return err
	}
	w.wheel = filepath.Join(wheelDir, "libwheel.so")
	if _, err := run("cc", "-shared", "-fPIC", "-o", w.wheel, filepath.Join(src, "wheel.c"), "-L"+w.nixLD, "-lnixldprobe"); err != nil {
		return err
	}
	w.probe = filepath.Join(dir, "probe.py")
	probe := `import ctypes, sys
try:
    print("probe", ctypes.CDLL(sys.argv[1]).wheel_answer())
except OSError as e:
    print("probe failed:", e)
`
	if err := os.WriteFile(w.probe, []byte(probe), 0o644); err != nil {
		return err
	}

	if err := buildNixTool(dir, w.bin, w.nixLD); err != nil {
		return err
	}
	if w.withPackages, err = buildWithPackages(filepath.Join(dir, "withpackages")); err != nil {
		return err
	}
	if w.nixosLibs, err = buildNixOSSandbox(filepath.Join(dir, "nixos"), w.bin); err != nil {
		return err
	}

	// A real interpreter, reached through python3 and python3.X links as
	// on a NixOS profile.
	info, err := run("python3", "-c", "import os, sys; print(os.path.realpath(sys.executable)); print('%d.%d' % sys.version_info[:2])")
	if err != nil {
		return err
	}
	python, version, _ := strings.Cut(info, "\n")
	for _, name := range []string{"python3", "python" + version} {
		if err := os.Symlink(python, filepath.Join(w.bin, name)); err != nil {
			return err
		}
	}
	return nil
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata",
		RequireExplicitExec: true,
		Setup:               setup,
		Cmds:                map[string]func(*testscript.TestScript, bool, []string){"shell": shellCmd, "forall": forallCmd, "pytools": pytoolsCmd, "readme": readmeCmd, "nixlibs": nixLibsCmd},
	})
}

func setup(e *testscript.Env) error {
	home := filepath.Join(e.WorkDir, "home")
	for _, dir := range []string{"fish", "nushell", "elvish"} {
		if err := os.MkdirAll(filepath.Join(home, ".config", dir), 0o755); err != nil {
			return err
		}
	}
	e.Setenv("HOME", home)
	e.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	e.Setenv("PATH", w.bin+":/usr/bin:/bin")
	e.Setenv("NIX_LD_LIBRARY_PATH", w.nixLD)
	e.Setenv("WHEEL", w.wheel)
	e.Setenv("NIXLD_BIN", w.nixld)
	e.Setenv("SYSTEM_NIX_LD_VAR", hook.SystemNixLDVar)
	repo, err := filepath.Abs("..")
	if err != nil {
		return err
	}
	e.Setenv("REPO", repo)
	// bash-completion, where Debian has it unless the flake's check says.
	completion := os.Getenv("BASH_COMPLETION_SCRIPT")
	if completion == "" {
		completion = "/usr/share/bash-completion/bash_completion"
	}
	e.Setenv("BASH_COMPLETION_SCRIPT", completion)
	e.Setenv("PROBE", w.probe)
	e.Setenv("WITHPACKAGES", w.withPackages)
	e.Setenv("NIXOS_LIBS", w.nixosLibs)
	// nu, which test.sh's cache may hold, off the scripts' PATH.
	nu, err := exec.LookPath("nu")
	if err != nil {
		return err
	}
	e.Setenv("NU", nu)
	e.Setenv("TERM", "dumb")
	e.Setenv("LANG", "C.UTF-8")
	// The rc files a user would write; scripts may replace them. Each
	// prompt carries its number, which the shell command waits for, and
	// shows the last command's status as a user's own prompt hook saw it,
	// running after nixld's: the hook must keep it.
	rc := map[string]string{
		".bashrc": `PROMPT_COMMAND='__st=$?'
PS1='[$__st]@NIXLD-PROMPT-\#@ '
eval "$(nixld hook bash)"
`,
		".zshrc": `unsetopt PROMPT_SP
__test_status() { typeset -g __st=$? }
precmd_functions=(__test_status)
setopt PROMPT_SUBST
PROMPT='[$__st]@NIXLD-PROMPT-%!@ '
eval "$(nixld hook zsh)"
`,
		".config/fish/config.fish": `set -g fish_greeting
set -g __test_prompts 0
function __test_count --on-event fish_prompt; set -g __test_prompts (math $__test_prompts + 1); end
function fish_prompt; printf '[%s]@NIXLD-PROMPT-%s@ ' $status $__test_prompts; end
nixld hook fish | source
`,
		// Prompts are counted in a file: hiding an overlay (a venv's
		// deactivate) takes back every change to $env made under it.
		// nu sources files as it parses, so the hook is saved by env.nu,
		// which nu runs first, for config.nu to source: the way to keep it
		// current across upgrades that the README gives.
		".config/nushell/env.nu": `mkdir ~/.cache/nixld
nixld hook nu | save -f ~/.cache/nixld/init.nu
`,
		".config/nushell/config.nu": `$env.config.show_banner = false
$env.config.history.file_format = 'plaintext'
$env.PROMPT_COMMAND_RIGHT = ''
$env.PROMPT_INDICATOR = ''
$env.config.hooks.pre_prompt = [{|| '.' | save --append $'($env.T)/prompts' }]
$env.PROMPT_COMMAND = {|| $'[($env.LAST_EXIT_CODE)]@NIXLD-PROMPT-(open --raw $'($env.T)/prompts' | str length)@ ' }
source ~/.cache/nixld/init.nu
`,
		// elvish redraws only the cells of its prompt that changed, which
		// a transcript cannot show; the numbered line is printed instead,
		// after nixld's hook. elvish has no exit status: 1 means the last
		// command raised an exception.
		".config/elvish/rc.elv": `eval (nixld hook elvish | slurp)
var __test_prompts = 0
var __test_status = 0
set edit:after-command = [{|m| if (eq $m[error] $nil) { set __test_status = 0 } else { set __test_status = 1 } }]
set edit:before-readline = [$@edit:before-readline {|| set __test_prompts = (+ $__test_prompts 1); echo '['$__test_status']@NIXLD-PROMPT-'$__test_prompts'@' }]
set edit:prompt = {|| put '> ' }
set edit:rprompt = {|| }
`,
	}
	for name, content := range rc {
		if err := os.WriteFile(filepath.Join(home, name), []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// prompt matches a numbered prompt. Fish redraws its prompt as it reads
// a line, so prompts are counted by their distinct numbers.
var prompt = regexp.MustCompile(`@NIXLD-PROMPT-([0-9]+)@`)

func prompts(screen string) int {
	seen := map[string]bool{}
	for _, m := range prompt.FindAllStringSubmatch(ansi.ReplaceAllString(screen, ""), -1) {
		seen[m[1]] = true
	}
	return len(seen)
}

var (
	ansi = regexp.MustCompile(`\x1b(\[[0-9;?=>]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[()][0-9A-Za-z]|[=>78MDEHc])`)
	// timeout is a hang guard for each prompt of a session and for its
	// exit: a line takes under a second, and a few on a busy machine (a
	// venv made, nu started), which must not fail a test.
	timeout = 60 * time.Second
)

// weird is a directory name that needs every kind of quoting.
const weird = "it's a \"$HOME\" `dir`\\ with\ttab and\nnewline"

// allShells are the shells nixld supports, each driven by the tests.
var allShells = []string{"bash", "zsh", "fish", "nu", "elvish"}

// runCode is, per shell, how to run code given as the next argument,
// without the user's configuration.
var runCode = map[string][]string{"bash": {"bash", "--norc", "-c"}, "zsh": {"zsh", "-f", "-c"}, "fish": {"fish", "--no-config", "-c"},
	"nu": {"nu", "--no-config-file", "-c"}, "elvish": {"elvish", "-norc", "-c"}}

var shellArgv = map[string][]string{"bash": {"bash", "-i"}, "zsh": {"zsh", "-i"}, "fish": {"fish", "-i"}, "nu": {"nu"}, "elvish": {"elvish"}}

// cursorQuery is how nu's line editor asks where the cursor is; it waits
// for the answer, which a terminal gives.
var cursorQuery = []byte("\x1b[6n")

// shellCmd: shell [-e NAME]... [-as DIR] bash|zsh|fish|nu|elvish FILE
//
// It starts the shell interactively on a pty, as a terminal would, and
// types each line of FILE after the previous prompt appeared, then exit.
// What the terminal showed, cleaned of escapes, becomes stdout and
// $WORK/SHELL/transcript. Each shell gets its own directory $T=$WORK/SHELL
// (or $WORK/DIR), where it starts, with $OUT=$T/out for results and its
// own $NIXLD_LOG; $WEIRD is a name to make directories with. -e passes a
// variable through; -as lets one script run a shell twice.
//
// A line "^C after REGEX" is not typed: after the line before it, instead
// of waiting for the prompt, it waits for REGEX to show on the screen,
// then presses Ctrl-C (the pty sends SIGINT to the foreground process
// group, as a terminal does), and then waits for the prompt.
func shellCmd(ts *testscript.TestScript, neg bool, args []string) {
	pass := []string{"HOME", "XDG_CONFIG_HOME", "PATH", "NIX_LD_LIBRARY_PATH", "WHEEL", "PROBE", "TERM", "LANG", "WORK", "TMPDIR"}
	name := ""
	for len(args) > 2 && (args[0] == "-e" || args[0] == "-as") {
		if args[0] == "-e" {
			pass = append(pass, args[1])
		} else {
			name = args[1]
		}
		args = args[2:]
	}
	if len(args) != 2 || shellArgv[args[0]] == nil {
		ts.Fatalf("usage: shell [-e NAME]... [-as DIR] bash|zsh|fish|nu|elvish FILE")
	}
	sh := args[0]
	lines := strings.Split(strings.TrimRight(ts.ReadFile(args[1]), "\n"), "\n")
	lines = append(lines, "exit")
	dir := filepath.Join(ts.Getenv("WORK"), cmp.Or(name, sh))
	ts.Check(os.MkdirAll(filepath.Join(dir, "out"), 0o755))
	cmd := exec.Command(shellArgv[sh][0], shellArgv[sh][1:]...)
	cmd.Dir = dir
	for _, k := range pass {
		cmd.Env = append(cmd.Env, k+"="+ts.Getenv(k))
	}
	cmd.Env = append(cmd.Env, "PWD="+dir, "T="+dir, "OUT="+filepath.Join(dir, "out"),
		"NIXLD_LOG="+filepath.Join(dir, "nixld.log"), "WEIRD="+weird)
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 50, Cols: 400})
	ts.Check(err)
	defer tty.Close()

	var screen bytes.Buffer
	chunks := make(chan []byte)
	go func() {
		buf := make([]byte, 4096)
		var tail []byte // a query may straddle two reads
		for {
			n, err := tty.Read(buf)
			if n > 0 {
				seen := append(tail, buf[:n]...)
				for range bytes.Count(seen, cursorQuery) {
					tty.Write([]byte("\x1b[1;1R"))
				}
				tail = append([]byte(nil), seen[max(0, len(seen)-len(cursorQuery)+1):]...)
				chunks <- append([]byte(nil), buf[:n]...)
			}
			if err != nil {
				close(chunks)
				return
			}
		}
	}()
	// waitFor reads until the screen shows want prompts in all.
	waitFor := func(want int, sent string) {
		deadline := time.After(timeout)
		for prompts(screen.String()) < want {
			select {
			case c, ok := <-chunks:
				if !ok {
					ts.Fatalf("%s exited before prompt %d (after %q):\n%s", args[0], want, sent, clean(screen.String()))
				}
				screen.Write(c)
			case <-deadline:
				cmd.Process.Kill()
				ts.Fatalf("%s: no prompt %d within %v after %q:\n%s", args[0], want, timeout, sent, clean(screen.String()))
			}
		}
	}
	waitFor(1, "start")
	// nu and elvish check a line as it is typed and show errors in the
	// half-typed word; a terminal's bracketed paste gives them it whole.
	paste := func(line string) string { return line }
	if sh == "nu" || sh == "elvish" {
		paste = func(line string) string { return "\x1b[200~" + line + "\x1b[201~" }
	}
	// waitScreen reads until the screen, from byte from on, matches re.
	waitScreen := func(from int, re *regexp.Regexp, sent string) {
		deadline := time.After(timeout)
		for !re.MatchString(clean(screen.String()[from:])) {
			select {
			case c, ok := <-chunks:
				if !ok {
					ts.Fatalf("%s exited before showing %q (after %q):\n%s", args[0], re, sent, clean(screen.String()))
				}
				screen.Write(c)
			case <-deadline:
				cmd.Process.Kill()
				ts.Fatalf("%s: %q not shown within %v after %q:\n%s", args[0], re, timeout, sent, clean(screen.String()))
			}
		}
	}
	typed := 0 // lines typed, each of which ends with a prompt
	for i, line := range lines {
		if strings.HasPrefix(line, "^C after ") {
			continue
		}
		from := screen.Len()
		_, err := tty.Write([]byte(paste(line) + "\r"))
		ts.Check(err)
		typed++
		if i+1 < len(lines) {
			if pattern, ok := strings.CutPrefix(lines[i+1], "^C after "); ok {
				re, err := regexp.Compile(pattern)
				ts.Check(err)
				waitScreen(from, re, line)
				_, err = tty.Write([]byte{0x03})
				ts.Check(err)
			}
		}
		if line != "exit" {
			waitFor(typed+1, line)
		}
	}
	done := make(chan error, 1)
	go func() {
		for c := range chunks {
			screen.Write(c)
		}
		done <- cmd.Wait()
	}()
	select {
	case err = <-done:
	case <-time.After(timeout):
		cmd.Process.Kill()
		ts.Fatalf("%s did not exit:\n%s", args[0], clean(screen.String()))
	}
	transcript := clean(screen.String())
	fmt.Fprint(ts.Stdout(), transcript)
	ts.Check(os.WriteFile(filepath.Join(dir, "transcript"), []byte(transcript), 0o644))
	if err != nil && !neg {
		ts.Fatalf("%s: %v", args[0], err)
	}
	if err == nil && neg {
		ts.Fatalf("%s exited 0", args[0])
	}
}

// forallCmd checks the same thing for each shell's directory:
//
//	forall cmp FILE WANT              $WORK/SHELL/FILE equals WANT
//	forall same FILE1 FILE2           $WORK/SHELL/FILE1 equals $WORK/SHELL/FILE2
//	forall grep [-count=N] RE FILE    $WORK/SHELL/FILE matches RE (N times)
//
// with ! negating the grep. A shell that did not run fails the check.
// The shells are all five, or those a script names in $FORALL (with
// "env FORALL=bash,zsh,fish,nu", and a comment saying why).
func forallCmd(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 3 {
		ts.Fatalf("usage: forall cmp FILE WANT | forall same FILE1 FILE2 | forall grep [-count=N] RE FILE")
	}
	shells := allShells
	if only := ts.Getenv("FORALL"); only != "" {
		shells = strings.Split(only, ",")
	}
	for _, sh := range shells {
		at := func(file string) string { return filepath.Join(ts.Getenv("WORK"), sh, file) }
		switch args[0] {
		case "cmp":
			got, want := ts.ReadFile(at(args[1])), ts.ReadFile(args[2])
			if got != want {
				ts.Fatalf("%s: %s differs from %s:\n got %q\nwant %q", sh, args[1], args[2], got, want)
			}
		case "same":
			if a, b := ts.ReadFile(at(args[1])), ts.ReadFile(at(args[2])); a != b {
				ts.Fatalf("%s: %s and %s differ:\n%q\n%q", sh, args[1], args[2], a, b)
			}
		case "grep":
			rest, count := args[1:], -1
			if c, ok := strings.CutPrefix(rest[0], "-count="); ok {
				n, err := strconv.Atoi(c)
				ts.Check(err)
				rest, count = rest[1:], n
			}
			if len(rest) != 2 {
				ts.Fatalf("usage: forall grep [-count=N] RE FILE")
			}
			re, err := regexp.Compile("(?m)" + rest[0])
			ts.Check(err)
			text := ts.ReadFile(at(rest[1]))
			n := len(re.FindAllString(text, -1))
			switch {
			case neg && n > 0:
				ts.Fatalf("%s: %s matches %q %d times:\n%s", sh, rest[1], rest[0], n, text)
			case !neg && n == 0:
				ts.Fatalf("%s: %s does not match %q:\n%s", sh, rest[1], rest[0], text)
			case !neg && count >= 0 && n != count:
				ts.Fatalf("%s: %s matches %q %d times, want %d:\n%s", sh, rest[1], rest[0], n, count, text)
			}
		default:
			ts.Fatalf("forall: unknown check %q", args[0])
		}
	}
}

// fishMark is fish's sign for output that lacked a final newline, padded
// to the terminal's width.
var fishMark = regexp.MustCompile(`⏎ *`)

func clean(s string) string {
	s = ansi.ReplaceAllString(s, "")
	s = fishMark.ReplaceAllString(s, "")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "")
}
