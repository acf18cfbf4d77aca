package doctor

// The project's interpreter shims, run once each: a venv linked to a shim
// is a venv only where Python sees the name it was started under
// (argv[0], a venv's bin/python3.X), and a launcher drops that name on
// the way (pyenv's, asdf's and mise's shims are scripts that run the
// version manager, which execs the interpreter under its own path).
// Python started through such a shim never finds the venv's pyvenv.cfg,
// so a venv made through it links past the shims, and one linked to it
// runs outside itself. Which program a launcher starts, and under which
// name, is not in any file nixld could read: doctor asks Python itself.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/nixld/nixld/hook"
)

// shimDeadline bounds all of a doctor's shim runs together: each is one
// Python start (tens of milliseconds; a version manager's launcher may
// take a few hundred).
var shimDeadline = 20 * time.Second

// askExecutable is what each shim runs: -I keeps the working directory,
// the user's site directory and PYTHON* variables out of it.
var askExecutable = []string{"-I", "-c", "import sys; print(sys.executable)"}

// shimRun is what running one shim of a project showed.
type shimRun struct {
	name, target string
	// executable is sys.executable as the Python the shim started saw it:
	// the name it was started under, made absolute.
	executable string
	err        error // why it showed none
}

// keepsName reports whether the Python the shim started saw a shim of
// bin as its name, as it must for a venv linked to the shim to be one:
// the shim itself, or (python3 standing for python3.X) the versioned
// shim it runs its Python under.
func (s *shimRun) keepsName(bin string) bool {
	if s.err != nil {
		return false
	}
	dir := filepath.Dir(s.executable)
	return dir == bin || sameFile(dir, bin)
}

// sameFile reports whether a and b are one file, links followed.
func sameFile(a, b string) bool {
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(fa, fb)
}

// fault says what is wrong with a shim that does not keep its name, in
// words that follow "shim NAME".
func (s *shimRun) fault(show func(string) string) string {
	return fmt.Sprintf("runs %s, which %s", show(s.target), s.starts(show))
}

// starts says what the shim's program did: started Python under another
// name, or did not start it.
func (s *shimRun) starts(show func(string) string) string {
	if s.err != nil {
		return fmt.Sprintf("did not start Python (%v)", s.err)
	}
	return fmt.Sprintf("starts Python as %s, not under the shim's name", show(s.executable))
}

// remedy is what to do about a shim that does not keep its name: put the
// interpreter itself first on PATH (a version manager names it), then
// have the shims rewritten. A program named in wrap is looked up on PATH
// too, so PATH is the one place to choose it.
func (s *shimRun) remedy(c Check) string {
	rewrite := fmt.Sprintf("run 'nixld shims' in %s", c.Dirs.Show(c.Project.Dir))
	if c.Direnv {
		rewrite = fmt.Sprintf("run 'direnv reload' in %s", c.Dirs.Show(c.Project.Dir))
	}
	switch {
	case s.err != nil:
		return fmt.Sprintf("put a working %s first on PATH, then %s", s.name, rewrite)
	case isVenv(filepath.Dir(filepath.Dir(s.target))):
		// An activated venv that bypasses the shims, first on PATH.
		return fmt.Sprintf("deactivate %s (or take its bin off PATH), then %s", c.Dirs.Show(filepath.Dir(filepath.Dir(s.target))), rewrite)
	}
	manager := "pyenv"
	for _, m := range []string{"asdf", "mise"} {
		if strings.Contains(s.target, "/"+m+"/") || strings.Contains(s.target, "/."+m+"/") {
			manager = m
		}
	}
	return fmt.Sprintf("put the interpreter itself first on PATH (for %s, the directory '%s which %s' names), then %s", manager, manager, s.name, rewrite)
}

// shimRuns runs the shims of one project, each at most once, all within
// shimDeadline of the first.
type shimRuns struct {
	c        Check
	bin      string
	deadline time.Time
	runs     map[string]*shimRun
}

func newShimRuns(c Check) *shimRuns {
	return &shimRuns{c: c, bin: c.Dirs.ShimDir(c.Project), runs: map[string]*shimRun{}}
}

