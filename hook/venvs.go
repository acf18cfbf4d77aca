package hook

// Where a venv's python leads: the venvs made before a project had shims,
// or by a tool that picked its own interpreter, bypass them. The entry
// hint and nixld doctor judge a venv with the same VenvProblem.

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/nixld/nixld/internal/regular"
	"github.com/nixld/nixld/launch"
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
// links to, or else where it leads.
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

// ShimCopy returns the versioned interpreter shim (python3.X) in bin
// whose byte-identical copy the regular file path is, or "": python -m
// venv --copies run through a shim copies that one, which runs its
// Python under the copy's own name, and such a venv works with the
// project's library path as long as the shim stays the same.
func ShimCopy(path, bin string) string {
	data, err := readScript(path)
	if err != nil || !shimTargetLine.Match(data) {
		return ""
	}
	entries, _ := os.ReadDir(bin)
	for _, e := range entries {
		if _, versioned := launch.PythonMinor(e.Name()); !versioned {
			continue
		}
		shim := filepath.Join(bin, e.Name())
		if other, err := readScript(shim); err == nil && bytes.Equal(data, other) {
			return shim
		}
	}
	return ""
}

// readScript reads the head of a shim-sized regular file, without
// blocking on a FIFO or a device a repository put in a venv's bin.
func readScript(name string) ([]byte, error) {
	head := regular.ReadHead(name, 64<<10)
	if head == nil {
		return nil, fmt.Errorf("%s is not a regular file", name)
	}
	return head, nil
}

// Owns reports whether the directory real (symlinks resolved) belongs to
// the project whose resolved directory is root: it lies inside, and no
// project nested in between holds it, since a nested project's tree is
// its own.
func Owns(root, real string) bool {
	if !within(real, root) {
		return false
	}
	for dir := real; dir != root && within(dir, root); dir = filepath.Dir(dir) {
		if fi, err := os.Stat(filepath.Join(dir, ConfigName)); err == nil && fi.Mode().IsRegular() {
			return false
		}
	}
	return true
}

// VenvUnfixable says why nixld doctor --fix would leave venv alone, or
// is "" where it may relink it: owned says whether the venv's resolved
// directory is the project's (see Owns, or a tool's venv for it), and
// its bin and pyvenv.cfg must be its own, not links out of it.
func VenvUnfixable(d Dirs, venv, bin string, owned bool) string {
	real, err := filepath.EvalSymlinks(venv)
	switch {
	case err != nil:
		return oneLine(err).Error()
	case !owned:
		return "it lives in " + d.Show(real) + ", outside this project's own tree"
	}
	// A venv another project's shims run is that project's, even where
	// this one's tree or its tools' directories hold it; but not once that
	// project is gone, or moved (here, say): then it is this one's to
	// relink.
	if _, end := VenvShim(venv, bin); end != "" && within(end, d.ShimRoot()) && filepath.Dir(end) != bin {
		project, _, ok := ReadProjectRecord(filepath.Dir(filepath.Dir(end)))
		switch {
		case !ok:
			return "it runs the shims of another nixld project"
		case IsProject(project):
			return "it runs the shims of the project " + d.Show(project)
		}
	}
	if bin, err := filepath.EvalSymlinks(filepath.Join(real, "bin")); err == nil && !within(bin, real) {
		dest, _ := os.Readlink(filepath.Join(real, "bin"))
		return "its bin is a link to " + d.Show(dest) + ", outside the venv"
	}
	switch fi, err := os.Lstat(filepath.Join(real, "pyvenv.cfg")); {
	case err != nil:
		return oneLine(err).Error()
	case fi.Mode()&os.ModeSymlink != 0:
		dest, _ := os.Readlink(filepath.Join(real, "pyvenv.cfg"))
		return "its pyvenv.cfg is a link to " + d.Show(dest) + ", not the venv's own file"
	case !fi.Mode().IsRegular():
		return "its pyvenv.cfg is not a regular file"
	}
	return ""
}

// VenvProblem is "" where venv's python links to a shim of the shim
// directory bin, or is a current copy of one; otherwise what is wrong, in
// one line to follow the venv's name. unfixable is VenvUnfixable's
// answer for the venv.
func VenvProblem(d Dirs, venv, bin, unfixable string) string {
	runs, bypasses := VenvBypass(d, venv, bin)
	if !bypasses {
		return runs
	}
	if unfixable != "" {
		return runs + ", not this project's shims; 'nixld doctor --fix' leaves it alone, as " + unfixable + ": make the venv anew inside the project"
	}
	return runs + ", not this project's shims; 'nixld doctor --fix' relinks it"
}

// VenvBypass says what venv's python runs where that is not a shim of
// the shim directory bin nor a current copy of one ("runs
// /usr/bin/python3.11", "runs its own copy of an interpreter
// (bin/python3.11)"), in words to follow the venv's name, with bypasses
// true; "has no bin/python3 or bin/python" where it has none; "" where it
// runs the shims.
func VenvBypass(d Dirs, venv, bin string) (runs string, bypasses bool) {
	shim, end := VenvShim(venv, bin)
	switch {
	case shim != "":
		return "", false
	case end == "":
		return "has no bin/python3 or bin/python", false
	case ShimCopy(end, bin) != "":
		return "", false
	}
	if fi, err := os.Lstat(end); err == nil && fi.Mode().IsRegular() && filepath.Dir(end) == filepath.Join(venv, "bin") {
		return "runs its own copy of an interpreter (bin/" + d.Show(filepath.Base(end)) + ")", true
	}
	return "runs " + d.Show(end), true
}

// bypassingVenvs is the cheap check on entering: the usual venvs of a
// project (.venv, venv), a few links read each, and one line for each
// that bypasses the shims of set.
func (d Dirs) bypassingVenvs(p *Project, set *ShimSet) []string {
	var found []string
	for _, name := range []string{".venv", "venv"} {
		venv := filepath.Join(p.Dir, name)
		if !lexists(filepath.Join(venv, "pyvenv.cfg")) {
			continue
		}
		shim, end := VenvShim(venv, set.Bin)
		if shim != "" || end == "" {
			continue
		}
		real, err := filepath.EvalSymlinks(venv)
		unfixable := VenvUnfixable(d, venv, set.Bin, err == nil && Owns(p.Real, real))
		problem := VenvProblem(d, venv, set.Bin, unfixable)
		if launcher := set.launcherFor(filepath.Base(end)); problem != "" && unfixable == "" && launcher != nil {
			// doctor runs that shim to see whether Python keeps its name
			// (then --fix relinks the venv) or not (then it won't); entering
			// runs nothing.
			runs, _ := VenvBypass(d, venv, set.Bin)
			problem = fmt.Sprintf("%s, not this project's shims, and its %s shim starts %s, a launcher, not Python itself: 'nixld doctor' says whether 'nixld doctor --fix' can relink it", runs, launcher.Name, d.Show(launcher.Target))
		}
		if problem != "" {
			found = append(found, d.Show(venv)+" "+problem)
		}
	}
	return found
}

// launcherFor is the shim a venv whose python is named version
// (python3.11) would be relinked to, where that shim starts a launcher
// (a version manager's shim, say), not CPython itself; nil otherwise.
func (s *ShimSet) launcherFor(version string) *Shim {
	if _, ok := launch.PythonMinor(version); !ok {
		version = "python3"
	}
	for i, sh := range s.Shims {
		if sh.Name == version && !sh.Launch.Python {
			return &s.Shims[i]
		}
	}
	return nil
}

func lexists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// isDir reports whether path is a directory, following symlinks.
func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}
