package doctor

// Running a project's shims: what Python names as sys.executable through
// each, and what a shim that fails, hangs or answers nonsense comes to.

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nixld/nixld/hook"
)

func TestShimRuns(t *testing.T) {
	pr := newProject(t)
	pidFile := filepath.Join(pr.root, "sleep.pid")
	scripts := map[string]string{
		// As pyenv's shims: the interpreter, under its own path.
		"launched": "#!/bin/sh\nexec " + pr.python + " \"$@\"\n",
		// A launcher that starts something that never ends.
		"hangs": "#!/bin/sh\nsleep 600 &\necho $! > " + pidFile + "\nwait\n",
		"fails": "#!/bin/sh\necho 'launcher: python3.99: command not found' >&2\necho 'more' >&2\nexit 127\n",
		"silly": "#!/bin/sh\necho relative\n",
	}
	for name, script := range scripts {
		if err := os.WriteFile(filepath.Join(pr.bin, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// An activated venv made without the shims, on PATH before the
	// system's python (which Debian lacks).
	active := filepath.Join(pr.root, "active")
	run(t, pr.python, "-m", "venv", "--without-pip", active)
	os.WriteFile(filepath.Join(pr.dir, hook.ConfigName), []byte(`wrap = ["python3", "`+pr.version+`", "launched", "hangs", "fails", "silly", "python"]`+"\n"), 0o644)
	pr.load(t)
	if err := pr.d.Allow(pr.p); err != nil {
		t.Fatal(err)
	}
	c := pr.check(t)
	c.Env["PATH"] = pr.bin + ":" + filepath.Join(active, "bin") + ":/usr/bin:/bin"
	if _, _, err := hook.RefreshShims(pr.d, c.Env, pr.dir); err != nil {
		t.Fatal(err)
	}
	var said strings.Builder
	c.Progress = &said
	k := newShimRuns(c)
	bin := pr.d.ShimDir(pr.p)

	for _, name := range []string{"python3", pr.version} {
		if s := k.run(name); !s.keepsName(bin) || s.executable != filepath.Join(bin, pr.version) {
			t.Errorf("%s: %+v", name, s)
		}
	}
	if s := k.run("launched"); s.keepsName(bin) || s.err != nil || s.executable != pr.python {
		t.Errorf("launched: %+v", s)
	} else if got := s.fault(pr.d.Show); got != "runs "+filepath.Join(pr.bin, "launched")+", which starts Python as "+pr.python+", not under the shim's name" {
		t.Errorf("launched: %s", got)
	}
	if s := k.run("launched"); !strings.HasPrefix(s.remedy(c), "put the interpreter itself first on PATH (for pyenv, the directory 'pyenv which launched' names), then run 'nixld shims' in ") {
		t.Errorf("launched: %s", s.remedy(c))
	}
	if s := k.run("python"); s.keepsName(bin) || s.executable != filepath.Join(active, "bin", "python") || !strings.HasPrefix(s.remedy(c), "deactivate "+active+" (or take its bin off PATH), then ") {
		t.Errorf("python: %+v: %s", s, s.remedy(c))
	}
	if s := k.run("fails"); s.keepsName(bin) || s.err == nil || s.err.Error() != "launcher: python3.99: command not found" {
		t.Errorf("fails: %+v", s)
	}
	if s := k.run("silly"); s.keepsName(bin) || s.err == nil || s.err.Error() != `it printed "relative" for sys.executable` {
		t.Errorf("silly: %+v", s)
	}
	if k.run("nothing") != nil {
		t.Errorf("a shim that is not there ran")
	}
	// The hanging one is stopped at the deadline, with what it started.
	saved := shimDeadline
	shimDeadline = 2 * time.Second
	defer func() { shimDeadline = saved }()
	s := newShimRuns(c).run("hangs")
	if s.keepsName(bin) || s.err == nil || !strings.Contains(s.err.Error(), "did not answer within") {
		t.Errorf("hangs: %+v", s)
	}
	if !strings.Contains(said.String(), "nixld: waiting for the hangs shim (up to ") {
		t.Errorf("said %q", said.String())
	}
	data, _ := os.ReadFile(pidFile)
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatalf("sleep's pid: %q", data)
	}
	// Killed, then reaped by init: a guard against a hang, not a measure.
	for guard := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			break
		}
		if time.Now().After(guard) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("the sleep the hanging shim started (%d) outlived the deadline", pid)
		}
	}
	// Each runs once: the answers stay.
	os.Remove(filepath.Join(pr.bin, "launched"))
	if s := k.run("launched"); s.err != nil || s.executable != pr.python {
		t.Errorf("launched again: %+v", s)
	}
}
