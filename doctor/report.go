package doctor

// The report: what the loader would miss and which package provides it,
// the environment nixld relies on, and the fix in both forms, as text for
// people and as JSON for tools.

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/nixld/nixld/hook"
)

// Check says what to check: the project (nil where Root has none) and the
// environment nixld's shims would run in.
type Check struct {
	Dirs    hook.Dirs
	Env     hook.Env
	Root    string // the directory doctor was asked about
	Project *hook.Project
	// Config's PackageLibs are filled where its packages were built;
	// PackagesBuilt says whether they were.
	Config        *hook.Config
	PackagesBuilt bool
	// Progress, where not nil, gets one line before each step that may
	// take seconds (asking nix-locate).
	Progress io.Writer
	// Lookups, where not nil, keeps the packages found across runs.
	Lookups *Lookups
	// Direnv says Project is one direnv manages: its .envrc uses nixld
	// and it has no .nixld.toml (see hook.DirenvProject). DirenvAllowed is
	// what direnv said of its .envrc; DirenvErr why it said nothing.
	Direnv        bool
	DirenvAllowed bool
	DirenvErr     error
}

// allowed reports whether the user allowed c's project: nixld's allow, or
// direnv's for a project direnv manages; and what its trust is called.
func (c Check) allowed() (bool, string) {
	if !c.Direnv {
		t := c.Dirs.TrustOf(c.Project)
		return t == hook.Allowed, t.String()
	}
	switch {
	case c.DirenvErr != nil:
		return false, "unknown to direnv (" + c.DirenvErr.Error() + ")"
	case c.DirenvAllowed:
		return true, "allowed by direnv"
	}
	return false, "not allowed by direnv"
}

// configName is the file that makes c's project one: its .nixld.toml, or
// direnv's .envrc.
func (c Check) configName() string {
	if c.Direnv {
		return filepath.Join(c.Project.Dir, ".envrc")
	}
	return c.Project.Config()
}

// Report is the result; its JSON form is described in the README and
// versioned by Schema. Lists are never null; a value that is absent is.
type Report struct {
	Schema      int         `json:"schema"`
	Root        Bytes       `json:"root"`    // the directory checked: the project's, or the one asked about
	Project     Bytes       `json:"project"` // the .nixld.toml, or null
	Trust       Opt         `json:"trust"`   // "allowed", "not allowed", "changed since allowed", "denied", or null
	Environment Environment `json:"environment"`
	Venvs       []Venv      `json:"venvs"`
	Scanned     int         `json:"scanned"` // ELF objects read
	Skipped     []Skipped   `json:"skipped"` // files that looked like shared objects and could not be read as one
	Missing     []Missing   `json:"missing"`
	Fix         Remedy      `json:"fix"`
	Notes       []string    `json:"notes"`    // one line each; they do not make the exit status 1
	Problems    []string    `json:"problems"` // one line each
}

// Environment is what nixld's shims depend on outside the project.
type Environment struct {
	LibraryPath []Bytes  `json:"library_path"` // what the shims put on LD_LIBRARY_PATH
	NixLD       []LibDir `json:"nix_ld_dirs"`
	Variables   []EnvVar `json:"variables"` // nix-ld's per-system variable and NIX_LD_LIBRARY_PATH
	Hook        Opt      `json:"hook"`      // the shell whose hook called nixld, or null
	DeadShims   []Shim   `json:"dead_shims"`
	StaleShims  []Stale  `json:"stale_shims"`
	// LauncherShims are the shims doctor ran (see checkShims) that did not
	// start Python under their own name.
	LauncherShims []Launcher `json:"launcher_shims"`
	GPU           bool       `json:"gpu"`
}

type LibDir struct {
	Path      Bytes `json:"path"`
	Exists    bool  `json:"exists"`
	Libraries int   `json:"libraries"` // files named like shared objects in it
}

type EnvVar struct {
	Name  string `json:"name"`
	Value *Value `json:"value"` // null where unset
}

type Shim struct {
	Shim   Bytes `json:"shim"` // the shim's name
	Target Bytes `json:"target"`
}

// Stale is a shim whose target no longer leads to the file nixld wrote
// it for (a profile switched since): it falls back to exporting
// LD_LIBRARY_PATH (see hook.StaleShim).
type Stale struct {
	Shim    Bytes `json:"shim"`    // the shim's name
	Target  Bytes `json:"target"`  // what it runs
	Written Bytes `json:"written"` // the file the target led to when nixld wrote the shim
	Now     Bytes `json:"now"`     // the file it leads to now, or null
}

