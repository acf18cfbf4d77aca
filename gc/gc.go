// Package gc removes what nixld keeps for projects that are gone, their
// shim directories and package GC roots, and never one that a venv may
// still run: every venv links to its project's shims by path, so a venv
// outside the project (poetry's, pipx's, a renamed project's) breaks when
// they go.
package gc

import (
	"bufio"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nixld/nixld/hook"
)

// Recent is how long after a shim last ran gc keeps a gone project's
// shims: a venv that ran them may live where gc cannot see it.
const Recent = 90 * 24 * time.Hour

// Why gc keeps a gone project's shims.
const (
	KeptForVenv = "venv"    // a venv gc found links to them
	KeptRan     = "ran"     // they ran within Recent
	KeptNoAtime = "noatime" // the file system does not tell when they ran
)

// Outcome is what gc did, or would do, with one gone project's directory
// under the shim root.
type Outcome struct {
	Dir     string // the directory under the shim root
	Project string // the project it was for
	// Removed says it was removed (or, in a dry run, would be). Otherwise
	// Reason (KeptForVenv, KeptRan, KeptNoAtime) says why it is kept, and
	// Venv names the venv that still links to its shims.
	Removed bool
	Reason  string
	Venv    string
	// Left says the project's directory is still there, without its
	// .nixld.toml (or an .envrc that uses nixld).
	Left bool
	// MovedTo is where the project went, where gc found it: a directory
	// beside the old one with its inode (a rename).
	MovedTo string
	// Ran is when its shims last ran, where the file system tells.
	Ran time.Time
}

// Run removes, unless dryRun, the directories of projects that no longer
// exist, or have neither a .nixld.toml nor an .envrc that uses nixld
// (direnv's projects need no .nixld.toml), keeping those a venv links to,
// those whose shims ran within Recent of now, and all of them where the
// file system does not record when files are read. A dry run says
// exactly what a real one would do.
func Run(d hook.Dirs, env hook.Env, dryRun bool, now time.Time) ([]Outcome, error) {
	entries, err := os.ReadDir(d.ShimRoot())
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	var homes []string // the venvs outside projects, found once
	var out []Outcome
	for _, e := range entries {
		dir := filepath.Join(d.ShimRoot(), e.Name())
		project, id, ok := hook.ReadProjectRecord(dir)
		if !ok || hook.IsProject(project) {
			continue
		}
		if homes == nil {
			homes = append(venvHomes(env, d.Home), "")
		}
		o := Outcome{Dir: dir, Project: project, MovedTo: movedTo(project, id)}
		if fi, err := os.Stat(project); err == nil && fi.IsDir() {
			o.Left = true
		}
		o.Ran, _ = hook.LastRan(dir)
		venvs := venvsUnder(project, 1)
		if o.MovedTo != "" {
			venvs = append(venvs, venvsUnder(o.MovedTo, 1)...)
		}
		for _, venv := range append(venvs, homes...) {
			if venv == "" {
				continue
			}
			if shim, _ := hook.VenvShim(venv, filepath.Join(dir, "bin")); shim != "" {
				o.Venv = venv
				break
			}
		}
		switch {
		case o.Venv != "":
			o.Reason = KeptForVenv
		case !recordsAccess(dir, "/proc/self/mountinfo"):
			o.Reason = KeptNoAtime
		case !o.Ran.IsZero() && now.Sub(o.Ran) < Recent:
			o.Reason = KeptRan
		default:
			o.Removed = true
			if !dryRun {
				if err := os.RemoveAll(dir); err != nil {
					return out, err
				}
			}
		}
		out = append(out, o)
	}
	return out, nil
}

// movedTo is the directory beside project's old path whose identity is
// id (see hook.FileID), where project was renamed, or "".
func movedTo(project, id string) string {
	if id == "" {
		return ""
	}
	parent := filepath.Dir(project)
	f, err := os.Open(parent)
	if err != nil {
		return ""
	}
	defer f.Close()
	names, _ := f.Readdirnames(10000) // a bound: a huge directory is not searched whole
	for _, name := range names {
		if cand := filepath.Join(parent, name); cand != project && hook.FileID(cand) == id {
			return cand
		}
	}
	return ""
}

