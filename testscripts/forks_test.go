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
	"strconv"
	"strings"
	"testing"
	"time"

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
	straceMark = regexp.MustCompile(`^[0-9]+ +write\(1, "nixld-part-([0-9]+)(?:\\n)?"`)
	straceExec = regexp.MustCompile(`^([0-9]+) +execve(?:at)?\((?:[0-9A-Z_]+, )?"([^"]*)"`)
)

// countForks runs in shell sh, under strace, the phases n times without
// any hook, then installs hook, fires a prompt in start, and runs them n
// times again; each phase is followed by a prompt, as in the benchmark.
// It returns what each loop did.
func (b *bench) countForks(tb testing.TB, sh, hook, start string, phases []string, n int) (bare, hooked forkCount) {
	tb.Helper()
	loop := promptLoop(sh, phases, n)
	parts := b.countParts(tb, sh, start, loop, "cd "+start+"\n"+hook+"\n"+firePrompt[sh]+"\n", loop)
	return parts[0], parts[2]
}

// promptLoop is code running the phases n times in sh, each followed by
// a prompt.
func promptLoop(sh string, phases []string, n int) string {
	var body strings.Builder
	for _, p := range phases {
		if p == ":" && noop[sh] != "" {
			p = noop[sh]
		}
		fmt.Fprintf(&body, "%s\n%s\n", p, firePrompt[sh])
	}
	return fmt.Sprintf(plainLoops[sh], n, body.String())
}

// countParts runs the parts of code in turn in shell sh, started in dir
// under strace with the bench's environment, and returns what each did.
func (b *bench) countParts(tb testing.TB, sh, dir string, parts ...string) []forkCount {
	tb.Helper()
	strace := testtools.Need(tb, "strace")[0]
	var script strings.Builder
	script.WriteString(preamble(sh))
	for i, part := range parts {
		script.WriteString(mark(sh, fmt.Sprintf("nixld-part-%d", i)) + part)
	}
	script.WriteString(mark(sh, fmt.Sprintf("nixld-part-%d", len(parts))))
	log := filepath.Join(tb.TempDir(), "strace")
	// The shell as this process finds it (nu may be in test.sh's cache).
	shell := testtools.Need(tb, runCode[sh][0])[0]
	args := append([]string{"-f", "-qq", "-s", "64", "-e", "trace=process,write", "-e", "signal=none", "-o", log, shell}, runCode[sh][1:]...)
	cmd := exec.Command(strace, append(args, script.String())...)
	cmd.Dir, cmd.Env = dir, b.env
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("%s under strace: %v\n%s\n%s", sh, err, out, script.String())
	}
	data, err := os.ReadFile(log)
	if err != nil {
		tb.Fatal(err)
	}
	counts := make([]forkCount, len(parts))
	in := -1 // the part being read, if any
	var marks []string
	nixldRuns := map[string]bool{} // process ids, as an exec may try several paths
	for _, line := range strings.Split(string(data), "\n") {
		if m := straceMark.FindStringSubmatch(line); m != nil {
			marks = append(marks, m[1])
			in, _ = strconv.Atoi(m[1])
			continue
		}
		if in < 0 || in >= len(parts) {
			continue
		}
		if m := straceExec.FindStringSubmatch(line); m != nil && filepath.Base(m[2]) == "nixld" && !nixldRuns[m[1]] {
			nixldRuns[m[1]] = true
			counts[in].nixld++
		}
		if m := straceCall.FindStringSubmatch(line); m != nil && slices.Contains([]string{"clone", "clone3", "fork", "vfork"}, m[1]) &&
			!strings.Contains(line, "CLONE_THREAD") {
			counts[in].forks++
		}
	}
	for i := range len(parts) + 1 {
		if i >= len(marks) || marks[i] != strconv.Itoa(i) {
			tb.Fatalf("%s: strace saw the parts' marks %q, want 0 to %d", sh, marks, len(parts))
		}
	}
	return counts
}