// Launcher is a shim whose program starts Python under another name
// than the shim's (a launcher: pyenv's, asdf's, mise's shims), or did not
// start it: a venv linked to it is no venv.
type Launcher struct {
	Shim       Bytes `json:"shim"`       // the shim's name
	Target     Bytes `json:"target"`     // what it runs
	Executable Bytes `json:"executable"` // sys.executable as that Python saw it, or null where none started
}

type Venv struct {
	Path    Bytes `json:"path"` // as found: in the project, or in a tool's directory
	Real    Bytes `json:"real"` // Path with symlinks resolved
	Tool    Opt   `json:"tool"` // "poetry" or "pipenv" for the project's venv in that tool's directory, else null
	OK      bool  `json:"ok"`
	Python  Bytes `json:"python"`  // the ELF interpreter it runs, or null
	Problem Opt   `json:"problem"` // why not ok, or null
	// owned: --fix may change it (see hook.Owns, and tool venvs).
	owned bool
}

// Skipped is a file doctor did not read as a shared object, and why.
type Skipped struct {
	Path   Bytes  `json:"path"`
	Reason string `json:"reason"`
}

// Missing is a library the loader won't find, and who provides it.
type Missing struct {
	Soname   Bytes   `json:"soname"`
	NeededBy []Bytes `json:"needed_by"`
	Nixpkgs  Opt     `json:"nixpkgs"` // attribute path, or null
	// Source is where the attribute came from: "table" (nixld's own),
	// "store" (a store path on this machine holding lib/SONAME),
	// "nix-locate" (nix-index's database), or null where none knew.
	Source Opt `json:"source"`
	// Guess is true where the attribute is the store path's package
	// name, which is usually but not always the attribute.
	Guess bool   `json:"guess"`
	Found Bytes  `json:"found"` // the store file that answered, or null
	Hint  string `json:"hint"`
}

// Remedy is the same remedy for the project and for the whole system.
type Remedy struct {
	Packages []string `json:"packages"` // the attributes, guesses included
	Project  Opt      `json:"project"`  // a line for .nixld.toml, or null
	System   Opt      `json:"system"`   // a line for configuration.nix, or null
}

// Run checks the environment and, inside a project, the venvs of its
// tree (nested projects' trees excluded) and its venvs in poetry's and
// pipenv's directories. Outside a project it checks the environment only.
func Run(c Check) *Report {
	r := &Report{Schema: Schema, Root: Bytes(c.Root), Venvs: []Venv{}, Skipped: []Skipped{}, Missing: []Missing{}, Notes: []string{}, Problems: []string{}}
	r.Fix.Packages = []string{}
	cfg := c.Config
	if cfg == nil {
		cfg = hook.DefaultConfig
	}
	if c.Project != nil {
		r.Root = Bytes(c.Project.Dir)
		r.Project = Bytes(c.configName())
		ok, trust := c.allowed()
		r.Trust = Opt(trust)
		switch {
		case ok:
		case c.Direnv:
			r.problem("%s is %s: run 'direnv allow' after reviewing it", c.Dirs.Show(string(r.Project)), trust)
		default:
			r.problem("%s is %s: run 'nixld allow' after reviewing it", c.Dirs.Show(string(r.Project)), trust)
		}
	} else {
		r.problem("no %s in %s or above, so no venvs were checked, only the environment: run 'nixld init' in your project", hook.ConfigName, c.Dirs.Show(c.Root))
	}
	r.environment(c, cfg)
	if c.Project == nil {
		return r
	}

	bin := c.Dirs.ShimDir(c.Project)
	found := findVenvs(c, r)
	shims := r.checkShims(c, found)
	missing := map[string][]string{}
	for _, f := range found {
		s := scanVenv(f.real, venvPython(f.real, shims.executable(f)), stringsOf(r.Environment.LibraryPath), missing)
		v := Venv{Path: Bytes(f.path), Real: Bytes(f.real), Tool: Opt(f.tool), Python: Bytes(s.python), owned: f.owned}
		v.Problem = Opt(cmp.Or(shims.venvShimFault(f), checkVenv(c.Dirs, f, bin)))
		v.OK = v.Problem == ""
		r.Venvs = append(r.Venvs, v)
		r.Scanned += s.scanned
		r.Skipped = append(r.Skipped, s.skipped...)
	}
	r.name(c, missing)
	return r
}

