package testscripts

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The cost of a prompt whose directory did not change, nixld against
// direnv, in the same run:
//
//	go test ./testscripts -run '^$' -bench Prompt
//
// Each shell fires its prompt hooks the way it does before drawing a
// prompt, n times in a loop, inside an allowed project (a `use nixld`
// .envrc for direnv). The cost of a hook is what it adds to that loop:
// the same loop timed before the hook was installed is subtracted.

// firePrompt is, per shell, what the shell runs before drawing a prompt.
var firePrompt = map[string]string{
	"bash": `eval "$PROMPT_COMMAND"`,
	"zsh":  `for f in $precmd_functions; do $f; done`,
	"fish": `emit fish_prompt`,
}

// promptLoop is, per shell, code that fires the prompt %[2]d times and
// prints the elapsed nanoseconds; %[1]s is filled with firePrompt.
var promptLoop = map[string]string{
	"bash": `s=$EPOCHREALTIME; for ((i = 0; i < %[2]d; i++)); do %[1]s; done; e=$EPOCHREALTIME
echo $(( (${e/./} - ${s/./}) * 1000 ))`,
	"zsh": `zmodload zsh/datetime; s=$EPOCHREALTIME; for ((i = 0; i < %[2]d; i++)); do %[1]s; done; e=$EPOCHREALTIME
printf "%%.0f\\n" $(( (e - s) * 1e9 ))`,
	"fish": `set s (date +%%s%%N); for i in (seq %[2]d); %[1]s; end; set e (date +%%s%%N)
math "$e - $s"`,
}

var hookLine = map[string]string{
	"bash": `eval "$(%s hook bash)"`,
	"zsh":  `eval "$(%s hook zsh)"`,
	"fish": `%s hook fish | source`,
}

// measure returns the time of one unchanged-directory prompt.
func measure(tb testing.TB, sh, tool string, n int) time.Duration {
	tb.Helper()
	root := tb.TempDir()
	home, proj := filepath.Join(root, "home"), filepath.Join(root, "proj")
	os.MkdirAll(proj, 0o755)
	env := append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_DATA_HOME="+filepath.Join(home, ".local/share"), "XDG_STATE_HOME="+filepath.Join(home, ".local/state"),
		"XDG_CACHE_HOME="+filepath.Join(home, ".cache"), "PATH="+w.bin+":"+os.Getenv("PATH"), "NIXLD_QUIET=1")
	env = append(env, "DIRENV_LOG_FORMAT=")
	runIn := func(dir string, name string, args ...string) {
		cmd := exec.Command(name, args...)
		cmd.Dir, cmd.Env = dir, env
		if out, err := cmd.CombinedOutput(); err != nil {
			tb.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
	}
	var hook string
	switch tool {
	case "nixld":
		runIn(proj, w.nixld, "init")
		hook = fmt.Sprintf(hookLine[sh], w.nixld)
	case "direnv":
		lib := filepath.Join(home, ".config", "direnv", "lib")
		os.MkdirAll(lib, 0o755)
		runIn(proj, "sh", "-c", w.nixld+" direnv > "+filepath.Join(lib, "nixld.sh"))
		os.WriteFile(filepath.Join(proj, ".envrc"), []byte("use nixld\n"), 0o644)
		runIn(proj, "direnv", "allow")
		hook = fmt.Sprintf(hookLine[sh], "direnv")
	}
	// Time the bare loop, install the hook, enter once (that prompt does
	// change state), then time the loop again.
	loop := fmt.Sprintf(promptLoop[sh], firePrompt[sh], n)
	script := loop + "\n" + hook + "\n" + firePrompt[sh] + "\n" + loop + "\n"
	argv := []string{sh, "-c", script}
	if sh == "fish" {
		argv = []string{"fish", "--no-config", "-c", script}
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir, cmd.Env = proj, env
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("%s with %s: %v\n%s", sh, tool, err, out)
	}
	lines := strings.Fields(string(out))
	if len(lines) != 2 {
		tb.Fatalf("%s with %s printed %q", sh, tool, out)
	}
	bare, err1 := strconv.ParseFloat(lines[0], 64)
	hooked, err2 := strconv.ParseFloat(lines[1], 64)
	if err1 != nil || err2 != nil {
		tb.Fatalf("%s with %s printed %q", sh, tool, out)
	}
	return time.Duration(max(hooked-bare, 0) / float64(n))
}

func BenchmarkPrompt(b *testing.B) {
	for _, sh := range []string{"bash", "zsh", "fish"} {
		for _, tool := range []string{"nixld", "direnv"} {
			b.Run(sh+"/"+tool, func(b *testing.B) {
				per := measure(b, sh, tool, b.N)
				b.ReportMetric(float64(per.Nanoseconds()), "ns/op")
				b.ReportMetric(float64(per.Nanoseconds())/1e6, "ms/prompt")
			})
		}
	}
}

// TestPromptCost holds nixld to its goal: under 0.05 ms for a prompt whose
// directory did not change, in every shell; it reports direnv's beside it.
// The best of three runs counts, as other test packages share the CPU.
func TestPromptCost(t *testing.T) {
	const goal = 50 * time.Microsecond
	best := func(sh, tool string, n int) time.Duration {
		d := measure(t, sh, tool, n)
		for range 2 {
			d = min(d, measure(t, sh, tool, n))
		}
		return d
	}
	for _, sh := range []string{"bash", "zsh", "fish"} {
		nixld := best(sh, "nixld", 5000)
		direnv := best(sh, "direnv", 30)
		t.Logf("%-4s prompt: nixld %.4f ms, direnv %.3f ms (%.0fx)", sh,
			float64(nixld)/1e6, float64(direnv)/1e6, float64(direnv)/float64(nixld))
		if nixld >= goal {
			t.Errorf("%s: nixld costs %v per unchanged prompt; the goal is under %v", sh, nixld, goal)
		}
	}
}
