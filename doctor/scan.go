package doctor

// The library check: every shared object in the project's venvs, each
// library it needs looked up as the interpreter's loader would, started
// through nixld's shim. The venvs are those of the project's own tree and
// its venvs in poetry's and pipenv's directories.

import (
	"debug/elf"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/nixld/nixld/hook"
	"github.com/nixld/nixld/internal/regular"
	"github.com/nixld/nixld/launch"
)

// maxWalk bounds the entries doctor visits looking for venvs in a tree.
const maxWalk = 500_000

// found is a venv doctor checks.
type found struct {
	path  string // as found
	real  string // symlinks resolved
	tool  string // "poetry" or "pipenv" where found in that tool's directory
	owned bool   // the project's to fix
}

// tree is what a walk of a project finds: its venvs, and the directories
// of the poetry and pipenv projects in it, whose venvs live elsewhere.
type tree struct {
	venvs          []found
	poetry, pipenv []string
	walked         int
	stopped        bool
}

// walkProject lists the venvs under the project's directory: every
// directory holding a pyvenv.cfg, hidden ones (.venv, .tox/*) and those
// reached through a symlink (.venv -> ../realvenv) included. It does not
// look in node_modules, .git, a venv's own packages, a nested project,
// whose tree is its own, or the directories skip names (the tools' and
// nixld's own, for a project at or above the home directory).
func walkProject(p *hook.Project, skip ...string) *tree {
	t := &tree{}
	seen := map[string]int{} // real path -> index in t.venvs
	add := func(path string, link bool) {
		real, err := filepath.EvalSymlinks(path)
		if err != nil {
			return
		}
		if i, ok := seen[real]; ok {
			if !link {
				t.venvs[i].path = path // the venv's own name beats a link's
			}
			return
		}
		seen[real] = len(t.venvs)
		t.venvs = append(t.venvs, found{path: path, real: real, owned: hook.Owns(p.Real, real)})
	}
	filepath.WalkDir(p.Dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if t.walked++; t.walked > maxWalk {
			t.stopped = true
			return filepath.SkipAll
		}
		switch {
		case d.IsDir():
			if path == p.Dir {
				if isVenv(path) {
					add(path, false)
				}
				return nil
			}
			switch d.Name() {
			case "node_modules", ".git", "site-packages", "__pycache__":
				return filepath.SkipDir
			}
			if slices.Contains(skip, path) {
				return filepath.SkipDir
			}
			if isProject(path) {
				return filepath.SkipDir
			}
			if isVenv(path) {
				add(path, false)
				return filepath.SkipDir
			}
		case d.Type()&fs.ModeSymlink != 0:
			if fi, err := os.Stat(path); err == nil && fi.IsDir() && isVenv(path) {
				add(path, true)
			}
		case d.Name() == "pyproject.toml":
			t.poetry = append(t.poetry, filepath.Dir(path))
		case d.Name() == "Pipfile":
			t.pipenv = append(t.pipenv, filepath.Dir(path))
		}
		return nil
	})
	return t
}

func isVenv(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "pyvenv.cfg"))
	return err == nil
}

// isProject applies hook.Find's test: a regular .nixld.toml.
func isProject(dir string) bool {
	fi, err := os.Stat(filepath.Join(dir, hook.ConfigName))
	return err == nil && fi.Mode().IsRegular()
}

// toolRoots are where tools keep their venvs and nixld its state, below
// the home directory: a project at or above it does not own them (a
// tool's venv belongs to the project the tool made it for).
func toolRoots(c Check) []string {
	home := c.Dirs.Home
	if !filepath.IsAbs(home) {
		return []string{c.Dirs.State, c.Dirs.Data}
	}
	data := xdgDir(c.Env, home, "XDG_DATA_HOME", filepath.Join(".local", "share"))
	cache := xdgDir(c.Env, home, "XDG_CACHE_HOME", ".cache")
	return []string{c.Dirs.State, c.Dirs.Data,
		filepath.Join(home, ".virtualenvs"), filepath.Join(cache, "pypoetry"),
		filepath.Join(data, "virtualenvs"), filepath.Join(data, "pipx"), filepath.Join(home, ".local", "pipx"),
		filepath.Join(data, "uv"), filepath.Join(data, "hatch"), filepath.Join(data, "pdm")}
}

