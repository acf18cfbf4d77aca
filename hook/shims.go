package hook

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/nixld/nixld/shells"
	"github.com/nixld/nixld/templates"
)

// Shim is one wrapper script: Name in the shim directory runs Target.
type Shim struct {
	Name   string
	Target string
}

// ShimSet is what WriteShims left in a project's shim directory.
type ShimSet struct {
	Bin     string
	Shims   []Shim
	Missing []string // programs the config names but PATH lacks
}

// Names lists the wrapped programs.
func (s *ShimSet) Names() []string {
	names := make([]string, len(s.Shims))
	for i, sh := range s.Shims {
		names[i] = sh.Name
	}
	return names
}

// shimRoot holds one directory per project.
func (d Dirs) shimRoot() string { return filepath.Join(d.State, "shims") }

// ShimDir is p's shim directory: stable for the project's resolved path,
// named after it for humans and by its hash for uniqueness.
func (d Dirs) ShimDir(p *Project) string {
	base := unsafeName.ReplaceAllString(filepath.Base(p.Real), "_")
	return filepath.Join(d.shimRoot(), base+"-"+hashOf(p.Real)[:16], "bin")
}

var (
	unsafeName = regexp.MustCompile(`[^A-Za-z0-9._+-]+`)
	pythonX    = regexp.MustCompile(`^python3\.([0-9]+)$`)
)

// isShim reports whether path lies in any nixld shim directory, so that no
// shim ever targets a shim (directly or through a venv's symlink).
func (d Dirs) isShim(path string) bool {
	root := d.shimRoot()
	if within(path, root) {
		return true
	}
	if real, err := filepath.EvalSymlinks(root); err == nil && within(path, real) {
		return true
	}
	if real, err := filepath.EvalSymlinks(path); err == nil {
		return within(real, root)
	}
	return false
}

// searchDirs is PATH without nixld's shim directories and without relative
// entries, which would let the working directory choose the interpreter.
func (d Dirs) searchDirs(path string) []string {
	var dirs []string
	for _, dir := range strings.Split(path, ":") {
		if filepath.IsAbs(dir) && !d.isShim(dir) && !slices.Contains(dirs, dir) {
			dirs = append(dirs, dir)
		}
	}
	return dirs
}

// lookPath finds name the way a shell would, skipping shims.
func (d Dirs) lookPath(name string, dirs []string) string {
	for _, dir := range dirs {
		cand := filepath.Join(dir, name)
		if fi, err := os.Stat(cand); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 && !d.isShim(cand) {
			return cand
		}
	}
	return ""
}

// programs is the config's wrap list, or the default one: python, python3
// and every python3.X on PATH, oldest first.
func programs(cfg *Config, dirs []string) []string {
	if cfg.Wrap != nil {
		return cfg.Wrap
	}
	names := []string{"python", "python3"}
	var minors []int
	for _, dir := range dirs {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if m := pythonX.FindStringSubmatch(e.Name()); m != nil {
				if n, err := strconv.Atoi(m[1]); err == nil && !slices.Contains(minors, n) {
					minors = append(minors, n)
				}
			}
		}
	}
	slices.Sort(minors)
	for _, n := range minors {
		names = append(names, "python3."+strconv.Itoa(n))
	}
	return names
}

// interpreter picks the shim's #! line: a bash that outlives a nix-shell
// or a garbage collection where there is one, since venvs link to shims.
// -p (privileged) makes bash ignore the caller's BASH_ENV, exported
// functions, SHELLOPTS and BASHOPTS, none of which may change what a shim
// runs.
func (d Dirs) interpreter(dirs []string) string {
	for _, cand := range []string{"/run/current-system/sw/bin/bash", "/bin/bash", "/usr/bin/bash"} {
		if fi, err := os.Stat(cand); err == nil && fi.Mode()&0o111 != 0 {
			return cand + " -p"
		}
	}
	if found := d.lookPath("bash", dirs); found != "" && !strings.ContainsAny(found, " \t\n") {
		return found + " -p"
	}
	return "/usr/bin/env -S bash -p"
}

// inVenv reports whether target is a virtualenv's interpreter. Such a shim
// runs it under its own name, or Python would not find the venv.
func inVenv(target string) bool {
	_, err := os.Stat(filepath.Join(filepath.Dir(filepath.Dir(target)), "pyvenv.cfg"))
	return err == nil
}

// RenderShim is the script for one shim.
func RenderShim(p *Project, cfg *Config, interp string, s Shim) (string, error) {
	var libs strings.Builder
	for _, lib := range cfg.Libraries {
		libs.WriteString(":" + shells.Bash.Quote(lib))
	}
	code, err := templates.Render("shim.bash", map[string]any{
		"Interpreter": interp,
		"Target":      shells.Bash.Quote(s.Target),
		"Project":     shells.Bash.Quote(p.Dir),
		"DefaultLibs": shells.Bash.Quote(DefaultNixLD),
		"Libraries":   libs.String(),
		"Argv0":       !inVenv(s.Target),
	})
	if err != nil {
		return "", err
	}
	return code, shells.Bash.Validate(code)
}

// WriteShims brings p's shim directory up to date for the programs found
// on path: each shim is replaced atomically and only if it changed, and
// shims of programs no longer wrapped are removed.
func (d Dirs) WriteShims(p *Project, cfg *Config, path string) (*ShimSet, error) {
	set := &ShimSet{Bin: d.ShimDir(p)}
	if strings.Contains(set.Bin, ":") {
		return nil, fmt.Errorf("shim directory %s contains ':' and cannot go on PATH; set XDG_STATE_HOME elsewhere", d.Show(set.Bin))
	}
	dirs := d.searchDirs(path)
	for _, name := range programs(cfg, dirs) {
		if target := d.lookPath(name, dirs); target != "" {
			set.Shims = append(set.Shims, Shim{name, target})
		} else if cfg.Wrap != nil {
			set.Missing = append(set.Missing, name)
		}
	}
	if err := os.MkdirAll(set.Bin, 0o755); err != nil {
		return nil, err
	}
	if err := writeIfChanged(filepath.Join(filepath.Dir(set.Bin), "project"), []byte(p.Real+"\n"), 0o644); err != nil {
		return nil, err
	}
	interp := d.interpreter(dirs)
	keep := map[string]bool{}
	for _, s := range set.Shims {
		code, err := RenderShim(p, cfg, interp, s)
		if err != nil {
			return nil, err
		}
		if err := writeIfChanged(filepath.Join(set.Bin, s.Name), []byte(code), 0o755); err != nil {
			return nil, err
		}
		keep[s.Name] = true
	}
	entries, err := os.ReadDir(set.Bin)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		// Dot files are other writers' temporary files.
		if !keep[e.Name()] && !strings.HasPrefix(e.Name(), ".") {
			// Another shell entering at the same time may have removed it.
			if err := removeIfExists(filepath.Join(set.Bin, e.Name())); err != nil {
				return nil, err
			}
		}
	}
	return set, nil
}

func writeIfChanged(name string, data []byte, perm os.FileMode) error {
	if old, err := os.ReadFile(name); err == nil && string(old) == string(data) {
		if fi, err := os.Stat(name); err == nil && fi.Mode().Perm() == perm {
			return nil
		}
	}
	return writeFileAtomic(name, data, perm)
}
