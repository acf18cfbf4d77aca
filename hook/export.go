package hook

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/nixld/nixld/shells"
)

// Result is what a shell must do: change variables, and show messages
// (each one line, for stderr). Problems say why a project was not entered,
// without the "nixld: " of a message, whether or not a message shows them.
type Result struct {
	Ops      []shells.Op
	Messages []string
	Problems []string
}

// Export computes the change that brings a shell with environment env to
// the state for directory cwd: the nearest project at or above cwd is
// entered if its config is allowed, any other active project is left.
// It never fails: problems become one-line messages, and the variables
// always end in a consistent state.
func Export(d Dirs, env Env, cwd string) Result {
	return export(d, env, cwd, env[QuietVar] != "")
}

// export is Export; quiet leaves out the entered and left notes.
func export(d Dirs, env Env, cwd string, quiet bool) Result {
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
	if cur.state != nil {
		var err error
		if old, err = decodeState(*cur.state); err != nil {
			problem("ignoring malformed $%s", StateVar)
		}
	}

	p, err := Find(cwd)
	if err != nil {
		problem("%v", oneLine(err))
	}
	var cfg *Config
	hint := ""
	if p != nil {
		config := d.Show(p.Config())
		switch d.TrustOf(p) {
		case Allowed:
			if cfg, err = ParseConfig(p, d.Home); err != nil {
				hint = fmt.Sprintf("%s: %v", config, err)
			}
		case NotAllowed:
			hint = fmt.Sprintf("%s is not allowed; review it, then run 'nixld allow'", config)
		case Changed:
			hint = fmt.Sprintf("%s changed since it was allowed; review it, then run 'nixld allow'", config)
		}
	}

	// Already in the right state: the common case of cd within a project.
	if cfg != nil && old.active() && old.Root == p.Real && old.Hash == p.Hash {
		return r
	}

	next := cur
	st := &State{}
	if old.active() {
		leave(&next, old)
	}
	if cfg != nil {
		a, err := d.Enter(p, cfg, next.path, next.ld, env.ptr(NixLDVar))
		if err != nil {
			problem("cannot enter %s: %v", d.Show(p.Dir), oneLine(err))
			cfg = nil
		} else {
			*st = State{
				Root: p.Real, Dir: p.Dir, Hash: p.Hash, Bin: a.Shims.Bin,
				PathOld: next.path, PathNew: a.Path,
				LDOld: next.ld, LDNew: a.LD, LDAdded: a.LDAdded,
			}
			next.path, next.ld = &a.Path, &a.LD
			verb := "entered"
			if old.active() && old.Root == p.Real {
				verb = "reloaded"
			}
			if !quiet {
				note(&entering, "%s %s, wrapping %s", verb, d.Show(p.Dir), listOrNone(a.Shims.Names()))
			}
			for _, name := range a.Shims.Missing {
				note(&entering, "%s is not on PATH; not wrapped", name)
			}
		}
	}
	if old.active() && (cfg == nil || old.Root != p.Real) && !quiet {
		note(&r.Messages, "left %s", d.Show(old.Dir))
	}
	r.Messages = append(r.Messages, entering...)
	if hint != "" {
		st.Hinted = p.Real + "\x00" + p.Hash
		if old == nil || old.Hinted != st.Hinted {
			problem("%s", hint)
		} else {
			r.Problems = append(r.Problems, hint)
		}
	}
	next.state = st.encode()

	r.Ops = diff(cur, next)
	return r
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
	for _, v := range []struct {
		name string
		a, b *string
	}{{"PATH", a.path, b.path}, {LDVar, a.ld, b.ld}, {StateVar, a.state, b.state}} {
		switch {
		case v.b == nil && v.a != nil:
			ops = append(ops, shells.Op{Name: v.name, Unset: true})
		case v.b != nil && (v.a == nil || *v.a != *v.b):
			ops = append(ops, shells.Op{Name: v.name, Value: *v.b})
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
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, nil, err
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
	r := export(d, env, dir, true)
	if len(r.Problems) > 0 {
		return nil, nil, fmt.Errorf("%s", r.Problems[0])
	}
	return env.Apply(r.Ops), r.Messages, nil
}