// findVenvs is every venv Run checks: the project tree's, then the
// project's own in poetry's and pipenv's directories.
func findVenvs(c Check, r *Report) []found {
	t := walkProject(c.Project, toolRoots(c)...)
	if t.stopped {
		r.note("stopped looking for venvs in %s after %d entries", c.Dirs.Show(c.Project.Dir), maxWalk)
	}
	venvs := t.venvs
	for _, v := range toolVenvs(c.Env, c.Dirs.Home, t) {
		if !slices.ContainsFunc(venvs, func(f found) bool { return f.real == v.real }) {
			venvs = append(venvs, v)
		}
	}
	return venvs
}

// sharedName reports whether a file name is a shared object's: an
// extension module (x.cpython-311-x86_64-linux-gnu.so, x.abi3.so) or a
// library (libfoo.so, libfoo-1a2b.so.1.2).
func sharedName(name string) bool {
	return strings.HasSuffix(name, ".so") || strings.Contains(name, ".so.")
}

// sharedObjects lists the files in a venv named like shared objects, and
// those that are not regular files (a FIFO, a device), which are never
// opened.
func sharedObjects(venv string) (objects []string, skipped []Skipped) {
	filepath.WalkDir(venv, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !sharedName(d.Name()) {
			return nil
		}
		switch {
		case d.Type().IsRegular():
			objects = append(objects, path)
		case d.Type()&fs.ModeSymlink != 0:
			// The loader follows it to a file scanned in its own right.
		default:
			skipped = append(skipped, Skipped{Path: Bytes(path), Reason: regular.Kind(d.Type()) + ", not a regular file: not read"})
		}
		return nil
	})
	return objects, skipped
}

// interpreter follows a venv's python, through symlinks, nixld's shims and
// nixpkgs' wrappers (makeWrapper scripts, makeBinaryWrapper binaries), to
// the ELF program that runs.
func interpreter(path string, depth int) string {
	if next, shim := hook.ScriptTarget(path); shim {
		if depth == 0 {
			return ""
		}
		return interpreter(next, depth-1)
	}
	if p := launch.Inspect(path); p.Exec != "" {
		if real, err := filepath.EvalSymlinks(p.Exec); err == nil {
			return real
		}
	}
	return ""
}

// venvPython is the interpreter a venv runs, or else the one its shim
// was seen to start (ran, where a launcher hides it from reading: see
// shimRuns.executable), or else python3 on PATH.
func venvPython(venv, ran string) string {
	for _, name := range []string{"python3", "python"} {
		if p := interpreter(filepath.Join(venv, "bin", name), 4); p != "" {
			return p
		}
	}
	if ran != "" {
		if p := interpreter(ran, 0); p != "" {
			return p
		}
	}
	if p, err := exec.LookPath("python3"); err == nil {
		return interpreter(p, 4)
	}
	return ""
}

// loader is what the interpreter's dynamic loader searches by itself, and
// what the interpreter has loaded before any extension module.
type loader struct {
	ld       []string // LD_LIBRARY_PATH, as the shim sets it
	defaults []string
	loaded   map[string]bool
	class    elf.Class // of the interpreter: it loads nothing else
	machine  elf.Machine
	mu       sync.Mutex
	exists   map[string]bool
}

func newLoader(python string, ld []string) *loader {
	l := &loader{ld: ld, loaded: map[string]bool{}, exists: map[string]bool{}}
	interp := ""
	if o, err := readObject(python); err == nil {
		interp, l.class, l.machine = o.interp, o.class, o.machine
	}
	l.defaults = loaderDefaults(interp)
	// The interpreter's own libraries are loaded already, and a
	// dependency on one of them is met by soname.
	queue := []string{python}
	for len(queue) > 0 {
		o, err := readObject(queue[0])
		queue = queue[1:]
		if err != nil {
			continue
		}
		for _, soname := range o.needed {
			if l.loaded[soname] {
				continue
			}
			l.loaded[soname] = true
			if found := l.locate(o, soname); found != "" {
				queue = append(queue, found)
			}
		}
	}
	return l
}