// run is what the shim name showed, or nil where the shim directory has
// no shim nixld wrote by that name. The shim runs with doctor's
// environment, in the project's directory (where a version manager looks
// for the version the project asks for), stdin closed, in a process group
// of its own that the deadline stops whole.
func (k *shimRuns) run(name string) *shimRun {
	if s, ok := k.runs[name]; ok {
		return s
	}
	path := filepath.Join(k.bin, name)
	target, shim := hook.ScriptTarget(path)
	if !shim {
		k.runs[name] = nil
		return nil
	}
	if k.deadline.IsZero() {
		k.deadline = time.Now().Add(shimDeadline)
	}
	s := &shimRun{name: name, target: target}
	k.runs[name] = s
	ctx, cancel := context.WithDeadline(context.Background(), k.deadline)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, askExecutable...)
	cmd.Env = k.c.Env.Environ()
	cmd.Dir = k.c.Project.Dir
	var out, errOut limitedBuffer
	out.max, errOut.max = 4096, 4096
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	// Said only where it takes a while (a launcher deciding slowly).
	var said *time.Timer
	saying := make(chan struct{})
	if p := k.c.Progress; p != nil {
		said = time.AfterFunc(time.Second, func() {
			defer close(saying)
			fmt.Fprintf(p, "nixld: waiting for the %s shim (up to %v) to say which name Python starts under\n", name, time.Until(k.deadline).Round(time.Second))
		})
	}
	err := cmd.Run()
	if said != nil && !said.Stop() {
		<-saying // the line is out before doctor writes more
	}
	answer, _, _ := strings.Cut(out.String(), "\n")
	switch {
	case ctx.Err() != nil:
		s.err = fmt.Errorf("it did not answer within %v", shimDeadline)
	case err != nil:
		line, _, _ := strings.Cut(strings.TrimSpace(errOut.String()), "\n")
		if line == "" {
			line = err.Error()
		}
		s.err = errors.New(k.c.Dirs.Show(line))
	case !filepath.IsAbs(answer):
		s.err = fmt.Errorf("it printed %q for sys.executable", answer)
	default:
		s.executable = answer
	}
	return s
}

// checkShims runs the shims venvs of c's project depend on: python3
// (through which `python3 -m venv` makes them), each found venv's
// python3.X, and any other shim one links to. It runs nothing for a
// project the user has not allowed. Each shim that does not keep its name
// is a problem, in one line with what to do.
func (r *Report) checkShims(c Check, venvs []found) *shimRuns {
	k := newShimRuns(c)
	if ok, _ := c.allowed(); !ok {
		return k
	}
	names := []string{"python3"}
	for _, f := range venvs {
		if version, _ := venvVersion(f.real); version != "" {
			names = append(names, version)
		}
		if shim, _ := hook.VenvShim(f.path, k.bin); shim != "" {
			names = append(names, filepath.Base(shim))
		}
	}
	for _, name := range names {
		if _, seen := k.runs[name]; seen {
			continue
		}
		s := k.run(name)
		if s == nil || s.keepsName(k.bin) {
			continue
		}
		r.Environment.LauncherShims = append(r.Environment.LauncherShims, Launcher{Shim: Bytes(name), Target: Bytes(s.target), Executable: Bytes(s.executable)})
		r.problem("shim %s %s: a venv made or relinked through it runs outside itself; %s", name, s.fault(c.Dirs.Show), s.remedy(c))
	}
	return k
}

// venvShimFault is, for a venv whose python is one of the shims k ran or
// would be relinked to its python3.X shim, what is wrong where that shim
// does not keep its name, in words to follow the venv's name; "" where
// nothing is known to be wrong.
func (k *shimRuns) venvShimFault(f found) string {
	show := k.c.Dirs.Show
	if shim, _ := hook.VenvShim(f.path, k.bin); shim != "" {
		if s := k.runs[filepath.Base(shim)]; s != nil && !s.keepsName(k.bin) {
			return fmt.Sprintf("links to the %s shim, which %s: the venv runs outside itself (see the problem below)", s.name, s.starts(show))
		}
		return ""
	}
	if runs, bypasses := hook.VenvBypass(k.c.Dirs, f.path, k.bin); bypasses {
		version, _ := venvVersion(f.real)
		if s := k.runs[version]; version != "" && s != nil && !s.keepsName(k.bin) {
			return fmt.Sprintf("%s, not this project's shims; 'nixld doctor --fix' leaves it alone, as its %s shim %s (see the problem below)", runs, version, s.fault(show))
		}
	}
	return ""
}

// executable is the sys.executable the shim venv f links to showed, where
// it ran and did not keep its name: the Python the venv really runs.
func (k *shimRuns) executable(f found) string {
	if shim, _ := hook.VenvShim(f.path, k.bin); shim != "" {
		if s := k.runs[filepath.Base(shim)]; s != nil && !s.keepsName(k.bin) {
			return s.executable
		}
	}
	return ""
}
