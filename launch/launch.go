// Package launch works out how a program found on PATH really starts, so
// that a shim can start it the same way while giving the project's
// library path to that one process, as nix-ld's loader does for the
// programs it runs: the ELF program behind nixpkgs' wrappers (makeWrapper
// scripts, makeBinaryWrapper binaries), the dynamic loader its PT_INTERP
// names, and for a Python its version and the prefix its wrapper's
// location gives it.
package launch

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Kind says what a program file is.
type Kind int

const (
	// Other is anything nixld cannot start itself: a script of another
	// kind, a wrapper it does not understand, a missing file.
	Other Kind = iota
	// ELF is a dynamically linked ELF program.
	ELF
	// Static is an ELF program without a PT_INTERP: it loads no libraries.
	Static
	// Script is a makeWrapper shell script that ends by exec'ing its
	// program, exec -a "$0" PROGRAM "$@" (python3.withPackages before
	// makeBinaryWrapper).
	Script
	// BinaryWrapper is a makeBinaryWrapper ELF whose embedded makeCWrapper
	// command line nixld understood (python3.withPackages' interpreter).
	BinaryWrapper
)

// Program is how a program starts. The zero value is an Other.
type Program struct {
	// Real is the program's file, symlinks resolved.
	Real string `json:"real,omitempty"`
	Kind Kind   `json:"kind,omitempty"`
	// Exec is the ELF program that finally runs: Real for an ELF, what a
	// wrapper execs (through any nested binary wrappers) otherwise.
	Exec string `json:"exec,omitempty"`
	// Loader is Exec's PT_INTERP, where that dynamic loader can start it
	// with --argv0 and --library-path (glibc 2.33 and later); "" otherwise.
	Loader string `json:"loader,omitempty"`
	// Wrapper is what a BinaryWrapper does before it execs Exec.
	Wrapper *Wrapper `json:"wrapper,omitempty"`
	// SoleExec says a Script's only exec is its last line (see soleExec).
	SoleExec bool `json:"sole_exec,omitempty"`
	// Version is the versioned name of the Python it runs (python3.12),
	// read from Exec's resolved name; "" for other programs.
	Version string `json:"version,omitempty"`
	// Python says Exec is CPython itself (it needs libpython3.X, or holds
	// it: Py_BytesMain), not a launcher that starts one (a version
	// manager's shim, say): only then does the library path given to Exec
	// reach the interpreter.
	Python bool `json:"python,omitempty"`
	// Prefix is, for a Python whose wrapper lives in an environment of its
	// own (python3.withPackages: ENV/bin/python3.12 beside
	// ENV/lib/python3.12/os.py), that environment, where it is not the
	// Python's own; named through the profile the wrapper was found in,
	// where one leads there (see stablePrefix). CPython finds its prefix by
	// looking for that landmark above argv[0], so a shim that runs it
	// under the shim's name must offer the same landmark.
	Prefix string `json:"prefix,omitempty"`
}

// maxDepth bounds how many wrappers Inspect follows.
const maxDepth = 4

// Inspect finds out how the program at path starts. It reads at most a
// few MiB of each file it looks at and never fails: what it cannot tell
// is an Other.
func Inspect(path string) Program {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return Program{}
	}
	p := Program{Real: real}
	switch interp, kind := readELF(real); kind {
	case ELF:
		if w, wrapper := readWrapper(real); w != nil {
			p.Kind, p.Wrapper = BinaryWrapper, w
			p.Exec, p.Loader = w.resolve()
		} else if wrapper {
			p.Kind = Other // a wrapper nixld cannot start the way it would
		} else {
			p.Kind, p.Exec = ELF, real
			p.Loader = usableLoader(interp)
		}
	case Static:
		p.Kind, p.Exec = Static, real
	default:
		head := ReadHead(real)
		if exec := ScriptExecOf(head); exec != "" {
			p.Kind, p.Exec, p.SoleExec = Script, exec, soleExec(head)
			p.Loader = plainLoader(exec)
		}
	}
	p.Version, p.Prefix = pythonOf(p)
	if p.Prefix != "" {
		p.Prefix = stablePrefix(path, p.Prefix, p.Version)
	}
	if p.Exec != "" {
		if real, err := filepath.EvalSymlinks(p.Exec); err == nil {
			p.Python = isPython(real)
		}
	}
	return p
}

// plainLoader is the usable loader of the ELF program at path where that
// is a plain one (not a wrapper), or "". It follows nothing further: a
// script that execs itself must not make nixld loop.
func plainLoader(path string) string {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return ""
	}
	interp, kind := readELF(real)
	if kind != ELF {
		return ""
	}
	if _, wrapper := readWrapper(real); wrapper {
		return ""
	}
	return usableLoader(interp)
}

// resolve follows w's program through any nested binary wrappers, which
// it folds into w, to the ELF that runs, and returns it with its usable
// loader ("" for both where the chain ends in something else).
func (w *Wrapper) resolve() (exec, loader string) {
	for range maxDepth {
		real, err := filepath.EvalSymlinks(w.Executable)
		if err != nil {
			return "", ""
		}
		interp, kind := readELF(real)
		if kind != ELF {
			return "", ""
		}
		inner, wrapper := readWrapper(real)
		if !wrapper {
			return w.Executable, usableLoader(interp)
		}
		if inner == nil {
			return "", ""
		}
		w.wrap(inner)
	}
	return "", ""
}

// pythonOf reads the Python version from the resolved name of the program
// that runs, and the prefix the wrapper's location gives it.
func pythonOf(p Program) (version, prefix string) {
	name := p.Real
	if p.Exec != "" {
		if real, err := filepath.EvalSymlinks(p.Exec); err == nil {
			name = real
		}
	}
	n, ok := PythonMinor(filepath.Base(name))
	if !ok {
		return "", ""
	}
	version = "python3." + strconv.Itoa(n)
	landmark := filepath.Join("lib", version, "os.py")
	if env := filepath.Dir(filepath.Dir(p.Real)); isFile(filepath.Join(env, landmark)) && env != filepath.Dir(filepath.Dir(name)) {
		prefix = env
	}
	return version, prefix
}

// stablePrefix is the environment prefix as named through path's
// directory, where that names the same environment (a profile:
// ~/.nix-profile/bin/python3.12 beside ~/.nix-profile/lib/python3.12):
// a link to it follows the profile to its next generation. Otherwise it
// is prefix itself.
func stablePrefix(path, prefix, version string) string {
	cand := filepath.Dir(filepath.Dir(filepath.Clean(path)))
	if !filepath.IsAbs(cand) || cand == prefix {
		return prefix
	}
	landmark := filepath.Join("lib", version, "os.py")
	a, errA := os.Stat(filepath.Join(cand, landmark))
	b, errB := os.Stat(filepath.Join(prefix, landmark))
	if errA == nil && errB == nil && os.SameFile(a, b) {
		return cand
	}
	return prefix
}

// PythonMinor parses python3.X, X a number as CPython writes it.
func PythonMinor(name string) (int, bool) {
	x, ok := strings.CutPrefix(name, "python3.")
	if !ok || x == "" || len(x) > 3 || (x[0] == '0' && len(x) > 1) {
		return 0, false
	}
	n := 0
	for _, c := range x {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
