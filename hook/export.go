package hook

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/nixld/nixld/shells"
)

// Result is what a shell must do: change variables, and show messages
// (each one line, for stderr). Problems say why a project was not entered,
// without the "nixld: " of a message, whether or not a message shows them.
type Result struct {
	Ops      []shells.Op
	Messages []string
	Problems []string
	// Interrupted says the user stopped a package build (Ctrl-C): the
	// project is entered without the packages.
	Interrupted bool
	// Fast is what the hook keeps of the project entered, or confirmed,
	// so that a later cd within it or out of it needs no nixld; nil where
	// none is (see fastPath).
	Fast *shells.Fast
	// project is the project the shell is in after Ops, as read.
	project *Project
}

// Export computes the change that brings a shell with environment env to
// the state for directory cwd: the nearest project at or above cwd is
// entered if its config is allowed, any other active project is left.
// dirsErr says why nixld's own directories are unknown (no $HOME, say):
// then no project is entered, but leaving still works.
// It never fails: problems become one-line messages, each shown once per
// entry, and the variables always end in a consistent state.
func Export(d Dirs, dirsErr error, env Env, cwd string) Result {
	r := export(d, dirsErr, env, cwd, env[QuietVar] != "")
	r.Fast = d.fastPath(env, r)
	return r
}

// nowhere, as export's cwd, is a directory in no project: export then
// computes leaving.
const nowhere = ""

// export is Export; quiet leaves out the entered and left notes.
func export(d Dirs, dirsErr error, env Env, cwd string, quiet bool) Result {
	var r Result
	var entering []string // said after leaving the old project
	note := func(to *[]string, format string, args ...any) {
		*to = append(*to, "nixld: "+fmt.Sprintf(format, args...))
	}
	problem := func(format string, args ...any) {
		note(&r.Messages, format, args...)
		r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
	}
	cur := varsOf(env)

	var old *State
	if cur[StateVar] != nil {
		var err error
		if old, err = decodeState(*cur[StateVar]); err != nil {
			problem("ignoring malformed $%s", StateVar)
		}
	}

	// hint says why the project here is not entered; it is shown once.
	var cfg *Config
	hint := ""
	var p *Project
	var err error
	if cwd != nowhere {
		p, err = Find(cwd)
	}
	switch {
	case err != nil:
		hint = d.Show(oneLine(err).Error())
	case p == nil:
	case dirsErr != nil:
		hint = fmt.Sprintf("cannot enter %s: %v", d.Show(p.Dir), dirsErr)
	default:
		config := d.Show(p.Config())
		switch t := d.TrustOf(p); t {
		case Allowed:
			if cfg, err = ParseConfig(p, d.Home); err != nil {
				hint = fmt.Sprintf("%s: %v", config, err)
			}
		case NotAllowed, Changed:
			// Where the project's .envrc says `use nixld`, 'direnv allow'
			// is the trust step, and direnv asks for it itself.
			if !UsesNixld(p.Dir) {
				hint = d.untrustedHint(p, t)
			}
		}
	}

	// Already in the right state: the common case of cd within a project
	// (unless packages it was entered without have been built since). Not
	// where the shims have gone from PATH, under the shell's hook: another
	// hook after nixld's put back a PATH saved before entering (direnv's
	// unload of the directory just left, fish's, nu's or elvish's hooks
	// running after nixld's), or a venv's deactivate did; nor where the
	// shim directory itself has gone (nixld's state removed by hand).
	// nixld enters again, saying nothing new.
	same := cfg != nil && old.active() && old.Root == p.Real && old.Hash == p.Hash
	restored := same && (!OnPath(cur.get("PATH"), old.Bin) || !isDir(old.Bin))
	if same && !restored && !(old.Pending && d.CachedPackages(p, cfg, env)) {
		r.project = p
		return r
	}

	next := cur.clone()
	st := &State{}
	if old.active() {
		leave(next, old)
		// Left because the project is no longer allowed (edited, denied,
		// its config deleted): its shims stop adding its libraries.
		if cfg == nil || old.Root != p.Real {
			if q, err := Load(old.Root); err != nil || d.TrustOf(q) != Allowed {
				if err := d.scrubShims(old.Bin); err != nil {
					problem("%s: %v", d.Show(old.Bin), oneLine(err))
				}
			}
		}
	}
	if cfg != nil {
		pending := false
		if err := d.withPackages(p, cfg, env); err != nil {
			note(&entering, "%v", err)
			pending, r.Interrupted = true, interrupted(err)
		}
		a, err := d.Enter(p, cfg, next, env[VenvVar])
		entered := next.clone()
		if err == nil {
			*st = State{
				Root: p.Real, Dir: omitSame(p.Dir, p.Real), Hash: p.Hash, Bin: a.Shims.Bin,
				PathUnset: next["PATH"] == nil, LibVar: a.LibVar, LDUnset: next[a.LibVar] == nil, LDAdded: a.LibAdded,
				SteerPython: steeringPython(a.Shims), Pending: pending,
			}
			st.Steered = steer(entered, st.Bin, st.SteerPython)
			entered["PATH"], entered[a.LibVar] = &a.Path, a.Lib
			err = st.storable()
			if err == nil {
				err = fitsExec(env, map[string]*string{"PATH": &a.Path, a.LibVar: a.Lib, StateVar: st.encode()})
			}
		}
		if err != nil {
			problem("cannot enter %s: %v", d.Show(p.Dir), oneLine(err))
			cfg, st = nil, &State{}
		} else {
			next = entered
			verb := "entered"
			if old.active() && old.Root == p.Real {
				verb = "reloaded"
			}
			if !restored {
				if !quiet {
					note(&entering, "%s %s, wrapping %s", verb, d.Show(p.Dir), listOrNone(a.Shims.Names()))
				}
				for _, name := range a.Shims.Missing {
					note(&entering, "%s is not on PATH; not wrapped", d.Show(name))
				}
				for _, line := range d.bypassingVenvs(p, a.Shims) {
					note(&entering, "%s", line)
				}
			}
		}
	}
	if p := next["PATH"]; cfg == nil && p != nil && strings.Contains(*p, "/nixld/shims/") {
		// No project entered: no shim directory belongs on PATH.
		stripped := d.newLookup("").withoutShimDirs(*p, next.get(DirenvVar))
		next["PATH"] = &stripped
	}
	if old.active() && (cfg == nil || old.Root != p.Real) && !quiet {
		note(&r.Messages, "left %s", d.Show(old.dir()))
	}
	r.Messages = append(r.Messages, entering...)
	if hint != "" {
		st.Hinted = hashOf(hint)[:16]
		if old == nil || old.Hinted != st.Hinted {
			problem("%s", hint)
		} else {
			r.Problems = append(r.Problems, hint)
		}
	}
	next[StateVar] = st.encode()

	r.Ops = diff(cur, next)
	if cfg != nil {
		r.project = p
	}
	return r
}

