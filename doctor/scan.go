package doctor

// The library check: every shared object in the project's venvs, each
// library it needs looked up as the interpreter's loader would, started
// through nixld's shim.

import (
	"github.com/nixld/nixld/hook"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
)

// findVenvs lists the venvs under root: every directory holding a
// pyvenv.cfg, hidden ones (.venv, .tox/*) included. It does not look in
// node_modules, .git, or a venv's own packages.
func findVenvs(root string) []string {
	var venvs []string
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		switch d.Name() {
		case "node_modules", ".git", "site-packages":
			return filepath.SkipDir
		}
		if _, err := os.Stat(filepath.Join(path, "pyvenv.cfg")); err == nil {
			venvs = append(venvs, path)
		}
		return nil
	})
	return venvs
}

// sharedObjects lists the ELF shared objects in a venv: extension modules
// and the libraries wheels bundle.
func sharedObjects(venv string) []string {
	var objects []string
	filepath.WalkDir(venv, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && strings.Contains(d.Name(), ".so") && isELF(path) {
			objects = append(objects, path)
		}
		return nil
	})
	return objects
}

// interpreter follows a venv's python, through symlinks, nixld's shims and
// nixpkgs' makeWrapper scripts, to the ELF program that runs.
func interpreter(path string, depth int) string {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return ""
	}
	if isELF(real) {
		return real
	}
	if next, _ := hook.ScriptTarget(real); next != "" && depth > 0 {
		return interpreter(next, depth-1)
	}
	return ""
}

// venvPython is the interpreter a venv runs, or python3 on PATH.
func venvPython(venv string) string {
	for _, name := range []string{"python3", "python"} {
		if p := interpreter(filepath.Join(venv, "bin", name), 4); p != "" {
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
	mu       sync.Mutex
	exists   map[string]bool
}

func newLoader(python string, ld []string) *loader {
	l := &loader{ld: ld, loaded: map[string]bool{}, exists: map[string]bool{}}
	interp := ""
	if o, err := readObject(python); err == nil {
		interp = o.interp
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
	data, err := os.ReadFile(name)
	if err != nil || depth > 4 {
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

// scanVenv returns, per missing soname, the objects in venv that need it.
func scanVenv(venv string, ld []string, missing map[string][]string) (python string, scanned int) {
	python = venvPython(venv)
	l := newLoader(python, ld)
	objects := sharedObjects(venv)
	type result struct {
		path    string
		missing []string
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
				if err != nil {
					continue
				}
				results[i].path = o.path
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
	for _, r := range results {
		for _, soname := range r.missing {
			missing[soname] = append(missing[soname], r.path)
		}
	}
	return python, len(objects)
}
