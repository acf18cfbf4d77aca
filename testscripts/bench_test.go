package testscripts

// What nixld costs a shell, beside direnv and mise, measured in one run:
//
//	go test ./testscripts -run '^$' -bench Peers -benchtime 1x
//
// prints the table the README shows. Each figure is what a tool's hook adds
// to a shell loop that changes directory and fires the prompt hooks the way
// the shell does before drawing a prompt: the same loop timed before the
// hook was installed is subtracted. Every tool gets an equivalent project:
// nixld a .nixld.toml, direnv an .envrc that puts a bin directory on PATH
// and appends the nix-ld directory to LD_LIBRARY_PATH, mise the same in
// mise.toml's [env].

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nixld/nixld/internal/testtools"
	"github.com/nixld/nixld/shells"
)

var toolNames = []string{"nixld", "direnv", "mise"}

// firePrompt is, per shell, what the shell runs between two command
// lines besides the commands: its hooks before it draws the prompt, then,
// once the next line is read, before it runs (zsh's preexec, fish's
// fish_preexec, nu's pre_execution, elvish's after-readline). zsh runs
// chpwd_functions on cd by itself, fish its PWD handlers and elvish its
// after-chdir functions; for nu, __fire (in nuPreamble) does what its
// line editor does.
var firePrompt = map[string]string{
	"bash":   `eval "$PROMPT_COMMAND"`,
	"zsh":    `for f in $precmd_functions; do $f; done; for f in $preexec_functions; do $f x x x; done`,
	"fish":   `emit fish_prompt; emit fish_preexec x`,
	"nu":     `__fire`,
	"elvish": `for hook $edit:before-readline { $hook }; for hook $edit:after-readline { $hook x }`,
}

// preamble is code a shell's timing script starts with.
func preamble(sh string) string {
	switch sh {
	case "nu":
		return nuPreamble
	case "elvish":
		return shells.ElvishEditorStub
	}
	return ""
}

// nuWatched are the variables the hooks in the benchmark watch in nu.
var nuWatched = []string{"PWD", "PATH", "_nixld"}

// nuPreamble does, in __fire, what nu's line editor does between two
// command lines: before the prompt, the env_change hooks of every
// variable that changed since the last one, then pre_prompt; once the
// next line is read, pre_execution (last here, too: in nu 0.115, a
// hide-env no longer reaches the caller once the same def --env has
// called another, so the leaving a PWD hook does must come first); a hook is a closure, or a record
// whose code runs if its condition holds. nu compares in Rust; here the
// same variables are compared in every loop, hooked or bare, so that
// comparing costs no tool anything.
var nuPreamble = `$env.__seen = {}
$env.__env_change = {}
$env.__pre_prompt = []
$env.__pre_execution = []
const watched = [` + strings.Join(nuWatched, " ") + `]
def --env __run [hook, ...args] {
  if ($hook | describe) == closure {
    do --env $hook ...$args
  } else if (do $hook.condition ...$args) {
    do --env $hook.code ...$args
  }
}
# Run once a hook is installed, outside the timed loops: nu keeps its
# hooks at hand, where reading $env.config (or $env) would copy it every
# time. The next prompt runs every env_change hook, as a new nu's first
# prompt does (before is null there).
def --env __check [] {
  $env.__seen = {}
  let names = $env.config.hooks.env_change? | default {} | columns
  if ($names | any {|name| $name not-in $watched }) {
    error make {msg: $"add to nuWatched: ($names)"}
  }
  $env.__env_change = $env.config.hooks.env_change? | default {}
  $env.__pre_prompt = $env.config.hooks.pre_prompt? | default []
  $env.__pre_execution = $env.config.hooks.pre_execution? | default []
}
def --env __watch [name: string, now: any] {
  let was = $env.__seen | get -o $name
  if $was != $now {
    $env.__seen = $env.__seen | upsert $name $now
    for hook in ($env.__env_change | get -o $name | default []) { __run $hook $was $now }
  }
}
def --env __fire [] {
` + watchEach(nuWatched) + `  # A closure (what every tool here installs on these two) runs here, as
  # nu runs it: a call of __run would cost more than most hooks.
  for hook in $env.__pre_prompt {
    if ($hook | describe) == closure { do --env $hook } else { __run $hook }
  }
  for hook in $env.__pre_execution {
    if ($hook | describe) == closure { do --env $hook } else { __run $hook }
  }
}
`

