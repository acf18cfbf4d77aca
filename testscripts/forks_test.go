package testscripts

// What a prompt costs, guarded by counting rather than timing: strace
// follows a shell through the benchmark's loops and counts the processes
// it forks, and nixld's executions among them. A count does not change
// when the machine is busy; the benchmark gives the times.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/nixld/nixld/internal/testtools"
)

// forkCount is what one loop of a shell did: processes forked (threads
// aside) and, among them, those that ran nixld.
type forkCount struct{ forks, nixld int }

// plainLoops are, per shell, a loop of n (%[1]d) runs of body (%[2]s)
// with builtins only, so that the loop itself forks nothing.
var plainLoops = map[string]string{
	"bash":   "for ((i = 0; i < %[1]d; i++)); do\n%[2]sdone\n",
	"zsh":    "for ((i = 0; i < %[1]d; i++)); do\n%[2]sdone\n",
	"fish":   "set i 0\nwhile test $i -lt %[1]d\nset i (math $i + 1)\n%[2]send\n",
	"nu":     "for i in 1..%[1]d {\n%[2]s}\n",
	"elvish": "for i [(range %[1]d)] {\n%[2]s}\n",
}

// mark is code that writes line to stdout with a builtin: a write(2)
// strace shows, separating the loops without a fork (elvish writes the
// newline by itself).
func mark(sh, line string) string {
	if sh == "nu" {
		return "print " + line + "\n"
	}
	return "echo " + line + "\n"
}

// Each line strace writes (-f, without -tt) starts with the process's id.
var (
	straceCall = regexp.MustCompile(`^[0-9]+ +([a-z0-9_]+)\(`)
	straceMark = regexp.MustCompile(`^[0-9]+ +write\(1, "nixld-loop-([a-z])(?:\\n)?"`)
	straceExec = regexp.MustCompile(`^([0-9]+) +execve(?:at)?\((?:[0-9A-Z_]+, )?"([^"]*)"`)
)

// countForks runs in shell sh, under strace, the phases n times without
// any hook, then installs hook, fires a prompt in start, and runs them n
// times again; each phase is followed by a prompt, as in the benchmark.
// It returns what each loop did.
func (b *bench) countForks(tb testing.TB, sh, hook, start string, phases []string, n int) (bare, hooked forkCount) {
	tb.Helper()
	strace := testtools.Need(tb, "strace")[0]
	var body strings.Builder
	for _, p := range phases {
		if p == ":" && noop[sh] != "" {
			p = noop[sh]
		}
		fmt.Fprintf(&body, "%s\n%s\n", p, firePrompt[sh])
	}
	loop := fmt.Sprintf(plainLoops[sh], n, body.String())
	script := preamble(sh) + mark(sh, "nixld-loop-a") + loop + mark(sh, "nixld-loop-b") +
		"cd " + start + "\n" + hook + "\n" + firePrompt[sh] + "\n" + mark(sh, "nixld-loop-c") + loop + mark(sh, "nixld-loop-d")
	log := filepath.Join(tb.TempDir(), "strace")
	// The shell as this process finds it (nu may be in test.sh's cache).
	shell := testtools.Need(tb, runCode[sh][0])[0]
	args := append([]string{"-f", "-qq", "-s", "64", "-e", "trace=process,write", "-e", "signal=none", "-o", log, shell}, runCode[sh][1:]...)
	cmd := exec.Command(strace, append(args, script)...)
	cmd.Dir, cmd.Env = start, b.env
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("%s with %s under strace: %v\n%s", sh, hook, err, out)
	}
	data, err := os.ReadFile(log)
	if err != nil {
		tb.Fatal(err)
	}
	counts := map[string]*forkCount{"a": &bare, "c": &hooked}
	var in *forkCount // the loop being read, if any
	var marks []string
	nixldRuns := map[string]bool{} // process ids, as an exec may try several paths
	for _, line := range strings.Split(string(data), "\n") {
		if m := straceMark.FindStringSubmatch(line); m != nil {
			marks = append(marks, m[1])
			in = counts[m[1]]
			continue
		}
		if in == nil {
			continue
		}
		if m := straceExec.FindStringSubmatch(line); m != nil && filepath.Base(m[2]) == "nixld" && !nixldRuns[m[1]] {
			nixldRuns[m[1]] = true
			in.nixld++
		}
		if m := straceCall.FindStringSubmatch(line); m != nil && slices.Contains([]string{"clone", "clone3", "fork", "vfork"}, m[1]) &&
			!strings.Contains(line, "CLONE_THREAD") {
			in.forks++
		}
	}
	if !slices.Equal(marks, []string{"a", "b", "c", "d"}) {
		tb.Fatalf("%s with %s: strace saw the loops' marks %q, want a, b, c, d", sh, hook, marks)
	}
	return bare, hooked
}

// TestPromptForks holds nixld to its goal outside projects: an unchanged
// prompt and a cd outside projects fork nothing and run no nixld, in every
// shell (what they cost in time, the benchmark says). direnv's hook, which
// runs direnv at every prompt, proves the count sees each shell's forks.
// (nu's print runs tput twice to learn the terminal's width, in the loop
// without a hook as in the one with it.)
func TestPromptForks(t *testing.T) {
	const n = 20
	rows := []struct {
		what   string
		start  func(*bench) string
		phases func(*bench) []string
	}{
		{"unchanged prompt", func(b *bench) string { return b.proj }, func(*bench) []string { return []string{":"} }},
		{"cd outside projects", func(b *bench) string { return b.out2 }, func(b *bench) []string { return []string{"cd " + b.out1, "cd " + b.out2} }},
	}
	for _, sh := range allShells {
		for _, r := range rows {
			for _, tool := range []string{"nixld", "direnv"} {
				bn := newBench(t, nil)
				hook := bn.setup(t, sh, tool)
				phases := r.phases(bn)
				bare, hooked := bn.countForks(t, sh, hook, r.start(bn), phases, n)
				prompts := n * len(phases)
				t.Logf("%-6s %-19s %-6s: %d prompts fork %d (%d without a hook), %d of them nixld", sh, r.what, tool, prompts, hooked.forks, bare.forks, hooked.nixld)
				switch {
				case tool == "nixld" && (hooked.forks != bare.forks || hooked.nixld > 0):
					t.Errorf("%s: %d prompts, %s, forked %d processes with nixld's hook (%d without), %d of them nixld; want none",
						sh, prompts, r.what, hooked.forks, bare.forks, hooked.nixld)
				case tool == "direnv" && hooked.forks-bare.forks < prompts:
					t.Errorf("%s: %d prompts, %s, forked %d processes with direnv's hook (%d without): strace misses the forks of a hook that runs direnv at every prompt",
						sh, prompts, r.what, hooked.forks, bare.forks)
				}
			}
		}
	}
}