// name looks up the package for each missing soname and writes the fix.
func (r *Report) name(c Check, missing map[string][]string) {
	names := make([]string, 0, len(missing))
	for soname := range missing {
		names = append(names, soname)
	}
	slices.Sort(names)
	providers := newProviders(c, r).lookup(names)
	for _, soname := range names {
		p := providers[soname]
		m := Missing{Soname: Bytes(soname), Source: Opt(p.source), Guess: p.guess, Found: Bytes(p.found)}
		for _, by := range missing[soname] {
			m.NeededBy = append(m.NeededBy, Bytes(by))
		}
		shown := c.Dirs.Show(soname)
		switch p.attr {
		case attrGPU:
			m.Hint = "the GPU driver provides it: set gpu = true in .nixld.toml and enable hardware.graphics (with the NVIDIA driver: hardware.nvidia)"
		case attrGlibc:
			m.Hint = "part of glibc, yet the interpreter's C library lacks it"
		case "":
			m.Hint = p.hint(shown)
		default:
			m.Nixpkgs = Opt(p.attr)
			m.Hint = p.hint(shown)
			if !slices.Contains(r.Fix.Packages, p.attr) {
				r.Fix.Packages = append(r.Fix.Packages, p.attr)
			}
		}
		r.Missing = append(r.Missing, m)
	}
	if len(r.Fix.Packages) > 0 {
		quoted := make([]string, len(r.Fix.Packages))
		for i, p := range r.Fix.Packages {
			quoted[i] = strconv.Quote(p)
		}
		r.Fix.Project = Opt("packages = [" + strings.Join(quoted, ", ") + "]")
		r.Fix.System = Opt("programs.nix-ld.libraries = with pkgs; [ " + strings.Join(r.Fix.Packages, " ") + " ];")
	}
}

func (r *Report) problem(format string, args ...any) {
	r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
}

func (r *Report) note(format string, args ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
}

func stringsOf(b []Bytes) []string {
	s := make([]string, len(b))
	for i, v := range b {
		s[i] = string(v)
	}
	return s
}

// environment checks nix-ld's directory and variables, the hook, and the
// project's shims.
func (r *Report) environment(c Check, cfg *hook.Config) {
	e := &r.Environment
	e.GPU = cfg.GPU
	e.LibraryPath = []Bytes{}
	nixLD := hook.UserNixLDPath(c.Env)
	for _, dir := range hook.LibraryDirs(nixLD, cfg) {
		e.LibraryPath = append(e.LibraryPath, Bytes(dir))
	}
	if len(cfg.Packages) > 0 && !c.PackagesBuilt {
		r.problem("the packages of %s are not built: run 'nixld packages %s'", c.Dirs.Show(string(r.Project)), c.Dirs.Show(string(r.Root)))
	}
	e.Variables = []EnvVar{}
	for _, name := range []string{hook.SystemNixLDVar, hook.NixLDVar} {
		v := EnvVar{Name: name}
		if value, ok := c.Env.Lookup(name); ok {
			v.Value = (*Value)(&value)
		}
		e.Variables = append(e.Variables, v)
	}
	e.NixLD = []LibDir{}
	for _, dir := range strings.Split(nixLD, ":") {
		if !filepath.IsAbs(dir) {
			continue
		}
		d := LibDir{Path: Bytes(dir)}
		if entries, err := os.ReadDir(dir); err == nil {
			d.Exists = true
			for _, entry := range entries {
				if sharedName(entry.Name()) {
					d.Libraries++
				}
			}
		}
		e.NixLD = append(e.NixLD, d)
	}
	for _, line := range c.Dirs.MissingDirs(c.Env, nixLD, c.Project, cfg) {
		r.problem("%s", line)
	}
	e.Hook = Opt(c.Env[hook.HookVar])
	e.DeadShims, e.StaleShims, e.LauncherShims = []Shim{}, []Stale{}, []Launcher{}
	if c.Project != nil {
		bin := c.Dirs.ShimDir(c.Project)
		if shimsGone(c) {
			r.problem("the shims of %s are gone while PATH still names their directory, so the programs they wrap run without the project's libraries: %s", c.Dirs.Show(c.Project.Dir), rewriteShims(c))
		}
		entries, _ := os.ReadDir(bin)
		for _, entry := range entries {
			path := filepath.Join(bin, entry.Name())
			target, shim := hook.ScriptTarget(path)
			if !shim {
				continue
			}
			if _, err := os.Stat(target); err != nil {
				e.DeadShims = append(e.DeadShims, Shim{Shim: Bytes(entry.Name()), Target: Bytes(target)})
				r.problem("shim %s runs %s, which is gone: with it on PATH again, run 'nixld shims'", entry.Name(), c.Dirs.Show(target))
			} else if written, now, stale := hook.StaleShim(path); stale {
				e.StaleShims = append(e.StaleShims, Stale{Shim: Bytes(entry.Name()), Target: Bytes(target), Written: Bytes(written), Now: Bytes(now)})
				leads := "something else"
				if now != "" {
					leads = c.Dirs.Show(now)
				}
				r.problem("shim %s was written for %s, but %s leads to %s now, so it exports LD_LIBRARY_PATH to everything it starts: %s",
					entry.Name(), c.Dirs.Show(written), c.Dirs.Show(target), leads, rewriteShims(c))
			}
		}
	}
}

