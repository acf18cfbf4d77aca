package hook

// nixld gc: the shim directories (and package GC roots) of projects that
// are gone. A venv may still link to one, so those are kept: the venvs in
// the places tools put them are checked.

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Collected is one project's shim directory that gc removed, or kept.
type Collected struct {
	Dir     string // the project's directory under the shim root
	Project string // the project directory it was for
	KeptFor string // a venv that still links to it; "" where removed
}

// venvHomes are where tools keep venvs outside projects.
func venvHomes(env Env, home string) []string {
	dirs := []string{env["WORKON_HOME"], env["POETRY_VIRTUALENVS_PATH"], env["PIPX_HOME"]}
	if filepath.IsAbs(home) {
		dirs = append(dirs,
			filepath.Join(home, ".virtualenvs"),
			filepath.Join(home, ".cache", "pypoetry", "virtualenvs"),
			filepath.Join(home, ".local", "share", "pipx", "venvs"),
			filepath.Join(home, ".local", "pipx", "venvs"))
	}
	var abs []string
	for _, d := range dirs {
		if filepath.IsAbs(d) {
			abs = append(abs, d)
		}
	}
	return abs
}

// GC removes (unless dryRun) the shim directories whose project no longer
// exists or no longer has a .nixld.toml, keeping any a venv links to.
func GC(d Dirs, env Env, dryRun bool) ([]Collected, error) {
	entries, err := os.ReadDir(d.shimRoot())
	if err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	var venvs []string
	for _, home := range venvHomes(env, d.Home) {
		filepath.WalkDir(home, func(path string, e fs.DirEntry, err error) error {
			if err != nil || !e.IsDir() {
				return nil
			}
			if lexists(filepath.Join(path, "pyvenv.cfg")) {
				venvs = append(venvs, path)
				return filepath.SkipDir
			}
			if strings.Count(strings.TrimPrefix(path, home), "/") >= 3 {
				return filepath.SkipDir
			}
			return nil
		})
	}
	var out []Collected
	for _, e := range entries {
		dir := filepath.Join(d.shimRoot(), e.Name())
		data, err := os.ReadFile(filepath.Join(dir, "project"))
		if err != nil {
			continue // not a project's directory nixld wrote
		}
		project := strings.TrimSuffix(string(data), "\n")
		if fi, err := os.Stat(filepath.Join(project, ConfigName)); err == nil && fi.Mode().IsRegular() {
			continue
		}
		c := Collected{Dir: dir, Project: project}
		bin := filepath.Join(dir, "bin")
		for _, venv := range append(venvsUnder(project), venvs...) {
			if shim, _ := VenvShim(venv, bin); shim != "" {
				c.KeptFor = venv
				break
			}
		}
		if c.KeptFor == "" && !dryRun {
			if err := os.RemoveAll(dir); err != nil {
				return out, err
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// venvsUnder lists the venvs of a project directory that still exists
// without its .nixld.toml.
func venvsUnder(project string) []string {
	var venvs []string
	for _, name := range []string{".venv", "venv"} {
		if v := filepath.Join(project, name); lexists(filepath.Join(v, "pyvenv.cfg")) {
			venvs = append(venvs, v)
		}
	}
	matches, _ := filepath.Glob(filepath.Join(project, ".tox", "*", "pyvenv.cfg"))
	for _, m := range matches {
		venvs = append(venvs, filepath.Dir(m))
	}
	return venvs
}