// venvHomes lists the venvs where tools keep them outside projects, each
// found to a depth of three directories: virtualenvwrapper's, poetry's,
// pipenv's, pipx's, uv's tools, hatch's and pdm's.
func venvHomes(env hook.Env, home string) []string {
	data := env["XDG_DATA_HOME"]
	if !filepath.IsAbs(data) && filepath.IsAbs(home) {
		data = filepath.Join(home, ".local", "share")
	}
	roots := []string{env["WORKON_HOME"], env["POETRY_VIRTUALENVS_PATH"], env["PIPX_HOME"], env["UV_TOOL_DIR"], env["HATCH_DATA_DIR"]}
	if filepath.IsAbs(home) {
		roots = append(roots,
			filepath.Join(home, ".virtualenvs"),
			filepath.Join(home, ".cache", "pypoetry", "virtualenvs"),
			filepath.Join(home, ".local", "pipx", "venvs"))
	}
	if filepath.IsAbs(data) {
		roots = append(roots,
			filepath.Join(data, "virtualenvs"),
			filepath.Join(data, "pipx", "venvs"),
			filepath.Join(data, "uv", "tools"),
			filepath.Join(data, "hatch", "env"),
			filepath.Join(data, "pdm", "venvs"))
	}
	var venvs []string
	for _, root := range roots {
		if !filepath.IsAbs(root) {
			continue
		}
		filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
			switch {
			case err != nil || !e.IsDir():
				return nil
			case isVenv(path):
				venvs = append(venvs, path)
				return filepath.SkipDir
			case strings.Count(strings.TrimPrefix(path, root), "/") >= 3:
				return filepath.SkipDir
			}
			return nil
		})
	}
	return venvs
}

// venvsUnder lists the venvs in dir and depth more levels down, whatever
// their names: .venv, venv, env, .venv-3.12, tox's and nox's (.tox/py311),
// direnv's layout python (.direnv/python-3.12). A venv's own directories
// are not searched, nor links to directories.
func venvsUnder(dir string, depth int) []string {
	f, err := os.Open(dir)
	if err != nil {
		return nil
	}
	entries, _ := f.ReadDir(10000) // a bound: a huge directory is not searched whole
	f.Close()
	var venvs []string
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		switch sub := filepath.Join(dir, e.Name()); {
		case isVenv(sub):
			venvs = append(venvs, sub)
		case depth > 0:
			venvs = append(venvs, venvsUnder(sub, depth-1)...)
		}
	}
	return venvs
}

func isVenv(dir string) bool {
	_, err := os.Lstat(filepath.Join(dir, "pyvenv.cfg"))
	return err == nil
}

// recordsAccess reports whether the file system holding dir records when
// files are read (relatime, strictatime), by the options of its mount in
// mountinfo (see proc(5)): false for noatime, and where it cannot tell.
func recordsAccess(dir, mountinfo string) bool {
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	f, err := os.Open(mountinfo)
	if err != nil {
		return false
	}
	defer f.Close()
	best, options := "", ""
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		fields := strings.Fields(scanner.Text())
		if len(fields) < 6 {
			continue
		}
		point := unescapeMount(fields[4])
		if (dir == point || strings.HasPrefix(dir, strings.TrimSuffix(point, "/")+"/")) && len(point) >= len(best) {
			best, options = point, fields[5]
		}
	}
	if best == "" {
		return false
	}
	for _, o := range strings.Split(options, ",") {
		if o == "noatime" {
			return false
		}
	}
	return true
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && isOctal(s[i+1:i+4]) {
			b.WriteByte((s[i+1]-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0'))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(s string) bool {
	for _, c := range []byte(s) {
		if c < '0' || c > '7' {
			return false
		}
	}
	return true
}

// Line says what happened to o in one line for people, paths rendered by
// show, now being the time Run measured from.
func (o Outcome) Line(show func(string) string, dryRun bool, now time.Time) string {
	gone := show(o.Project) + " is gone"
	switch {
	case o.Left:
		gone = show(o.Project) + " is no longer a nixld project"
	case o.MovedTo != "":
		gone = show(o.Project) + " moved to " + show(o.MovedTo)
	}
	switch {
	case o.Removed && dryRun:
		return "would remove " + show(o.Dir) + " (" + gone + ")"
	case o.Removed:
		return "removed " + show(o.Dir) + " (" + gone + ")"
	case o.Reason == KeptForVenv && o.MovedTo != "" && strings.HasPrefix(o.Venv, o.MovedTo+"/"):
		return "kept " + show(o.Dir) + ": " + gone + ", whose " + show(o.Venv) + " still runs these shims; 'nixld allow " + show(o.MovedTo) + "' (a new path) and 'nixld doctor --fix " + show(o.MovedTo) + "' relink it"
	case o.Reason == KeptForVenv:
		return "kept " + show(o.Dir) + ": " + gone + ", but " + show(o.Venv) + " links to its shims"
	case o.Reason == KeptRan:
		return "kept " + show(o.Dir) + ": " + gone + ", but its shims ran " + ago(now.Sub(o.Ran)) + ": a venv elsewhere may still run them"
	default:
		return "kept " + show(o.Dir) + ": " + gone + ", but this file system does not record when its shims last ran (noatime): a venv elsewhere may still run them"
	}
}

// ago renders a duration in the largest whole unit.
func ago(d time.Duration) string {
	switch {
	case d < time.Hour:
		return "within the hour"
	case d < 48*time.Hour:
		return plural(int(d/time.Hour), "hour") + " ago"
	default:
		return plural(int(d/(24*time.Hour)), "day") + " ago"
	}
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}
