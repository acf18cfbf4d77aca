// Package hook decides what state a shell should be in for a directory:
// it finds the project, checks trust, writes the shims and computes the
// changes to PATH and LD_LIBRARY_PATH that enter or leave a project.
package hook

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/nixld/nixld/internal/regular"
)

// Names of the files and variables nixld owns or reads.
const (
	ConfigName = ".nixld.toml"
	StateVar   = "_NIXLD_STATE"
	NixLDVar   = "NIX_LD_LIBRARY_PATH"
	LDVar      = "LD_LIBRARY_PATH"
	QuietVar   = "NIXLD_QUIET"
	VenvVar    = "VIRTUAL_ENV" // an activated venv
	// DirenvVar names the shim directory `use nixld` put on PATH: direnv
	// owns it, and nixld's own hook leaves it there.
	DirenvVar    = "_NIXLD_DIRENV"
	DefaultNixLD = "/run/current-system/sw/share/nix-ld/lib"
	// GPUDriverDir is where NixOS puts the GPU driver's libraries
	// (libcuda.so.1 and the like). It is a symlink a rebuild changes, so
	// it goes on LD_LIBRARY_PATH as it is, never resolved.
	GPUDriverDir = "/run/opengl-driver/lib"
)

// SystemNixLDVar is nix-ld's per-system variable for the system nixld runs
// on (NIX_LD_LIBRARY_PATH_x86_64_linux): where set, it takes precedence
// over NIX_LD_LIBRARY_PATH, as in nix-ld itself.
var SystemNixLDVar = NixLDVar + "_" + nixSystem()

// nixSystem is the Nix system nixld runs on, dashes as underscores.
func nixSystem() string {
	arch := map[string]string{"amd64": "x86_64", "arm64": "aarch64", "386": "i686", "ppc64le": "powerpc64le"}[runtime.GOARCH]
	if arch == "" {
		arch = runtime.GOARCH
	}
	return arch + "_" + runtime.GOOS
}

// StoreDir is the Nix store ($NIX_STORE_DIR, else /nix/store).
func StoreDir() string {
	if dir := os.Getenv("NIX_STORE_DIR"); filepath.IsAbs(dir) {
		return filepath.Clean(dir)
	}
	return "/nix/store"
}

// InStore reports whether path lies inside a store path: what is there
// never changes once it exists.
func InStore(path string) bool {
	rest, ok := strings.CutPrefix(path, StoreDir()+"/")
	return ok && rest != ""
}

// NixLDPath is the library path nix-ld uses: its per-system variable, else
// NIX_LD_LIBRARY_PATH, else NixOS's default; the first set and not empty.
func NixLDPath(env Env) string {
	for _, name := range []string{SystemNixLDVar, NixLDVar} {
		if v := env[name]; v != "" {
			return v
		}
	}
	return DefaultNixLD
}

// UserNixLDPath is NixLDPath as it is outside any project: without the
// directories that the project env is in (its $_NIXLD_STATE) appended.
func UserNixLDPath(env Env) string {
	v := varsOf(env)
	if st, err := decodeState(env[StateVar]); err == nil && st.active() {
		leave(v, st)
	}
	return v.nixLD()
}

// Env is a process environment.
type Env map[string]string

// EnvFrom reads an environment in os.Environ form.
func EnvFrom(environ []string) Env {
	env := Env{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	return env
}

// Lookup returns the value of k and whether it is set at all.
func (e Env) Lookup(k string) (string, bool) {
	v, ok := e[k]
	return v, ok
}

// ptr returns the value of k, or nil where k is unset.
func (e Env) ptr(k string) *string {
	if v, ok := e[k]; ok {
		return &v
	}
	return nil
}

// Environ returns e in os.Environ form, sorted.
func (e Env) Environ() []string {
	out := make([]string, 0, len(e))
	for k, v := range e {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out
}

// Dirs are nixld's data directory (the trust store) and state directory
// (the shims), both below the XDG base directories.
type Dirs struct {
	Data  string
	State string
	Home  string
}

// DirsFrom applies the XDG base directory rules to env: a relative
// XDG_*_HOME is ignored, and HOME is needed only where one is unset.
func DirsFrom(env Env) (Dirs, error) {
	home, _ := env.Lookup("HOME")
	if filepath.IsAbs(home) {
		// A trailing slash would make messages show ~proj, another
		// user's home.
		home = filepath.Clean(home)
	}
	pick := func(name, fallback string) (string, error) {
		if v, _ := env.Lookup(name); filepath.IsAbs(v) {
			return filepath.Join(filepath.Clean(v), "nixld"), nil
		}
		if !filepath.IsAbs(home) {
			return "", fmt.Errorf("neither $%s nor $HOME is an absolute path", name)
		}
		return filepath.Join(home, fallback, "nixld"), nil
	}
	data, err := pick("XDG_DATA_HOME", ".local/share")
	if err != nil {
		return Dirs{}, err
	}
	state, err := pick("XDG_STATE_HOME", ".local/state")
	if err != nil {
		return Dirs{}, err
	}
	return Dirs{Data: data, State: state, Home: home}, nil
}

// Show renders a path for a one-line message: ~ for the home directory,
// and Go quoting where the path holds anything a terminal would not show
// as written (newlines, bidi overrides, bytes that are not UTF-8).
func (d Dirs) Show(path string) string {
	if d.Home != "" && d.Home != "/" && within(path, d.Home) {
		path = "~" + strings.TrimPrefix(path, d.Home)
	}
	if unsafeText(path) {
		return fmt.Sprintf("%q", path)
	}
	return path
}

// within reports whether path is root or below it.
func within(path, root string) bool {
	return path == root || strings.HasPrefix(path, strings.TrimSuffix(root, "/")+"/")
}

// readSmall reads a small file whole (at most 1 MiB), leaving its access
// time alone where nixld owns it: a shim's tells when it last ran (see
// LastRan).
func readSmall(name string) ([]byte, error) { return regular.ReadAll(name, 1<<20) }

// ReplaceWithSymlink makes path a symlink to target through a rename in
// path's directory: readers see the old entry or the new link, and
// whatever path was (a link a repository shipped, say) is never followed.
func ReplaceWithSymlink(path, target string) error {
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".nixld-tmp")
	os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// WriteFileAtomic replaces name with data through a rename, so readers
// see the old or the new file, never a partial one. An error is a
// *fs.PathError naming name, never the temporary file beside it, which
// the user has never heard of.
func WriteFileAtomic(name string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(name)+".*")
	if err != nil {
		return &fs.PathError{Op: "write", Path: name, Err: Cause(err)}
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(tmp, perm)
	}
	if werr == nil {
		werr = os.Rename(tmp, name)
	}
	if werr != nil {
		os.Remove(tmp)
		return &fs.PathError{Op: "write", Path: name, Err: Cause(werr)}
	}
	return nil
}

// Cause is the system's reason inside an error that names a file
// ("read-only file system"), without the file; err itself where it names
// none.
func Cause(err error) error {
	var pe *fs.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe):
		return pe.Err
	case errors.As(err, &le):
		return le.Err
	}
	return err
}

// ShowError is err for a one-line message, its paths shown as Show shows
// them: "write ~/p/.nixld.toml: read-only file system".
func (d Dirs) ShowError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s %s: %v", pe.Op, d.Show(pe.Path), pe.Err)
	}
	return oneLine(err)
}