// watchEach calls __watch for each variable, read directly ($env | get
// would copy all of $env).
func watchEach(names []string) string {
	var b strings.Builder
	for _, name := range names {
		fmt.Fprintf(&b, "  __watch %s $env.%s?\n", name, name)
	}
	return b.String()
}

// hookLine is, per tool and shell, the line a user puts in the rc file;
// %s is the tool's path. nu's lines name a file setup writes first, as nu
// sources files while it parses.
var hookLine = map[string]map[string]string{
	"nixld": {"bash": `eval "$(%s hook bash)"`, "zsh": `eval "$(%s hook zsh)"`, "fish": `%s hook fish | source`,
		"nu": `source %s`, "elvish": `eval (%s hook elvish | slurp)`},
	"direnv": {"bash": `eval "$(%s hook bash)"`, "zsh": `eval "$(%s hook zsh)"`, "fish": `%s hook fish | source`,
		"nu": `source %s`, "elvish": direnvElvish},
	// mise's nu code is a module, and its elvish code goes in a namespace
	// of its own, as mise's documentation has them.
	"mise": {"bash": `eval "$(%s activate bash)"`, "zsh": `eval "$(%s activate zsh)"`, "fish": `%s activate fish | source`,
		"nu": `use %s`, "elvish": "var mise: = (ns [&edit:=$edit:])\neval (%s activate elvish | slurp) &ns=$mise: &on-end={|ns| set mise: = $ns }\nmise:activate"},
}

// direnv has no nu hook; nushell's cookbook gives this one.
const direnvNu = `$env.config.hooks.pre_prompt = ($env.config.hooks.pre_prompt? | default [] | append {||
  ^%s export json | from json | default {} | load-env
  $env.PATH = $env.PATH | split row (char esep)
})
`

// direnvElvish is the elvish hook current direnv prints; Debian's direnv
// still writes "except", which elvish 0.19 no longer parses.
const direnvElvish = `set edit:before-readline = [$@edit:before-readline {||
  try {
    var m = [(%s export elvish | from-json)]
    if (> (count $m) 0) {
      set m = (all $m)
      keys $m | each {|k| if $m[$k] { set-env $k $m[$k] } else { unset-env $k } }
    }
  } catch e {
    echo $e
  }
}]`

// A bench is a home, a project with a bin directory and a subdirectory,
// and two directories outside it, under one environment.
type bench struct {
	root, proj, out1, out2 string
	env                    []string
}

// newBench makes the directories; extraPath goes after the test bin
// directory on PATH, and extraEnv is added as it is.
func newBench(tb testing.TB, extraPath []string, extraEnv ...string) *bench {
	tb.Helper()
	root := tb.TempDir()
	b := &bench{root: root, proj: filepath.Join(root, "proj"), out1: filepath.Join(root, "a", "b"), out2: filepath.Join(root, "c")}
	for _, d := range []string{b.proj + "/bin", b.proj + "/sub", b.out1, b.out2} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			tb.Fatal(err)
		}
	}
	home := filepath.Join(root, "home")
	path := strings.Join(append([]string{w.bin}, extraPath...), ":") + ":/usr/local/bin:/usr/bin:/bin"
	b.env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+home+"/.config", "XDG_DATA_HOME="+home+"/.local/share",
		"XDG_STATE_HOME="+home+"/.local/state", "XDG_CACHE_HOME="+home+"/.cache", "PATH="+path,
		"NIX_LD_LIBRARY_PATH="+w.nixLD, "NIXLD_QUIET=1", "DIRENV_LOG_FORMAT=", "MISE_QUIET=1",
		"MISE_DATA_DIR="+home+"/mise/data", "MISE_STATE_DIR="+home+"/mise/state", "MISE_CACHE_DIR="+home+"/mise/cache",
		"MISE_CONFIG_DIR="+home+"/mise/config")
	b.env = append(b.env, extraEnv...)
	return b
}

