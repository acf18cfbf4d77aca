package doctor

// The venv check: each venv's python should lead to this project's shim
// for the venv's own Python version. FixVenv relinks those that don't.

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/nixld/nixld/hook"
)

var cfgVersion = regexp.MustCompile(`(?m)^\s*(?:version|version_info)\s*=\s*3\.([0-9]+)`)

// venvVersion is the versioned name (python3.11) of the Python a venv was
// made with, from pyvenv.cfg (venv's version, virtualenv's version_info).
func venvVersion(venv string) string {
	data, err := os.ReadFile(filepath.Join(venv, "pyvenv.cfg"))
	if err != nil {
		return ""
	}
	if m := cfgVersion.FindSubmatch(data); m != nil {
		return "python3." + string(m[1])
	}
	return ""
}

// checkVenv is "" where venv's python leads to the shim in bin for its
// version, or else what is wrong.
func checkVenv(venv, bin string) string {
	shim, end := hook.VenvShim(venv, bin)
	version := venvVersion(venv)
	switch {
	case shim == "" && end == "":
		return "has no bin/python3 or bin/python"
	case shim == "":
		return fmt.Sprintf("runs %s, not this project's shims; 'nixld doctor --fix' relinks it", end)
	case version != "" && filepath.Base(shim) != version:
		return fmt.Sprintf("links to the %s shim, which another shell may give another Python, not to %s; 'nixld doctor --fix' relinks it", filepath.Base(shim), version)
	}
	return ""
}

// FixVenv points venv's python links at the shim in bin for the venv's
// Python version (python3.X at the shim, the others at python3.X, as
// venv lays them out) and makes pyvenv.cfg say the same. Installed
// packages are never touched, and running it again changes nothing. It
// returns what it changed.
func FixVenv(venv, bin string) ([]string, error) {
	version := venvVersion(venv)
	if version == "" {
		return nil, fmt.Errorf("%s has no Python version in pyvenv.cfg", venv)
	}
	shim := filepath.Join(bin, version)
	if _, err := os.Stat(shim); err != nil {
		return nil, fmt.Errorf("the project has no %s shim to link %s to: with a %s on PATH, run 'nixld shims'", version, venv, version)
	}
	binDir := filepath.Join(venv, "bin")
	entries, err := os.ReadDir(binDir)
	if err != nil {
		return nil, err
	}
	var changed []string
	relink := func(name, want string) error {
		path := filepath.Join(binDir, name)
		cur, err := os.Readlink(path)
		if err == nil && cur == want {
			return nil
		}
		tmp := path + ".nixld-tmp"
		os.Remove(tmp)
		if err := os.Symlink(want, tmp); err != nil {
			return err
		}
		if err := os.Rename(tmp, path); err != nil {
			return err
		}
		changed = append(changed, fmt.Sprintf("bin/%s -> %s (was %s)", name, want, orNone(cur)))
		return nil
	}
	if err := relink(version, shim); err != nil {
		return changed, err
	}
	for _, e := range entries {
		name := e.Name()
		if name == version || !hook.IsInterpreterName(name) || e.Type()&os.ModeSymlink == 0 {
			continue
		}
		if err := relink(name, version); err != nil {
			return changed, err
		}
	}
	cfgChanged, err := fixPyvenvCfg(filepath.Join(venv, "pyvenv.cfg"), bin, shim)
	if cfgChanged {
		changed = append(changed, "pyvenv.cfg: home and executable are the shims'")
	}
	return changed, err
}

// fixPyvenvCfg sets home, executable and base-executable (where present)
// to the shim directory and shim.
func fixPyvenvCfg(name, bin, shim string) (bool, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return false, err
	}
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
	return true, os.WriteFile(name, []byte(out), 0o644)
}
