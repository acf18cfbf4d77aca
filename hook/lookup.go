package hook

// PATH lookups as a shell does them, never finding nixld's own shims, and
// the fingerprint of a PATH that tells when an earlier lookup still holds.

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/nixld/nixld/launch"
)

// lookup searches the absolute, non-shim directories of a PATH.
type lookup struct {
	dirs  []string
	roots []string // the shim root as named and resolved
}

// newLookup takes PATH apart once: relative entries are dropped (they would
// let the working directory choose the interpreter), and so are nixld's
// shim directories. The shim root's symlinks are resolved once here.
func (d Dirs) newLookup(path string) *lookup {
	root := d.ShimRoot()
	l := &lookup{roots: []string{root}}
	if real, err := filepath.EvalSymlinks(root); err == nil && real != root {
		l.roots = append(l.roots, real)
	}
	seen := map[string]bool{}
	for _, dir := range strings.Split(path, ":") {
		if filepath.IsAbs(dir) && !seen[dir] && !l.inShimRoot(dir) {
			seen[dir] = true
			l.dirs = append(l.dirs, dir)
		}
	}
	return l
}

func (l *lookup) inShimRoot(path string) bool {
	for _, root := range l.roots {
		if within(path, root) {
			return true
		}
	}
	return false
}

// withoutShimDirs takes nixld's shim directories out of a PATH, keeping
// every other entry as it is: those under this shim root, and those of
// another (an XDG_STATE_HOME since changed) that nixld wrote. The one
// direnv's `use nixld` put there (keep, from $_NIXLD_DIRENV) stays: direnv
// takes it out itself.
func (l *lookup) withoutShimDirs(path, keep string) string {
	if path == "" {
		return path
	}
	parts := strings.Split(path, ":")
	kept := parts[:0]
	for _, dir := range parts {
		if dir == keep || !filepath.IsAbs(dir) || !(l.inShimRoot(dir) || isShimDir(dir)) {
			kept = append(kept, dir)
		}
	}
	return strings.Join(kept, ":")
}

// isShimDir reports whether dir is a shim directory nixld wrote:
// .../nixld/shims/NAME-HASH/bin, with the project file beside it.
func isShimDir(dir string) bool {
	if !strings.Contains(dir, "/nixld/shims/") {
		return false
	}
	parent := filepath.Dir(dir)
	return filepath.Base(dir) == "bin" && filepath.Base(filepath.Dir(parent)) == "shims" &&
		filepath.Base(filepath.Dir(filepath.Dir(parent))) == "nixld" && lexists(filepath.Join(parent, "project"))
}

// isShim reports whether path is a nixld shim, directly or through
// symlinks (a venv's python links to one), so that no shim targets a shim.
func (l *lookup) isShim(path string) bool {
	if l.inShimRoot(path) {
		return true
	}
	real, err := filepath.EvalSymlinks(path)
	return err == nil && l.inShimRoot(real)
}

// absentStore lists the store directories on PATH that do not exist yet:
// the fingerprint takes store directories by name, so these are checked
// again on every entry.
func (l *lookup) absentStore() []string {
	var absent []string
	for _, dir := range l.dirs {
		if InStore(dir) && !lexists(dir) {
			absent = append(absent, dir)
		}
	}
	return absent
}

// find returns the first executable regular file called name, as a shell
// would run it, or "" where there is none.
func (l *lookup) find(name string) string {
	for _, dir := range l.dirs {
		cand := filepath.Join(dir, name)
		if fi, err := os.Stat(cand); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 && !l.isShim(cand) {
			return cand
		}
	}
	return ""
}

// programs is the config's wrap list, or the default one: python, python3
// and every python3.X on PATH, oldest first.
func (l *lookup) programs(cfg *Config) []string {
	if cfg.Wrap != nil {
		return cfg.Wrap
	}
	var minors []int
	for _, dir := range l.dirs {
		f, err := os.Open(dir)
		if err != nil {
			continue
		}
		names, _ := f.Readdirnames(-1)
		f.Close()
		for _, name := range names {
			if n, ok := launch.PythonMinor(name); ok && !slices.Contains(minors, n) {
				minors = append(minors, n)
			}
		}
	}
	slices.Sort(minors)
	names := []string{"python", "python3"}
	for _, n := range minors {
		names = append(names, "python3."+strconv.Itoa(n))
	}
	return names
}