// loaderDefaults: a Nix glibc's loader searches only its own lib
// directory; a distribution's loader the directories of ld.so.conf and
// the standard ones.
func loaderDefaults(interp string) []string {
	if interp == "" {
		return nil
	}
	real, err := filepath.EvalSymlinks(interp)
	if err != nil {
		real = interp
	}
	if hook.InStore(real) {
		return []string{filepath.Dir(real)}
	}
	dirs := ldSoConf("/etc/ld.so.conf", 0)
	for _, d := range []string{"/lib64", "/usr/lib64", "/lib", "/usr/lib"} {
		if !slices.Contains(dirs, d) {
			dirs = append(dirs, d)
		}
	}
	return dirs
}

// ldSoConf reads the directories of an ld.so.conf and its includes.
func ldSoConf(name string, depth int) []string {
	if depth > 4 {
		return nil
	}
	data, err := readSmall(name)
	if err != nil {
		return nil
	}
	var dirs []string
	for _, line := range strings.Split(string(data), "\n") {
		line, _, _ = strings.Cut(line, "#")
		line = strings.TrimSpace(line)
		if pattern, ok := strings.CutPrefix(line, "include "); ok {
			pattern = strings.TrimSpace(pattern)
			if !filepath.IsAbs(pattern) {
				pattern = filepath.Join(filepath.Dir(name), pattern)
			}
			matches, _ := filepath.Glob(pattern)
			for _, m := range matches {
				dirs = append(dirs, ldSoConf(m, depth+1)...)
			}
		} else if filepath.IsAbs(line) {
			dirs = append(dirs, line)
		}
	}
	return dirs
}

func (l *loader) has(path string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	ok, seen := l.exists[path]
	if !seen {
		_, err := os.Stat(path)
		ok = err == nil
		l.exists[path] = ok
	}
	return ok
}

// locate is the file the loader would load for o's dependency soname.
func (l *loader) locate(o *object, soname string) string {
	if strings.Contains(soname, "/") {
		if l.has(soname) {
			return soname
		}
		return ""
	}
	for _, dir := range o.searchPath(l.ld, l.defaults) {
		if p := filepath.Join(dir, soname); l.has(p) {
			return p
		}
	}
	return ""
}

// finds reports whether the loader would meet o's dependency soname.
func (l *loader) finds(o *object, soname string) bool {
	return attrFor(soname) == attrGlibc || l.loaded[soname] || l.locate(o, soname) != ""
}

// foreign says why the interpreter would never load o, or "".
func (l *loader) foreign(o *object) string {
	if l.machine == 0 || (o.class == l.class && o.machine == l.machine) {
		return ""
	}
	return fmt.Sprintf("built for %v (%v), which this interpreter (%v, %v) does not load: not checked", o.machine, o.class, l.machine, l.class)
}

// scanned is what scanVenv found in one venv.
type scanned struct {
	python  string
	scanned int
	skipped []Skipped
}

// scanVenv adds, per missing soname, the objects in venv that need it,
// as the interpreter python would load them.
func scanVenv(venv, python string, ld []string, missing map[string][]string) scanned {
	s := scanned{python: python}
	l := newLoader(s.python, ld)
	objects, skipped := sharedObjects(venv)
	s.skipped = skipped
	type result struct {
		ok      bool
		missing []string
		skipped string
	}
	results := make([]result, len(objects))
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.NumCPU() * 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				o, err := readObject(objects[i])
				switch {
				case errors.Is(err, errNotELF):
					continue // a linker script, say
				case err != nil:
					results[i].skipped = skipReason(err)
					continue
				}
				if why := l.foreign(o); why != "" {
					results[i].skipped = why
					continue
				}
				results[i].ok = true
				for _, soname := range o.needed {
					if !l.finds(o, soname) {
						results[i].missing = append(results[i].missing, soname)
					}
				}
			}
		}()
	}
	for i := range objects {
		next <- i
	}
	close(next)
	wg.Wait()
	for i, r := range results {
		if r.ok {
			s.scanned++
		}
		if r.skipped != "" {
			s.skipped = append(s.skipped, Skipped{Path: Bytes(objects[i]), Reason: r.skipped})
		}
		for _, soname := range r.missing {
			missing[soname] = append(missing[soname], objects[i])
		}
	}
	return s
}

// skipReason is why an object could not be read, without its path.
func skipReason(err error) string {
	if nr := (*regular.NotRegularError)(nil); errors.As(err, &nr) {
		return nr.Kind + ", not a regular file: not read"
	}
	return hook.Cause(err).Error()
}