// run runs name with args in dir under the bench's environment.
func (b *bench) run(tb testing.TB, dir, name string, args ...string) string {
	tb.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = dir, b.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		tb.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

// toolPath finds a peer; test.sh installs all of them.
func toolPath(tb testing.TB, tool string) string {
	tb.Helper()
	if tool == "nixld" {
		return w.nixld
	}
	return testtools.Need(tb, tool)[0]
}

// redate moves the mtimes of the project's .nixld.toml and of nixld's
// trust records to d from now. Where nixld enters a project whose files
// changed a moment before it read them (or whose mtimes lie ahead), the
// bash, zsh and fish hooks compare their content at each cd until nixld
// next runs; otherwise their mtimes (see shells.Fast.Stamp).
func (b *bench) redate(tb testing.TB, d time.Duration) {
	tb.Helper()
	records, _ := filepath.Glob(filepath.Join(b.root, "home", ".local", "share", "nixld", "allow", "*"))
	t := time.Now().Add(d)
	for _, name := range append(records, filepath.Join(b.proj, ".nixld.toml")) {
		if err := os.Chtimes(name, t, t); err != nil {
			tb.Fatal(err)
		}
	}
}

// setup makes the project a project for tool and returns its hook line.
func (b *bench) setup(tb testing.TB, sh, tool string) string {
	tb.Helper()
	path := toolPath(tb, tool)
	switch tool {
	case "nixld":
		b.run(tb, b.proj, path, "init")
		// Made an hour ago, as a user's project usually was: see redate.
		b.redate(tb, -time.Hour)
	case "direnv":
		envrc := "PATH_add bin\nexport LD_LIBRARY_PATH=${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$NIX_LD_LIBRARY_PATH\n"
		if err := os.WriteFile(filepath.Join(b.proj, ".envrc"), []byte(envrc), 0o644); err != nil {
			tb.Fatal(err)
		}
		b.run(tb, b.proj, path, "allow")
	case "mise":
		toml := "[env]\n_.path = [\"{{config_root}}/bin\"]\nLD_LIBRARY_PATH = \"{{env.NIX_LD_LIBRARY_PATH}}\"\n"
		if err := os.WriteFile(filepath.Join(b.proj, "mise.toml"), []byte(toml), 0o644); err != nil {
			tb.Fatal(err)
		}
		b.run(tb, b.proj, path, "trust")
	}
	if sh != "nu" {
		return fmt.Sprintf(hookLine[tool][sh], path)
	}
	var code string
	switch tool {
	case "nixld":
		code = b.run(tb, b.root, path, "hook", "nu")
	case "direnv":
		code = fmt.Sprintf(direnvNu, shells.Nu.Quote(path))
	case "mise":
		code = b.run(tb, b.root, path, "activate", "nu")
	}
	file := filepath.Join(b.root, tool+".nu")
	if err := os.WriteFile(file, []byte(code), 0o644); err != nil {
		tb.Fatal(err)
	}
	// __check (see nuPreamble) takes note of the hooks just installed.
	return fmt.Sprintf(hookLine[tool][sh], shells.Nu.Quote(file)) + "\n__check"
}

// noop is the command that does nothing, where ":" is not one.
var noop = map[string]string{"nu": "null", "elvish": "nop"}

// timing is how a shell with a clock it needs no fork for times a loop:
// phase runs one phase (%[1]d its index, counted from first, %[2]s the
// command, %[3]s the prompt) and adds its microseconds to t; frame is the
// loop (%[1]s the zeros t starts with, %[2]d the count, %[3]s the phases)
// and prints t.
type timing struct {
	phase, frame, zero string
	first              int
}

var timings = map[string]timing{
	"bash": {phase: "s=${EPOCHREALTIME/./}; %[2]s; %[3]s; e=${EPOCHREALTIME/./}; ((t[%[1]d] += e - s))\n",
		frame: "t=(%s)\nfor ((i = 0; i < %d; i++)); do\n%sdone\necho \"${t[*]}\"\n", zero: "0"},
	"zsh": {phase: "s=$EPOCHREALTIME; %[2]s; %[3]s; e=$EPOCHREALTIME; ((t[%[1]d] += (e - s) * 1e6))\n",
		frame: "zmodload zsh/datetime\nt=(%s)\nfor ((i = 0; i < %d; i++)); do\n%sdone\nprint -f '%%.0f ' $t; print\n", zero: "0.0", first: 1},
	"nu": {phase: "let s = date now; %[2]s; %[3]s; $t = $t | update %[1]d {|x| $x + ((date now) - $s | into int) }\n",
		frame: "mut t = [%s]\nfor i in 1..%d {\n%s}\nprint ($t | each {|x| $x // 1000 } | str join ' ')\n", zero: "0"},
	"elvish": {phase: "time &on-end={|d| set t[%[1]d] = (+ $t[%[1]d] $d) } { %[2]s; %[3]s }\n",
		frame: "var t = [%s]\nfor i [(range %d)] {\n%s}\necho (each {|x| printf '%%.0f ' (* $x 1000000) } $t)\n", zero: "(num 0)"},
}

// loop returns shell code that runs the phases n times, each phase a
// command followed by firing the prompt, and prints the microseconds
// spent in each phase. fish has no clock without a fork: see measureFish.
func loop(sh string, phases []string, n int) string {
	phases = slices.Clone(phases)
	for i, p := range phases {
		if p == ":" && noop[sh] != "" {
			phases[i] = noop[sh]
		}
	}
	var body strings.Builder
	t := timings[sh]
	for i, p := range phases {
		fmt.Fprintf(&body, t.phase, i+t.first, p, firePrompt[sh])
	}
	zeros := strings.TrimSpace(strings.Repeat(t.zero+" ", len(phases)))
	return fmt.Sprintf(t.frame, zeros, n, body.String())
}

// measure times each phase in shell sh: the loop is timed bare, then the
// hook is installed, a prompt fired in start, and the loop timed again.
func (b *bench) measure(tb testing.TB, sh, hook, start string, phases []string, n int) loopCost {
	tb.Helper()
	if sh == "fish" {
		return b.measureFish(tb, hook, start, phases, n)
	}
	script := preamble(sh) + loop(sh, phases, n) + "cd " + start + "\n" + hook + "\n" + firePrompt[sh] + "\n" + loop(sh, phases, n)
	cmd := exec.Command(runCode[sh][0], append(runCode[sh][1:], script)...)
	cmd.Dir, cmd.Env = start, b.env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("%s with %s: %v\n%s%s", sh, hook, err, out, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 {
		tb.Fatalf("%s with %s printed %q", sh, hook, out)
	}
	bare, hooked := strings.Fields(lines[0]), strings.Fields(lines[1])
	if len(bare) != len(phases) || len(hooked) != len(phases) {
		tb.Fatalf("%s with %s printed %q", sh, hook, out)
	}
	c := loopCost{make([]time.Duration, len(phases)), make([]time.Duration, len(phases))}
	for i := range phases {
		x, err1 := strconv.ParseFloat(bare[i], 64)
		y, err2 := strconv.ParseFloat(hooked[i], 64)
		if err1 != nil || err2 != nil {
			tb.Fatalf("%s with %s printed %q", sh, hook, out)
		}
		c.bare[i] = time.Duration(x * 1000 / float64(n))
		c.hooked[i] = time.Duration(y * 1000 / float64(n))
	}
	return c
}

// measureFish is measure for fish, which has no clock without a fork:
// its loops say "t" on stdout before each phase and after the last, and
// wait for this process's answer on stdin, so that this process's clock
// times each phase as the "t"s arrive. What one exchange costs is the same
// in the loop without the hook and in the one with it.
func (b *bench) measureFish(tb testing.TB, hook, start string, phases []string, n int) loopCost {
	tb.Helper()
	var body strings.Builder
	for _, p := range phases {
		fmt.Fprintf(&body, "echo t; read -l ack\n%s\n%s\n", p, firePrompt["fish"])
	}
	loop := fmt.Sprintf("echo loop; read -l ack\nfor i in (seq %d)\n%send\necho t; read -l ack\n", n, body.String())
	script := loop + "cd " + start + "\n" + hook + "\n" + firePrompt["fish"] + "\n" + loop + "echo done\n"
	cmd := exec.Command(runCode["fish"][0], append(runCode["fish"][1:], script)...)
	cmd.Dir, cmd.Env = start, b.env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	in, err1 := cmd.StdinPipe()
	out, err2 := cmd.StdoutPipe()
	if err := errors.Join(err1, err2, cmd.Start()); err != nil {
		tb.Fatal(err)
	}
	// Each loop's times, bare then hooked.
	var times [][]time.Time
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		switch lines.Text() {
		case "loop":
			times = append(times, nil)
		case "t":
			if len(times) > 0 {
				times[len(times)-1] = append(times[len(times)-1], time.Now())
			}
		default:
			continue
		}
		if _, err := io.WriteString(in, "\n"); err != nil {
			tb.Fatalf("fish with %s: %v\n%s", hook, err, stderr.String())
		}
	}
	in.Close()
	if err := cmd.Wait(); err != nil || len(times) != 2 || len(times[0]) != n*len(phases)+1 || len(times[1]) != len(times[0]) {
		tb.Fatalf("fish with %s: %v, %d loops\n%s", hook, err, len(times), stderr.String())
	}
	c := loopCost{make([]time.Duration, len(phases)), make([]time.Duration, len(phases))}
	for k := 1; k < len(times[0]); k++ {
		i := (k - 1) % len(phases)
		c.bare[i] += times[0][k].Sub(times[0][k-1]) / time.Duration(n)
		c.hooked[i] += times[1][k].Sub(times[1][k-1]) / time.Duration(n)
	}
	return c
}

// loopCost is what one iteration of each phase took, without the hook
// and with it.
type loopCost struct{ bare, hooked []time.Duration }

// A timed loop runs as many iterations as take about loopBudget with the
// hook, as a first short try finds, within [minIterations, maxIterations]:
// nixld's loops that fork nothing run the most, as their small figures
// need; a loop that forks has a steady mean after a few dozen, and
// direnv's slowest rows (over a second per cd) run the fewest. More buys
// no precision: what moves a figure is the load of the machine, which the
// best of three tries sheds.
const (
	loopBudget    = 250 * time.Millisecond
	minIterations = 3
	maxIterations = 2000
)

// best measures the phases three times and keeps, per phase, the lowest
// bare and the lowest hooked figure, as other work on the machine only
// ever adds time, and returns what the hook adds. (The lowest difference
// instead would favour a run whose bare loop happened to be slow.) The
// first, short try tells how many iterations fit in loopBudget; it counts
// as a try only where that is all it ran.
func (b *bench) best(tb testing.TB, sh, hook, start string, phases []string) []time.Duration {
	tb.Helper()
	first := b.measure(tb, sh, hook, start, phases, minIterations)
	var each time.Duration
	for _, d := range first.hooked {
		each += d
	}
	n := maxIterations
	if each > 0 {
		n = int(min(max(loopBudget/each, minIterations), maxIterations))
	}
	var tries []loopCost
	if n == minIterations {
		tries = append(tries, first)
	}
	for len(tries) < 3 {
		tries = append(tries, b.measure(tb, sh, hook, start, phases, n))
	}
	r := tries[0]
	for _, c := range tries[1:] {
		for i := range r.bare {
			r.bare[i], r.hooked[i] = min(r.bare[i], c.bare[i]), min(r.hooked[i], c.hooked[i])
		}
	}
	added := make([]time.Duration, len(r.bare))
	for i := range added {
		added[i] = max(r.hooked[i]-r.bare[i], 0)
	}
	return added
}

// pathDirs makes n directories of files files each; pythons makes one
// directory with n python3.X interpreters.
func pathDirs(tb testing.TB, n, files int) []string {
	root := tb.TempDir()
	var dirs []string
	for i := range n {
		d := filepath.Join(root, fmt.Sprintf("%032d-pkg-%d", i, i), "bin")
		os.MkdirAll(d, 0o755)
		for j := range files {
			os.WriteFile(filepath.Join(d, fmt.Sprintf("tool%d", j)), []byte(fmt.Sprintf("#!/bin/sh\n# %d %d\n", i, j)), 0o755)
		}
		dirs = append(dirs, d)
	}
	return dirs
}

// storeDirs is pathDirs of 20 programs each in the Nix store, added with
// Debian's nix as a NixOS dev shell's PATH has them: /nix/store/HASH-NAME/bin.
func storeDirs(tb testing.TB, n int) []string {
	var pkgs []string
	for _, d := range pathDirs(tb, n, 20) {
		pkgs = append(pkgs, filepath.Dir(d))
	}
	cmd := exec.Command("nix-store", append([]string{"--add"}, pkgs...)...)
	cmd.Env = append(os.Environ(), "NIX_CONFIG=build-users-group =")
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("nix-store --add (test.sh installs nix-bin): %v", err)
	}
	var dirs []string
	for _, path := range strings.Fields(string(out)) {
		dirs = append(dirs, filepath.Join(path, "bin"))
	}
	if len(dirs) != n {
		tb.Fatalf("nix-store --add gave %d paths for %d", len(dirs), n)
	}
	return dirs
}

