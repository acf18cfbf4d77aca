package doctor

// The venv check: each venv's python should lead to this project's shim
// for the venv's own Python version. fixVenv relinks those that don't,
// changing nothing outside the venv's own directory and no file it cannot
// prove is an interpreter's copy.

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/nixld/nixld/hook"
	"github.com/nixld/nixld/internal/regular"
)

var cfgVersion = regexp.MustCompile(`(?m)^\s*(?:version|version_info)\s*=\s*3\.([0-9]+)`)

// venvVersion is the versioned name (python3.11) of the Python a venv was
// made with, from pyvenv.cfg (venv's version, virtualenv's version_info),
// or "" where it names none. The error says why pyvenv.cfg can't be read.
func venvVersion(venv string) (string, error) {
	data, err := readSmall(filepath.Join(venv, "pyvenv.cfg"))
	if err != nil {
		return "", err
	}
	if m := cfgVersion.FindSubmatch(data); m != nil {
		return "python3." + string(m[1]), nil
	}
	return "", nil
}

// checkVenv is "" where the venv's python leads to the shim in bin for
// its version, or else what is wrong.
func checkVenv(d hook.Dirs, f found, bin string) string {
	unfixable := hook.VenvUnfixable(d, f.path, bin, f.owned)
	if problem := hook.VenvProblem(d, f.path, bin, unfixable); problem != "" {
		return problem
	}
	version, err := venvVersion(f.real)
	var nr *regular.NotRegularError
	if errors.As(err, &nr) {
		return fmt.Sprintf("its pyvenv.cfg is %s, not a regular file: Python can't start from it", nr.Kind)
	}
	shim, end := hook.VenvShim(f.path, bin)
	if shim == "" {
		shim = hook.ShimCopy(end, bin)
	}
	if _, err := os.Stat(shim); shim != "" && errors.Is(err, fs.ErrNotExist) {
		// nixld's state removed since the venv was made.
		return fmt.Sprintf("links to the %s shim, which is gone: 'nixld doctor --fix' writes the project's shims again, as 'nixld shims' does there", filepath.Base(shim))
	}
	if version == "" || filepath.Base(shim) == version {
		return ""
	}
	fix := "'nixld doctor --fix' relinks it"
	if unfixable != "" {
		fix = "'nixld doctor --fix' leaves it alone, as " + unfixable
	}
	return fmt.Sprintf("links to the %s shim, which another shell may give another Python, not to %s; %s", filepath.Base(shim), version, fix)
}

// venvFix is what fixVenv did and left, one line each.
type venvFix struct {
	changed []string // "bin/python3 -> python3.11 (was ...)"
	skipped []string // an entry left alone, and why
}

// fixVenv points the venv's python entries at the shim in bin for its
// Python version (python3.X at the shim, the others at python3.X, as venv
// lays them out) and makes its pyvenv.cfg say the same. It changes only
// entries of the venv's own directory, found physically: a bin or a
// pyvenv.cfg that is a link elsewhere makes it change nothing. A regular
// file is replaced only where it is provably an interpreter's copy (see
// interpreterCopy); anything else is left and said so. Installed packages
// are never touched, and running it again changes nothing. The error
// says why the venv could not be fixed.
func fixVenv(d hook.Dirs, f found, bin string) (venvFix, error) {
	var fx venvFix
	if why := hook.VenvUnfixable(d, f.path, bin, f.owned); why != "" {
		return fx, fmt.Errorf("%s; nothing changed", why)
	}
	// The same again, as the changes are made, on the resolved paths.
	venv := f.real
	binDir := filepath.Join(venv, "bin")
	switch fi, err := os.Lstat(binDir); {
	case errors.Is(err, os.ErrNotExist):
		return fx, errors.New("it has no bin directory; nothing changed")
	case err != nil:
		return fx, err
	case fi.Mode()&os.ModeSymlink != 0:
		target, _ := filepath.EvalSymlinks(binDir)
		if target == "" || !within(target, venv) {
			dest, _ := os.Readlink(binDir)
			return fx, fmt.Errorf("bin is a link to %s, outside the venv; nothing changed", dest)
		}
		binDir = target
	case !fi.IsDir():
		return fx, fmt.Errorf("bin is %s; nothing changed", regular.Kind(fi.Mode()))
	}
	cfgPath := filepath.Join(venv, "pyvenv.cfg")
	switch fi, err := os.Lstat(cfgPath); {
	case err != nil:
		return fx, err
	case fi.Mode()&os.ModeSymlink != 0:
		dest, _ := os.Readlink(cfgPath)
		return fx, fmt.Errorf("pyvenv.cfg is a link to %s, not the venv's own file; nothing changed", dest)
	case !fi.Mode().IsRegular():
		return fx, fmt.Errorf("pyvenv.cfg is %s; nothing changed", regular.Kind(fi.Mode()))
	}
	cfg, err := readSmall(cfgPath)
	if err != nil {
		return fx, err
	}
	version, _ := venvVersion(venv)
	if version == "" {
		return fx, errors.New("its pyvenv.cfg names no Python version; nothing changed")
	}
	shim := filepath.Join(bin, version)
	if _, err := os.Stat(shim); err != nil {
		return fx, fmt.Errorf("the project has no %s shim to link it to, and no %s on PATH to make one from; nothing changed", version, version)
	}
	entries, err := os.ReadDir(binDir)
	if err != nil {
		return fx, err
	}
	names := []string{version}
	for _, e := range entries {
		if e.Name() != version && hook.IsInterpreterName(e.Name()) {
			names = append(names, e.Name())
		}
	}
	for i, name := range names {
		want := version
		if name == version {
			want = shim
		}
		path := filepath.Join(binDir, name)
		was, why := replaceable(path, venv, string(cfg))
		if why != "" {
			if i == 0 {
				return fx, fmt.Errorf("bin/%s %s; nothing changed", name, why)
			}
			fx.skipped = append(fx.skipped, fmt.Sprintf("bin/%s %s; left as it is", name, why))
			continue
		}
		if was == want {
			continue
		}
		if err := hook.ReplaceWithSymlink(path, want); err != nil {
			return fx, err
		}
		fx.changed = append(fx.changed, fmt.Sprintf("bin/%s -> %s (was %s)", name, want, was))
	}
	changed, err := fixPyvenvCfg(cfgPath, cfg, bin, shim)
	if changed {
		fx.changed = append(fx.changed, "pyvenv.cfg: home and executable are the shims'")
	}
	return fx, err
}