// TestPromptForks holds nixld to its goal: an unchanged prompt, a cd
// outside projects, a cd within a project and a cd out of one fork
// nothing and run no nixld, in every shell (what they cost in time, the
// benchmark says); only entering does, once per cd into the project.
// direnv's hook, which runs direnv at every prompt, proves the count sees
// each shell's forks. (nu's print runs tput twice to learn the terminal's
// width, in the loop without a hook as in the one with it.)
func TestPromptForks(t *testing.T) {
	const n = 20
	rows := []struct {
		what   string
		start  func(*bench) string
		phases func(*bench) []string
		// enters is how many phases of each turn enter the project: each
		// runs nixld once, in one process.
		enters int
		// ahead dates the project's files an hour ahead: the bash, zsh and
		// fish hooks then compare content, not mtimes (see bench.redate).
		ahead bool
	}{
		{"unchanged prompt", func(b *bench) string { return b.proj }, func(*bench) []string { return []string{":"} }, 0, false},
		{"cd outside projects", func(b *bench) string { return b.out2 }, func(b *bench) []string { return []string{"cd " + b.out1, "cd " + b.out2} }, 0, false},
		{"cd within a project", func(b *bench) string { return b.proj }, func(b *bench) []string { return []string{"cd " + b.proj + "/sub", "cd " + b.proj} }, 0, false},
		{"cd within, by content", func(b *bench) string { return b.proj }, func(b *bench) []string { return []string{"cd " + b.proj + "/sub", "cd " + b.proj} }, 0, true},
		{"cd out of a project", func(b *bench) string { return b.out2 }, func(b *bench) []string { return []string{"cd " + b.proj, "cd " + b.out2} }, 1, false},
		{"cd out, by content", func(b *bench) string { return b.out2 }, func(b *bench) []string { return []string{"cd " + b.proj, "cd " + b.out2} }, 1, true},
	}
	for _, sh := range allShells {
		for _, r := range rows {
			for _, tool := range []string{"nixld", "direnv"} {
				// The nu and elvish hooks never look at mtimes.
				if r.ahead && (tool != "nixld" || sh == "nu" || sh == "elvish") {
					continue
				}
				bn := newBench(t, nil)
				hook := bn.setup(t, sh, tool)
				if r.ahead {
					bn.redate(t, time.Hour)
				}
				phases := r.phases(bn)
				bare, hooked := bn.countForks(t, sh, hook, r.start(bn), phases, n)
				prompts := n * len(phases)
				t.Logf("%-6s %-19s %-6s: %d prompts fork %d (%d without a hook), %d of them nixld", sh, r.what, tool, prompts, hooked.forks, bare.forks, hooked.nixld)
				switch want := n * r.enters; {
				case tool == "nixld" && (hooked.forks != bare.forks+want || hooked.nixld != want):
					t.Errorf("%s: %d prompts, %s, forked %d processes with nixld's hook (%d without), %d of them nixld; want %d more, each nixld entering",
						sh, prompts, r.what, hooked.forks, bare.forks, hooked.nixld, want)
				case tool == "direnv" && hooked.forks-bare.forks < prompts:
					t.Errorf("%s: %d prompts, %s, forked %d processes with direnv's hook (%d without): strace misses the forks of a hook that runs direnv at every prompt",
						sh, prompts, r.what, hooked.forks, bare.forks)
				}
			}
		}
	}
}

// TestInheritedStateForks: a shell started inside a project inherits
// $_NIXLD_STATE and the rest, but none of what its hook would keep of the
// project. Its first prompt must run nixld, once, and the cds within the
// project after it none, in every shell.
func TestInheritedStateForks(t *testing.T) {
	const n = 20
	for _, sh := range allShells {
		bn := newBench(t, nil)
		hook := bn.setup(t, sh, "nixld")
		// The environment of a shell that entered the project.
		out := bn.run(t, bn.proj, w.nixld, "exec", bn.proj, "env", "-0")
		bn.env = strings.Split(strings.TrimSuffix(out, "\x00"), "\x00")
		if !slices.ContainsFunc(bn.env, func(kv string) bool { return strings.HasPrefix(kv, "_NIXLD_STATE=") }) {
			t.Fatalf("nixld exec gave no _NIXLD_STATE: %q", bn.env)
		}
		sub := bn.proj + "/sub"
		loop := promptLoop(sh, []string{"cd " + bn.proj, "cd " + sub}, n)
		parts := bn.countParts(t, sh, sub, loop, hook+"\n", firePrompt[sh]+"\n", loop)
		bare, first, hooked := parts[0], parts[2], parts[3]
		t.Logf("%-6s first prompt: %d forks, %d nixld; %d cds within: %d forks (%d without a hook), %d nixld", sh, first.forks, first.nixld, 2*n, hooked.forks, bare.forks, hooked.nixld)
		if first.nixld != 1 {
			t.Errorf("%s: the first prompt of a shell that inherited a project's state ran nixld %d times, want once", sh, first.nixld)
		}
		if hooked.forks != bare.forks || hooked.nixld != 0 {
			t.Errorf("%s: %d cds within the project after it forked %d processes (%d without a hook), %d of them nixld; want none",
				sh, 2*n, hooked.forks, bare.forks, hooked.nixld)
		}
	}
}