func pythons(tb testing.TB, n int) []string {
	d := filepath.Join(tb.TempDir(), "bin")
	os.MkdirAll(d, 0o755)
	real, _ := filepath.EvalSymlinks(filepath.Join(w.bin, "python3"))
	for i := range n {
		os.Symlink(real, filepath.Join(d, fmt.Sprintf("python3.%d", 20+i)))
	}
	return []string{d}
}

// row is one line of the report: a figure for each tool.
type row struct {
	what  string
	shell string
	cost  map[string]string
}

// BenchmarkPeers prints the README's table. Its parts run as
// sub-benchmarks, one per shell's prompt rows (bash, zsh, fish, nu,
// elvish), then bash-enter, shim and rss, so that -bench 'Peers/zsh' runs
// zsh's rows alone and -bench 'Peers/bash' all of bash's; each says on
// stderr how long it took.
func BenchmarkPeers(b *testing.B) {
	var rows []row
	addRow := func(what, sh string, tools []string, figure func(tool string) string) {
		start := time.Now()
		r := row{what, sh, map[string]string{}}
		for _, tool := range tools {
			r.cost[tool] = figure(tool)
		}
		rows = append(rows, r)
		fmt.Fprintf(os.Stderr, "bench: %-28s %-6s %v (%.1f s)\n", what, sh, r.cost, time.Since(start).Seconds())
	}
	add := func(what, sh string, tools []string, m func(tool string) time.Duration) {
		addRow(what, sh, tools, func(tool string) string { return ms(m(tool)) })
	}
	part := func(name string, f func(b *testing.B)) {
		b.Run(name, func(b *testing.B) {
			start := time.Now()
			f(b)
			fmt.Fprintf(os.Stderr, "bench: %s took %.1f s\n", name, time.Since(start).Seconds())
		})
	}
	for _, sh := range allShells {
		part(sh, func(b *testing.B) {
			add("prompt, directory unchanged", sh, toolNames, func(tool string) time.Duration {
				bn := newBench(b, nil)
				hook := bn.setup(b, sh, tool)
				return bn.best(b, sh, hook, bn.proj, []string{":"})[0]
			})
			add("cd outside projects", sh, toolNames, func(tool string) time.Duration {
				bn := newBench(b, nil)
				hook := bn.setup(b, sh, tool)
				return bn.best(b, sh, hook, bn.out2, []string{"cd " + bn.out1, "cd " + bn.out2})[0]
			})
			add("cd within a project", sh, toolNames, func(tool string) time.Duration {
				bn := newBench(b, nil)
				hook := bn.setup(b, sh, tool)
				return bn.best(b, sh, hook, bn.proj, []string{"cd " + bn.proj + "/sub", "cd " + bn.proj})[0]
			})
			// Each turn enters the project, as it must to leave it, and
			// moves within it (the process that entered has gone by
			// then); the row is the leaving alone.
			add("cd out of a project", sh, toolNames, func(tool string) time.Duration {
				bn := newBench(b, nil)
				hook := bn.setup(b, sh, tool)
				return bn.best(b, sh, hook, bn.out2, []string{"cd " + bn.proj, "cd " + bn.proj + "/sub", "cd " + bn.out2})[2]
			})
		})
	}
	part("bash-enter", func(b *testing.B) {
		enter := func(extraPath []string, extraEnv ...string) func(tool string) time.Duration {
			return func(tool string) time.Duration {
				bn := newBench(b, extraPath, extraEnv...)
				hook := bn.setup(b, "bash", tool)
				return bn.best(b, "bash", hook, bn.out2, []string{"cd " + bn.proj, "cd " + bn.out2})[0]
			}
		}
		add("cd into a project", "bash", toolNames, enter(nil))
		for _, n := range []int{100, 500} {
			start := time.Now()
			dirs := storeDirs(b, n)
			fmt.Fprintf(os.Stderr, "bench: %d store dirs added in %.1f s\n", n, time.Since(start).Seconds())
			add(fmt.Sprintf("cd in, PATH +%d store dirs", n), "bash", toolNames, enter(dirs))
		}
		add("cd in, 50 python3.X on PATH", "bash", toolNames, enter(pythons(b, 50)))
		// No tool reads what a library directory holds.
		longLD := strings.Join(pathDirs(b, 1000, 0), ":")
		add("cd in, LD_LIBRARY_PATH 1,000", "bash", toolNames, enter(nil, "LD_LIBRARY_PATH="+longLD))
	})
	var shim shimCost
	part("shim", func(b *testing.B) {
		add("one python3 -c pass, added", "", []string{"nixld"}, func(string) time.Duration {
			shim = measureShim(b)
			return shim.added
		})
	})
	part("rss", func(b *testing.B) {
		addRow("max RSS entering a project", "", toolNames, func(tool string) string { return fmt.Sprintf("%d KiB", maxRSS(b, tool)) })
	})

	fmt.Println("\n| what | shell | nixld | direnv | mise |\n| --- | --- | --- | --- | --- |")
	for _, r := range rows {
		fmt.Printf("| %s | %s |", r.what, r.shell)
		for _, tool := range toolNames {
			if figure, ok := r.cost[tool]; ok {
				fmt.Printf(" %s |", figure)
			} else {
				fmt.Print(" |")
			}
		}
		fmt.Println()
	}
	if shim.direct > 0 {
		fmt.Println()
		fmt.Println(shim)
	}
}