// replaceable says whether the entry path in a venv's bin may be pointed
// at a shim: was describes what is there (a link's target, "not there",
// or what the file was proven to be), and why, where it may not, says why.
func replaceable(path, venv, cfg string) (was, why string) {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "not there", ""
	case err != nil:
		return "", err.Error()
	case fi.Mode()&os.ModeSymlink != 0:
		target, err := os.Readlink(path)
		if err != nil {
			return "", err.Error()
		}
		return target, ""
	case !fi.Mode().IsRegular():
		return "", "is " + regular.Kind(fi.Mode())
	}
	if what := interpreterCopy(path, venv, cfg); what != "" {
		return what, ""
	}
	return "", "is a regular file nixld can't prove is a copy of an interpreter (a shim's copy, the same bytes as the Python pyvenv.cfg names, or an ELF Python)"
}

// interpreterCopy describes the regular file path, in the venv's bin, as
// an interpreter's copy, or is "" where it can't tell: a copy of a nixld
// shim (venv --copies through a shim), the same bytes as the Python the
// venv's pyvenv.cfg names (venv --copies), or an ELF Python.
func interpreterCopy(path, venv, cfg string) string {
	if _, shim := hook.ScriptTarget(path); shim {
		return "a copy of a nixld shim"
	}
	for _, cand := range cfgPythons(cfg) {
		real, err := filepath.EvalSymlinks(cand)
		if err != nil || within(real, venv) {
			continue // a file of the venv proves nothing about itself
		}
		if sameContent(path, real) {
			return "a copy of " + cand
		}
	}
	if isPython(path) {
		return "a copy of an ELF Python"
	}
	return ""
}

// cfgPythons are the interpreters a pyvenv.cfg names: executable and
// base-executable, and home's python3.X, python3 and python.
func cfgPythons(cfg string) []string {
	var pythons []string
	var minor string
	if m := cfgVersion.FindStringSubmatch(cfg); m != nil {
		minor = "python3." + m[1]
	}
	for _, line := range strings.Split(cfg, "\n") {
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		value = strings.TrimSpace(value)
		if !filepath.IsAbs(value) {
			continue
		}
		switch strings.TrimSpace(key) {
		case "executable", "base-executable":
			pythons = append(pythons, value)
		case "home":
			for _, name := range []string{minor, "python3", "python"} {
				if name != "" {
					pythons = append(pythons, filepath.Join(value, name))
				}
			}
		}
	}
	return pythons
}

// fixPyvenvCfg sets home, executable and base-executable (where present)
// to the shim directory and shim, replacing the file through a rename.
func fixPyvenvCfg(name string, data []byte, bin, shim string) (bool, error) {
	lines := strings.Split(string(data), "\n")
	for i, line := range lines {
		key, _, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		switch strings.TrimSpace(key) {
		case "home":
			lines[i] = "home = " + bin
		case "executable", "base-executable":
			lines[i] = strings.TrimSpace(key) + " = " + shim
		}
	}
	out := strings.Join(lines, "\n")
	if out == string(data) {
		return false, nil
	}
	return true, replaceFile(name, []byte(out))
}

// replaceFile writes data to a new file beside name and renames it over
// name, keeping name's permissions.
func replaceFile(name string, data []byte) error {
	mode := os.FileMode(0o644)
	if fi, err := os.Lstat(name); err == nil {
		mode = fi.Mode().Perm()
	}
	return hook.WriteFileAtomic(name, data, mode)
}

// within reports whether path is root or below it.
func within(path, root string) bool {
	return path == root || strings.HasPrefix(path, strings.TrimSuffix(root, "/")+"/")
}