// newShim is the shim called name for target, with how it must run it.
func newShim(name, target string) Shim {
	return Shim{Name: name, Target: target, Argv0: !inVenv(target), Launch: launch.Inspect(target)}
}

// IsInterpreterName reports whether name is python, python3 or python3.X:
// the names a venv's links may lead to.
func IsInterpreterName(name string) bool {
	_, versioned := launch.PythonMinor(name)
	return versioned || name == "python" || name == "python3"
}

// resolve finds each program to wrap; missing lists those the config
// names that PATH lacks. By default, where PATH has python3 but no python
// (Debian, many NixOS shells), python is a shim for python3 too: poetry
// and other tools look for `python` to find the active interpreter.
func (l *lookup) resolve(cfg *Config) (shims []Shim, missing []string) {
	for _, name := range l.programs(cfg) {
		if target := l.find(name); target != "" {
			shims = append(shims, newShim(name, target))
		} else if cfg.Wrap != nil {
			missing = append(missing, name)
		}
	}
	if cfg.Wrap == nil && len(shims) > 0 && shims[0].Name == "python3" {
		alias := shims[0]
		alias.Name = "python"
		shims = append([]Shim{alias}, shims...)
	}
	// Each generic shim's versioned one must exist, for venvs to link to.
	for _, s := range shims {
		if s.stands() && !slices.ContainsFunc(shims, func(o Shim) bool { return o.Name == s.Launch.Version }) {
			v := s
			v.Name = s.Launch.Version
			shims = append(shims, v)
		}
	}
	return shims, missing
}

// interpreter picks the shims' #! line: a bash that outlives a nix-shell
// or a garbage collection where there is one, since venvs link to shims.
// -p (privileged) makes bash ignore the caller's BASH_ENV, exported
// functions, SHELLOPTS and BASHOPTS, none of which may change what a shim
// runs.
func (l *lookup) interpreter() string {
	for _, cand := range []string{"/run/current-system/sw/bin/bash", "/bin/bash", "/usr/bin/bash"} {
		if fi, err := os.Stat(cand); err == nil && fi.Mode()&0o111 != 0 {
			return cand + " -p"
		}
	}
	if found := l.find("bash"); found != "" && !strings.ContainsAny(found, " \t\n") {
		return found + " -p"
	}
	return "/usr/bin/env -S bash -p"
}

var shimTargetLine = regexp.MustCompile(`(?m)^__nixld_target='((?:[^']|'\\'')*)'$`)

// ScriptTarget is the program a script runs: the target of a shim nixld
// wrote (shim is then true), or what a makeWrapper script runs with
// exec -a "$0"; "" for anything else, a FIFO or a device among them,
// which it never waits on.
func ScriptTarget(path string) (target string, shim bool) {
	head := launch.ReadHead(path)
	if m := shimTargetLine.FindSubmatch(head); m != nil {
		return strings.ReplaceAll(string(m[1]), `'\''`, "'"), true
	}
	return launch.ScriptExecOf(head), false
}

// inVenv reports whether target is a virtualenv's interpreter. Such a shim
// runs it under its own name, or Python would not find the venv.
func inVenv(target string) bool {
	_, err := os.Stat(filepath.Join(filepath.Dir(filepath.Dir(target)), "pyvenv.cfg"))
	return err == nil
}

// fingerprint identifies what the directories on PATH hold: a directory's
// device, inode, modification and change times move whenever an entry is
// added, removed or renamed, and a Nix profile switched to another store
// path is another inode even though every store path has mtime 1. A
// directory inside a store path never changes, so its name is enough
// (absentStore covers one not built yet). parts are mixed in too.
func (l *lookup) fingerprint(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p + "\x00"))
	}
	var buf [8]byte
	for _, dir := range l.dirs {
		h.Write([]byte(dir + "\x00"))
		if InStore(dir) {
			continue
		}
		var st syscall.Stat_t
		if syscall.Stat(dir, &st) != nil {
			h.Write([]byte("-\x00"))
			continue
		}
		for _, v := range []uint64{st.Dev, st.Ino, uint64(st.Mtim.Nano()), uint64(st.Ctim.Nano())} {
			binary.LittleEndian.PutUint64(buf[:], v)
			h.Write(buf[:])
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}