func ms(d time.Duration) string {
	switch {
	case d < time.Microsecond:
		// Below what the loops resolve: the hooked loop was no slower.
		return "< 0.001 ms"
	case d < 10*time.Microsecond:
		return fmt.Sprintf("%.4f ms", float64(d)/1e6)
	case d < time.Millisecond:
		return fmt.Sprintf("%.3f ms", float64(d)/1e6)
	}
	return fmt.Sprintf("%.1f ms", float64(d)/1e6)
}

// shimCost is what starting python3 -c pass costs directly, and what the
// shim nixld writes adds to it, beside what the shim's interpreter costs
// to start at all (as the shim's #! line runs it, with -c :) and what any
// exec costs (a static program that returns at once).
type shimCost struct {
	direct, added time.Duration // python3 -c pass, and what the shim adds
	interp        []string      // the shim's #! line; none for a program
	start, exec   time.Duration // interp -c :, and a bare exec
	ownStart      time.Duration // what interp -c : costs more than a bare exec
}

// String is the benchmark's line under the table: the shim's added time
// split into its interpreter's own start (bash's) and the rest, the
// shim's own work: the one more exec a shim makes, its script, and python
// starting under the shim's name and library path.
func (c shimCost) String() string {
	line := fmt.Sprintf("shim: python3 -c pass %s direct, %s through the shim (+%s, %.3fx)",
		ms(c.direct), ms(c.direct+c.added), ms(c.added), float64(c.direct+c.added)/float64(c.direct))
	if len(c.interp) == 0 {
		return line + ", a program, not a script; a bare exec " + ms(c.exec)
	}
	name := filepath.Base(c.interp[0])
	return line + fmt.Sprintf(": %s's own start %s (%s -c : %s, a bare exec %s), the shim's own work %s",
		name, ms(c.ownStart), strings.Join(append([]string{name}, c.interp[1:]...), " "), ms(c.start), ms(c.exec), ms(max(c.added-c.ownStart, 0)))
}

