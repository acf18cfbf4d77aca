package hook

// direnv's side: the code `use nixld` evals, which projects direnv
// manages (an .envrc that uses nixld, with or without a .nixld.toml), and
// whether direnv allowed one.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/nixld/nixld/shells"
	"github.com/nixld/nixld/templates"
)

// Direnv is the code use_nixld evals inside direnv for dir, the .envrc's
// directory. direnv allow is the trust decision there: it covers the
// .envrc and, since direnv watches it, a .nixld.toml beside it, which is
// optional. A .nixld.toml further up is someone else's file, applied only
// if nixld itself allowed it; otherwise dir gets the defaults and the
// usual hint. direnv restores the variables on leaving.
func Direnv(d Dirs, env Env, dir string) (string, []string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", nil, err
	}
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", nil, oneLine(err)
	}
	p, err := Find(dir)
	if err != nil {
		return "", nil, oneLine(err)
	}
	var notes []string
	cfg := DefaultConfig
	switch {
	case p == nil:
	case p.Real != real && d.TrustOf(p) != Allowed:
		notes = append(notes, fmt.Sprintf("nixld: %s is %s, so 'use nixld' ignores it; review it, then run 'nixld allow'", d.Show(p.Config()), d.TrustOf(p)))
		p = nil
	default:
		if cfg, err = ParseConfig(p, d.Home); err != nil {
			return "", nil, fmt.Errorf("%s: %v", d.Show(p.Config()), err)
		}
		if err := d.withPackages(p, cfg, env); err != nil {
			notes = append(notes, "nixld: "+err.Error())
		}
	}
	if p == nil {
		p = &Project{Dir: dir, Real: real}
	}
	v := varsOf(env)
	a, err := d.Enter(p, cfg, v, env[VenvVar])
	if err != nil {
		return "", nil, oneLine(err)
	}
	for _, name := range a.Shims.Missing {
		notes = append(notes, fmt.Sprintf("nixld: %s is not on PATH; not wrapped", d.Show(name)))
	}
	exports := []shells.Op{{Name: "PATH", Value: a.Path}}
	if len(a.LibAdded) > 0 {
		exports = append(exports, shells.Op{Name: a.LibVar, Value: *a.Lib})
	}
	for _, name := range steer(v, a.Shims.Bin, steeringPython(a.Shims)) {
		exports = append(exports, shells.Op{Name: name, Value: *v[name]})
	}
	exports = append(exports, shells.Op{Name: DirenvVar, Value: a.Shims.Bin})
	for i := range exports {
		exports[i].Value = shells.Bash.Quote(exports[i].Value)
	}
	code, err := templates.Render("direnv-env.bash", map[string]any{
		"Config":  shells.Bash.Quote(filepath.Join(dir, ConfigName)),
		"Exports": exports,
	})
	if err != nil {
		return "", nil, err
	}
	return code, notes, shells.Bash.Validate(code)
}

// envrcUse matches a line of an .envrc that uses nixld, before any
// comment: `use nixld`, use_nixld called directly, and either inside a
// condition (if has nixld; then use nixld; fi).
var envrcUse = regexp.MustCompile(`(?m)^[^#\n]*\buse(?:[ \t]+nixld|_nixld)\b`)

// IsProject reports whether dir is a nixld project's directory: it holds
// a regular .nixld.toml, or an .envrc that uses nixld.
func IsProject(dir string) bool {
	fi, err := os.Stat(filepath.Join(dir, ConfigName))
	return (err == nil && fi.Mode().IsRegular()) || UsesNixld(dir)
}

// UsesNixld reports whether dir holds an .envrc that uses nixld: direnv
// then manages the project, and direnv allow is its trust step.
func UsesNixld(dir string) bool {
	data, err := readConfig(filepath.Join(dir, ".envrc"))
	return err == nil && envrcUse.Match(data)
}

// FindDirenv is the directory of the .envrc direnv loads at start (the
// nearest one at or above it) where that .envrc uses nixld, or "".
func FindDirenv(start string) string {
	for dir := filepath.Clean(start); len(dir) < pathMax; {
		if fi, err := os.Stat(filepath.Join(dir, ".envrc")); err == nil && fi.Mode().IsRegular() {
			if UsesNixld(dir) {
				return dir
			}
			return ""
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
	return ""
}

// DirenvProject is the project direnv manages in dir, whose .envrc uses
// nixld and which has no .nixld.toml: its shims are keyed by dir's
// resolved path, as `use nixld` writes them, and it has the default
// config.
func DirenvProject(dir string) (*Project, error) {
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, oneLine(err)
	}
	return &Project{Dir: dir, Real: real}, nil
}

// direnvDeadline bounds how long nixld waits for direnv's answer.
const direnvDeadline = 5 * time.Second

// DirenvAllowed asks direnv whether it allowed the .envrc in dir, as
// `direnv status` run there says ("Found RC allowed true", or 0 in
// direnv 2.33 and later). An error says direnv did not answer.
func DirenvAllowed(dir string) (bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), direnvDeadline)
	defer cancel()
	cmd := exec.CommandContext(ctx, "direnv", "status")
	cmd.Dir = dir
	// A direnv that leaves a child holding its output must not hold
	// nixld: past the deadline the pipe is closed too.
	cmd.WaitDelay = time.Second
	out, err := cmd.Output()
	if ctx.Err() != nil {
		return false, fmt.Errorf("direnv status took over %v", direnvDeadline)
	}
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return false, fmt.Errorf("direnv status failed: %s", strings.TrimSpace(string(exit.Stderr)))
		}
		return false, err
	}
	envrc := filepath.Join(dir, ".envrc")
	found := false
	scanner := bufio.NewScanner(bytes.NewReader(out))
	for scanner.Scan() {
		line := scanner.Text()
		if path, ok := strings.CutPrefix(line, "Found RC path "); ok {
			found = sameFile(path, envrc)
		} else if v, ok := strings.CutPrefix(line, "Found RC allowed "); ok && found {
			return v == "true" || v == "0", nil
		}
	}
	return false, nil
}

func sameFile(a, b string) bool {
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(fa, fb)
}