// shimsGone reports whether the shim directory of c's project is gone
// (nixld gc, a cleared state directory) while PATH still names it, as in
// a shell that entered the project before.
func shimsGone(c Check) bool {
	bin := c.Dirs.ShimDir(c.Project)
	_, err := os.Stat(bin)
	return os.IsNotExist(err) && hook.OnPath(c.Env["PATH"], bin)
}

// rewriteShims says what rewrites the shims of c's project for the
// programs on PATH now: 'nixld shims' there or entering it again (direnv's
// reload for a project direnv manages), or doctor --fix.
func rewriteShims(c Check) string {
	if c.Direnv {
		return fmt.Sprintf("run 'direnv reload' in %s, or 'nixld doctor --fix'", c.Dirs.Show(c.Project.Dir))
	}
	return fmt.Sprintf("run 'nixld shims' in %s (or enter it again), or 'nixld doctor --fix'", c.Dirs.Show(c.Project.Dir))
}

// OK reports whether nothing needs fixing.
func (r *Report) OK() bool {
	for _, v := range r.Venvs {
		if !v.OK {
			return false
		}
	}
	return len(r.Missing) == 0 && len(r.Problems) == 0
}

// JSON is the report for tools.
func (r *Report) JSON() string {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		panic("doctor: the report does not encode: " + err.Error())
	}
	return string(data) + "\n"
}

// Text is the report for people; show renders paths.
func (r *Report) Text(show func(string) string) string {
	var b strings.Builder
	row := func(key, format string, args ...any) {
		if key != "" {
			key += ":"
		}
		fmt.Fprintf(&b, "%-11s %s\n", key, fmt.Sprintf(format, args...))
	}
	// Paths in the project read best from its root.
	rel := func(path Bytes) string {
		if r, err := filepath.Rel(string(r.Root), string(path)); err == nil && !strings.HasPrefix(r, "..") {
			return show(r)
		}
		return show(string(path))
	}
	if r.Project != "" {
		row("project", "%s (%s)", show(string(r.Project)), r.Trust)
	}
	for _, d := range r.Environment.NixLD {
		if d.Exists {
			row("nix-ld", "%s: %d libraries", show(string(d.Path)), d.Libraries)
		} else {
			row("nix-ld", "%s: missing", show(string(d.Path)))
		}
	}
	var vars []string
	for _, v := range r.Environment.Variables {
		if v.Value == nil {
			vars = append(vars, v.Name+" unset")
		} else {
			vars = append(vars, v.Name+"="+show(string(*v.Value)))
		}
	}
	row("variables", "%s", strings.Join(vars, ", "))
	row("libraries", "%s", show(strings.Join(stringsOf(r.Environment.LibraryPath), ":")))
	if r.Environment.Hook != "" {
		row("hook", "installed in this %s", r.Environment.Hook)
	} else {
		row("hook", "not seen in this shell (run doctor through the hook's nixld function, or add the hook to your rc file)")
	}
	for _, v := range r.Venvs {
		where := rel(v.Path)
		if v.Tool != "" {
			where += " (" + string(v.Tool) + "'s)"
		}
		if v.Real != v.Path && v.Tool == "" {
			where += " -> " + show(string(v.Real))
		}
		python := "not found"
		if v.Python != "" {
			python = show(string(v.Python))
		}
		row("venv", "%s (python %s)", where, python)
		if v.Problem != "" {
			row("", "  %s", v.Problem)
		}
	}
	if r.Project != "" {
		row("scanned", "%d shared objects", r.Scanned)
	}
	for _, s := range r.Skipped {
		row("skipped", "%s: %s", rel(s.Path), s.Reason)
	}
	for _, m := range r.Missing {
		by := make([]string, len(m.NeededBy))
		for i, p := range m.NeededBy {
			by[i] = rel(p)
		}
		what := show(string(m.Soname))
		if m.Nixpkgs != "" {
			what += " (nixpkgs: " + string(m.Nixpkgs) + ")"
		}
		row("missing", "%s, needed by %s", what, strings.Join(by, ", "))
		row("", "  %s", m.Hint)
	}
	if r.Fix.Project != "" {
		row("fix", "in .nixld.toml, for this project:  %s", r.Fix.Project)
		row("", "or in configuration.nix, for all:  %s", r.Fix.System)
	}
	for _, n := range r.Notes {
		row("note", "%s", n)
	}
	for _, p := range r.Problems {
		row("problem", "%s", p)
	}
	if r.OK() {
		row("result", "all well")
	}
	return b.String()
}