// measureShim runs, in turn, python3 -c pass directly and through the
// shim nixld writes (found as a project's shell finds it), the shim's
// interpreter with -c :, and a static program built here, 100 times each.
// Each difference is the median of the differences within a turn, which
// a machine whose load changes from turn to turn moves least.
func measureShim(tb testing.TB) shimCost {
	bn := newBench(tb, nil)
	bn.run(tb, bn.proj, w.nixld, "init")
	out := bn.run(tb, bn.proj, w.nixld, "exec", bn.proj, "sh", "-c", "command -v python3")
	shim := strings.TrimSpace(out)
	direct, _ := filepath.EvalSymlinks(filepath.Join(w.bin, "python3"))
	var c shimCost
	// The shim's interpreter, as its #! line names it.
	f, err := os.Open(shim)
	if err != nil {
		tb.Fatal(err)
	}
	head := make([]byte, 256)
	n, _ := f.Read(head)
	f.Close()
	if first, _, _ := strings.Cut(string(head[:n]), "\n"); strings.HasPrefix(first, "#!") {
		c.interp = strings.Fields(strings.TrimPrefix(first, "#!"))
	}
	static := filepath.Join(bn.root, "static")
	os.WriteFile(static+".c", []byte("int main(void) { return 0; }\n"), 0o644)
	bn.run(tb, bn.root, "cc", "-static", "-O2", "-o", static, static+".c")
	runs := [][]string{{direct, "-c", "pass"}, {shim, "-c", "pass"}, {static}}
	if len(c.interp) > 0 {
		runs = append(runs, append(slices.Clone(c.interp), "-c", ":"))
	}
	const turns = 100
	var times [4][turns]time.Duration
	for turn := range turns {
		for i, argv := range runs {
			cmd := exec.Command(argv[0], argv[1:]...)
			cmd.Env = bn.env
			start := time.Now()
			if err := cmd.Run(); err != nil {
				tb.Fatalf("%s: %v", argv, err)
			}
			times[i][turn] = time.Since(start)
		}
	}
	median := func(f func(turn int) time.Duration) time.Duration {
		d := make([]time.Duration, turns)
		for turn := range d {
			d[turn] = f(turn)
		}
		slices.Sort(d)
		return d[turns/2]
	}
	c.direct = median(func(t int) time.Duration { return times[0][t] })
	c.added = median(func(t int) time.Duration { return times[1][t] - times[0][t] })
	c.exec = median(func(t int) time.Duration { return times[2][t] })
	if len(c.interp) > 0 {
		c.start = median(func(t int) time.Duration { return times[3][t] })
		c.ownStart = median(func(t int) time.Duration { return times[3][t] - times[2][t] })
	}
	return c
}

// maxRSS is the peak memory of the tool's own process when a shell enters
// the project: nixld export, direnv export, mise hook-env. GNU time starts
// it from a small process: a child of this one would start inside a vfork
// of it, and the peak it reports survives exec.
func maxRSS(tb testing.TB, tool string) int64 {
	bn := newBench(tb, nil)
	bn.setup(tb, "bash", tool)
	args := map[string][]string{"nixld": {"export", "bash"}, "direnv": {"export", "bash"}, "mise": {"hook-env", "-s", "bash"}}[tool]
	out := filepath.Join(bn.root, "rss")
	gnuTime := testtools.Need(tb, "/usr/bin/time")[0]
	cmd := exec.Command(gnuTime, append([]string{"-f", "%M", "-o", out, toolPath(tb, tool)}, args...)...)
	cmd.Dir, cmd.Env = bn.proj, append(bn.env, "PWD="+bn.proj)
	if b, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("%s: %v\n%s", tool, err, b)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		tb.Fatal(err)
	}
	kib, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
	if err != nil {
		tb.Fatalf("GNU time printed %q", data)
	}
	return kib
}