// maxArgStrlen is the kernel's limit on one environment string
// (MAX_ARG_STRLEN, 32 pages), its NUL included.
const maxArgStrlen = 32 * 4096

// fitsExec checks that env with the given variables changed can still be
// passed to a program. Past the kernel's limits every command in the
// shell would fail with "Argument list too long", so nixld refuses to
// enter instead; leaving only shrinks the environment.
func fitsExec(env Env, changed map[string]*string) error {
	total := 0
	for k, v := range env {
		if _, ok := changed[k]; !ok {
			total += len(k) + len(v) + 2 + 8 // the string, its NUL, its pointer
		}
	}
	for k, v := range changed {
		if v == nil {
			continue
		}
		if n := len(k) + 1 + len(*v) + 1; n > maxArgStrlen {
			return fmt.Errorf("$%s would be %d bytes, over the kernel's limit of %d for one variable", k, n-len(k)-2, maxArgStrlen-1)
		}
		total += len(k) + len(*v) + 2 + 8
	}
	if limit := argMax(); total > limit {
		return fmt.Errorf("the environment would be %d bytes, over the %d a program can be started with", total, limit)
	}
	return nil
}

// argMax is what the kernel leaves for a program's arguments and
// environment together (a quarter of the stack limit), less room for the
// arguments of the commands the user will run.
func argMax() int {
	const room = 64 << 10
	var rl syscall.Rlimit
	limit := 2 << 20 // the kernel's figure for the usual 8 MiB stack
	if err := syscall.Getrlimit(syscall.RLIMIT_STACK, &rl); err == nil && rl.Cur != ^uint64(0) && rl.Cur/4 < 6<<20 {
		limit = max(int(rl.Cur/4), maxArgStrlen)
	}
	return limit - room
}

func listOrNone(names []string) string {
	if len(names) == 0 {
		return "nothing (no program found on PATH)"
	}
	return strings.Join(names, ", ")
}

// diff lists the operations that turn a into b.
func diff(a, b vars) []shells.Op {
	var ops []shells.Op
	for _, name := range trackedNames {
		switch va, vb := a[name], b[name]; {
		case vb == nil && va != nil:
			ops = append(ops, shells.Op{Name: name, Unset: true})
		case vb != nil && (va == nil || *va != *vb):
			ops = append(ops, shells.Op{Name: name, Value: *vb})
		}
	}
	return ops
}

// Apply returns a copy of e with ops applied, for nixld exec.
func (e Env) Apply(ops []shells.Op) Env {
	out := Env{}
	for k, v := range e {
		out[k] = v
	}
	for _, op := range ops {
		if op.Unset {
			delete(out, op.Name)
		} else {
			out[op.Name] = op.Value
		}
	}
	return out
}

// ExecEnv is the environment for nixld exec: whatever project env is in is
// left, and the project at or above dir is entered. That project must
// exist and be allowed. The messages are notes for stderr.
func ExecEnv(d Dirs, env Env, dir string) (Env, []string, error) {
	dir, err := ResolveArg(dir)
	if err != nil {
		return nil, nil, oneLine(err)
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, nil, fmt.Errorf("%s is not a directory", d.Show(dir))
	}
	p, err := Find(dir)
	if err != nil {
		return nil, nil, oneLine(err)
	}
	if p == nil {
		return nil, nil, fmt.Errorf("no %s in %s or above", ConfigName, d.Show(dir))
	}
	if t := d.TrustOf(p); t != Allowed {
		return nil, nil, fmt.Errorf("%s is %s; review it, then run 'nixld allow %s'", d.Show(p.Config()), t, d.Show(p.Dir))
	}
	r := export(d, nil, env, dir, true)
	if r.Interrupted {
		return nil, nil, fmt.Errorf("stopped building the packages of %s: %w", d.Show(p.Dir), ErrInterrupted)
	}
	if len(r.Problems) > 0 {
		return nil, nil, fmt.Errorf("%s", r.Problems[0])
	}
	return env.Apply(r.Ops), r.Messages, nil
}

// OnPath reports whether dir is an entry of the PATH text path.
func OnPath(path, dir string) bool {
	return slices.Contains(filepath.SplitList(path), dir)
}
