package hook

// Where a venv's python leads: the venvs made before a project had shims,
// or by a tool that picked its own interpreter, bypass them.

import (
	"os"
	"path/filepath"
)

// venvChain follows a venv's python (bin/python3, else bin/python) link
// by link and returns each path on the way.
func venvChain(venv string) []string {
	cur := ""
	for _, name := range []string{"python3", "python"} {
		if p := filepath.Join(venv, "bin", name); lexists(p) {
			cur = p
			break
		}
	}
	var chain []string
	for range 8 {
		if cur == "" {
			break
		}
		chain = append(chain, cur)
		target, err := os.Readlink(cur)
		if err != nil {
			break
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(cur), target)
		}
		cur = target
	}
	return chain
}

// VenvShim returns the shim in the shim directory bin that venv's python
// leads to, or else where it leads.
func VenvShim(venv, bin string) (shim, end string) {
	chain := venvChain(venv)
	for _, p := range chain {
		if filepath.Dir(p) == bin {
			return p, ""
		}
	}
	if len(chain) == 0 {
		return "", ""
	}
	return "", chain[len(chain)-1]
}

// bypassingVenvs is the cheap check on entering: the usual venvs of a
// project (.venv, venv), a few links read each, and where they lead
// instead of to the shims.
func bypassingVenvs(dir, bin string) [][2]string {
	var found [][2]string
	for _, name := range []string{".venv", "venv"} {
		venv := filepath.Join(dir, name)
		if !lexists(filepath.Join(venv, "pyvenv.cfg")) {
			continue
		}
		if shim, end := VenvShim(venv, bin); shim == "" && end != "" {
			found = append(found, [2]string{venv, end})
		}
	}
	return found
}

func lexists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}
