package hook

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/nixld/nixld/shells"
	"github.com/nixld/nixld/templates"
)

// Shim is one wrapper script: Name in the shim directory runs Target,
// under the shim's own name where Argv0 (see inVenv), or by sourcing it
// where Source (see isWrapper). Version is the versioned name of the
// Python it runs (python3.11), where the target tells.
type Shim struct {
	Name    string
	Target  string
	Argv0   bool
	Source  bool
	Version string `json:",omitempty"`
}

// stands reports whether s stands in for its versioned shim (python3 for
// python3.11): a venv made through it should link to the versioned one,
// which keeps its Python whatever python3 means in another shell.
func (s Shim) stands() bool { return s.Version != "" && s.Version != s.Name && s.Argv0 }

// ShimSet is what WriteShims left in a project's shim directory.
type ShimSet struct {
	Bin     string
	Shims   []Shim
	Missing []string // programs the config names but PATH lacks
}

// Names lists the wrapped programs.
func (s *ShimSet) Names() []string {
	names := make([]string, len(s.Shims))
	for i, sh := range s.Shims {
		names[i] = sh.Name
	}
	return names
}

// shimRoot holds one directory per project.
func (d Dirs) shimRoot() string { return filepath.Join(d.State, "shims") }

// ShimDir is p's shim directory: stable for the project's resolved path,
// named after it for humans and by its hash for uniqueness.
func (d Dirs) ShimDir(p *Project) string {
	base := unsafeName.ReplaceAllString(filepath.Base(p.Real), "_")
	return filepath.Join(d.shimRoot(), base+"-"+hashOf(p.Real)[:16], "bin")
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._+-]+`)

// RenderShim is the script for one shim in the shim directory bin.
func RenderShim(p *Project, cfg *Config, interp, bin string, s Shim) (string, error) {
	var libs strings.Builder
	for _, lib := range cfg.ExtraLibraries() {
		libs.WriteString(":" + shells.Bash.Quote(lib))
	}
	argv0, delegate := `"$0"`, ""
	if s.stands() {
		versioned := shells.Bash.Quote(filepath.Join(bin, s.Version))
		if s.Source {
			delegate = versioned
		} else {
			argv0 = versioned
		}
	}
	return templates.Render("shim.bash", map[string]any{
		"Name":        shells.Bash.Quote(s.Name),
		"Wanted":      shells.Bash.Quote(cmp.Or(s.Version, s.Name)),
		"Delegate":    delegate,
		"Argv0Path":   argv0,
		"Interpreter": interp,
		"SystemVar":   SystemNixLDVar,
		"Target":      shells.Bash.Quote(s.Target),
		"Project":     shells.Bash.Quote(p.Dir),
		"DefaultLibs": shells.Bash.Quote(DefaultNixLD),
		"Libraries":   libs.String(),
		"Argv0":       s.Argv0,
		"Source":      s.Source,
	})
}

// WriteShims brings p's shim directory up to date for the programs found
// on path: each shim is replaced atomically and only if it changed, and
// shims of programs no longer wrapped are removed. Where nothing it depends
// on changed since the last time (the PATH directories' fingerprint, the
// config, nixld's shim template), it reads no directory and writes nothing.
func (d Dirs) WriteShims(p *Project, cfg *Config, path string) (*ShimSet, error) {
	return d.writeShims(p, cfg, d.newLookup(path))
}

func (d Dirs) writeShims(p *Project, cfg *Config, l *lookup) (*ShimSet, error) {
	set := &ShimSet{Bin: d.ShimDir(p)}
	if strings.Contains(set.Bin, ":") {
		return nil, fmt.Errorf("shim directory %s contains ':' and cannot go on PATH; set XDG_STATE_HOME elsewhere", d.Show(set.Bin))
	}
	interp := l.interpreter()
	key := l.fingerprint(append([]string{p.Dir, p.Real, interp, DefaultNixLD, templates.Digest("shim.bash"),
		fmt.Sprint(cfg.Wrap == nil)}, append(cfg.Wrap, cfg.ExtraLibraries()...)...)...)
	cache := shimCacheFile(set.Bin)
	unlock, err := lockShims(set.Bin)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if c := readShimCache(cache); c.holds(key, dirStamp(set.Bin)) {
		set.Shims, set.Missing = c.Shims, c.Missing
		return set, nil
	}
	set.Shims, set.Missing = l.resolve(cfg)
	if err := writeIfChanged(filepath.Join(filepath.Dir(set.Bin), "project"), []byte(p.Real+"\n"), 0o644); err != nil {
		return nil, err
	}
	set.Shims = append(set.Shims, keptInterpreters(set.Bin, set.Shims)...)
	keep := map[string]bool{}
	for _, s := range set.Shims {
		code, err := RenderShim(p, cfg, interp, set.Bin, s)
		if err != nil {
			return nil, err
		}
		if err := writeScriptIfChanged(filepath.Join(set.Bin, s.Name), code); err != nil {
			return nil, err
		}
		keep[s.Name] = true
	}
	entries, err := os.ReadDir(set.Bin)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		// Dot files are other writers' temporary files.
		if !keep[e.Name()] && !strings.HasPrefix(e.Name(), ".") {
			// Another nixld may have removed it first.
			if err := removeIfExists(filepath.Join(set.Bin, e.Name())); err != nil {
				return nil, err
			}
		}
	}
	// A cache that can't be written only costs the next entry some time.
	writeShimCache(cache, &shimCache{Key: key, Stamp: dirStamp(set.Bin), Shims: set.Shims, Missing: set.Missing, AbsentStore: l.absentStore()})
	return set, nil
}

// writeScriptIfChanged writes a shim that differs from the file there,
// after parsing it: a shim that does not parse is never written.
func writeScriptIfChanged(name, code string) error {
	if unchanged(name, []byte(code), 0o755) {
		return nil
	}
	if err := shells.Bash.Validate(code); err != nil {
		return err
	}
	return writeFileAtomic(name, []byte(code), 0o755)
}

// scrubShims rewrites a project's shims without anything its config
// added (libraries, packages, the GPU directory): the project is no
// longer allowed, but venvs may still run through them. The next allowed
// entry writes them whole again.
func (d Dirs) scrubShims(bin string) error {
	data, err := os.ReadFile(filepath.Join(filepath.Dir(bin), "project"))
	if err != nil {
		return nil // nothing nixld wrote
	}
	real := strings.TrimSuffix(string(data), "\n")
	p := &Project{Dir: real, Real: real}
	interp := d.newLookup("").interpreter()
	for _, s := range shimsIn(bin) {
		code, err := RenderShim(p, DefaultConfig, interp, bin, s)
		if err != nil {
			return err
		}
		if err := writeScriptIfChanged(filepath.Join(bin, s.Name), code); err != nil {
			return err
		}
	}
	return removeIfExists(shimCacheFile(bin))
}

// keptInterpreters are the interpreter shims already in bin that this
// PATH has no program for: a venv may link to one, so it stays, running
// what it ran before (and saying so if that is gone). Shims of other
// programs no longer wrapped are removed.
func keptInterpreters(bin string, shims []Shim) []Shim {
	var kept []Shim
	for _, s := range shimsIn(bin) {
		if IsInterpreterName(s.Name) && !slices.ContainsFunc(shims, func(o Shim) bool { return o.Name == s.Name }) {
			kept = append(kept, s)
		}
	}
	return kept
}

// shimsIn reads the shims nixld wrote in bin back, with their targets.
func shimsIn(bin string) []Shim {
	entries, _ := os.ReadDir(bin)
	var shims []Shim
	for _, e := range entries {
		if target, shim := ScriptTarget(filepath.Join(bin, e.Name())); shim {
			shims = append(shims, newShim(e.Name(), target))
		}
	}
	return shims
}

func writeIfChanged(name string, data []byte, perm os.FileMode) error {
	if unchanged(name, data, perm) {
		return nil
	}
	return writeFileAtomic(name, data, perm)
}

// unchanged reports whether name already holds data with mode perm.
func unchanged(name string, data []byte, perm os.FileMode) bool {
	old, err := os.ReadFile(name)
	if err != nil || string(old) != string(data) {
		return false
	}
	fi, err := os.Stat(name)
	return err == nil && fi.Mode().Perm() == perm
}
