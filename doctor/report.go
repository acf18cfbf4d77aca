package doctor

// The report: what the loader would miss and which package provides it,
// the environment nixld relies on, and the fix in both forms, as text for
// people and as JSON for tools.

import (
	"encoding/json"
	"fmt"
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
	Root    string
	Project *hook.Project
	// Config's PackageLibs are filled where its packages were built;
	// PackagesBuilt says whether they were.
	Config        *hook.Config
	PackagesBuilt bool
}

// Report is the result; its JSON form is stable.
type Report struct {
	Root        string      `json:"root"`    // the directory checked
	Project     string      `json:"project"` // the .nixld.toml, or ""
	Trust       string      `json:"trust"`
	Environment Environment `json:"environment"`
	Venvs       []Venv      `json:"venvs"`
	Scanned     int         `json:"scanned"` // shared objects read
	Missing     []Missing   `json:"missing"`
	Fix         Fix         `json:"fix"`
	Problems    []string    `json:"problems"` // one line each
}

// Environment is what nixld's shims depend on outside the project.
type Environment struct {
	LibraryPath []string `json:"library_path"` // what the shims put on LD_LIBRARY_PATH
	NixLD       []LibDir `json:"nix_ld_dirs"`
	Variables   []EnvVar `json:"variables"` // NIX_LD_LIBRARY_PATH and its per-system form
	Hook        string   `json:"hook"`      // the shell whose hook called nixld, or ""
	DeadShims   []Shim   `json:"dead_shims"`
	GPU         bool     `json:"gpu"`
}

type LibDir struct {
	Path      string `json:"path"`
	Exists    bool   `json:"exists"`
	Libraries int    `json:"libraries"`
}

type EnvVar struct {
	Name  string  `json:"name"`
	Value *string `json:"value"` // null where unset
}

type Shim struct {
	Shim   string `json:"shim"`
	Target string `json:"target"`
}

type Venv struct {
	Path    string `json:"path"`
	OK      bool   `json:"ok"`
	Python  string `json:"python"`  // the ELF interpreter it runs, or ""
	Problem string `json:"problem"` // why not ok, "" where ok
}

type Missing struct {
	Soname   string   `json:"soname"`
	NeededBy []string `json:"needed_by"`
	Nixpkgs  string   `json:"nixpkgs"` // attribute path, "" if unknown
	Hint     string   `json:"hint"`
}

// Fix is the same remedy for the project and for the whole system.
type Fix struct {
	Project string `json:"project"` // a line for .nixld.toml
	System  string `json:"system"`  // a line for configuration.nix
}

// Run checks the environment and scans the venvs under c.Root.
func Run(c Check) *Report {
	r := &Report{Root: c.Root, Venvs: []Venv{}, Missing: []Missing{}, Problems: []string{}}
	cfg := c.Config
	if cfg == nil {
		cfg = hook.DefaultConfig
	}
	if c.Project != nil {
		r.Project = c.Project.Config()
		r.Trust = c.Dirs.TrustOf(c.Project).String()
		if t := c.Dirs.TrustOf(c.Project); t != hook.Allowed {
			r.problem("%s is %s: run 'nixld allow' after reviewing it", c.Dirs.Show(r.Project), t)
		}
	} else {
		r.problem("no %s in %s or above: run 'nixld init'", hook.ConfigName, c.Dirs.Show(c.Root))
	}
	r.environment(c, cfg)

	missing := map[string][]string{}
	for _, venv := range findVenvs(c.Root) {
		python, n := scanVenv(venv, r.Environment.LibraryPath, missing)
		v := Venv{Path: venv, Python: python, OK: true}
		if c.Project != nil {
			v.Problem = checkVenv(venv, c.Dirs.ShimDir(c.Project))
			v.OK = v.Problem == ""
		}
		r.Venvs = append(r.Venvs, v)
		r.Scanned += n
	}
	names := make([]string, 0, len(missing))
	for soname := range missing {
		names = append(names, soname)
	}
	slices.Sort(names)
	var packages []string
	for _, soname := range names {
		attr := attrFor(soname)
		m := Missing{Soname: soname, NeededBy: missing[soname], Nixpkgs: attr}
		switch attr {
		case attrGPU:
			m.Nixpkgs = ""
			m.Hint = "the GPU driver provides it: set gpu = true in .nixld.toml and enable hardware.graphics (with the NVIDIA driver: hardware.nvidia)"
		case "":
			m.Hint = "not in nixld's table; nix-index can name the package: nix-locate --top-level lib/" + soname
		case attrGlibc:
			m.Nixpkgs = ""
			m.Hint = "part of glibc, yet the interpreter's C library lacks it"
		default:
			m.Hint = fmt.Sprintf("add %s to packages in .nixld.toml, or to programs.nix-ld.libraries", attr)
			if !slices.Contains(packages, attr) {
				packages = append(packages, attr)
			}
		}
		r.Missing = append(r.Missing, m)
	}
	if len(packages) > 0 {
		quoted := make([]string, len(packages))
		for i, p := range packages {
			quoted[i] = strconv.Quote(p)
		}
		r.Fix.Project = "packages = [" + strings.Join(quoted, ", ") + "]"
		r.Fix.System = "programs.nix-ld.libraries = with pkgs; [ " + strings.Join(packages, " ") + " ];"
	}
	return r
}

func (r *Report) problem(format string, args ...any) {
	r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
}

// environment checks nix-ld's directory and variables, the hook, and the
// project's shims.
func (r *Report) environment(c Check, cfg *hook.Config) {
	e := &r.Environment
	e.GPU = cfg.GPU
	e.LibraryPath = hook.LibraryDirs(hook.NixLDPath(c.Env), cfg)
	if len(cfg.Packages) > 0 && !c.PackagesBuilt {
		r.problem("the packages of %s are not built: run 'nixld packages %s'", c.Dirs.Show(r.Project), c.Dirs.Show(c.Root))
	}
	for _, name := range []string{hook.SystemNixLDVar, hook.NixLDVar} {
		v := EnvVar{Name: name}
		if value, ok := c.Env.Lookup(name); ok {
			v.Value = &value
		}
		e.Variables = append(e.Variables, v)
	}
	e.NixLD = []LibDir{}
	for _, dir := range strings.Split(hook.NixLDPath(c.Env), ":") {
		if !filepath.IsAbs(dir) {
			continue
		}
		d := LibDir{Path: dir}
		if entries, err := os.ReadDir(dir); err == nil {
			d.Exists = true
			for _, entry := range entries {
				if strings.Contains(entry.Name(), ".so") {
					d.Libraries++
				}
			}
		} else {
			r.problem("nix-ld's library directory %s does not exist: set programs.nix-ld.enable = true", c.Dirs.Show(dir))
		}
		e.NixLD = append(e.NixLD, d)
	}
	e.Hook = c.Env[HookVar]
	e.DeadShims = []Shim{}
	if c.Project != nil {
		bin := c.Dirs.ShimDir(c.Project)
		entries, _ := os.ReadDir(bin)
		for _, entry := range entries {
			if target, shim := hook.ScriptTarget(filepath.Join(bin, entry.Name())); shim {
				if _, err := os.Stat(target); err != nil {
					e.DeadShims = append(e.DeadShims, Shim{Shim: entry.Name(), Target: target})
					r.problem("shim %s runs %s, which is gone: with it on PATH again, run 'nixld shims'", entry.Name(), c.Dirs.Show(target))
				}
			}
		}
	}
}

// HookVar is set by the hook's nixld shell function to the shell's name,
// so that doctor can tell whether this shell has the hook.
const HookVar = "NIXLD_HOOK"

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
	data, _ := json.MarshalIndent(r, "", "  ")
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
	rel := func(path string) string {
		if r, err := filepath.Rel(r.Root, path); err == nil && !strings.HasPrefix(r, "..") {
			return show(r)
		}
		return show(path)
	}
	if r.Project != "" {
		row("project", "%s (%s)", show(r.Project), r.Trust)
	}
	for _, d := range r.Environment.NixLD {
		if d.Exists {
			row("nix-ld", "%s: %d libraries", show(d.Path), d.Libraries)
		} else {
			row("nix-ld", "%s: missing", show(d.Path))
		}
	}
	var vars []string
	for _, v := range r.Environment.Variables {
		if v.Value == nil {
			vars = append(vars, v.Name+" unset")
		} else {
			vars = append(vars, v.Name+"="+show(*v.Value))
		}
	}
	row("variables", "%s", strings.Join(vars, ", "))
	row("libraries", "%s", show(strings.Join(r.Environment.LibraryPath, ":")))
	if r.Environment.Hook != "" {
		row("hook", "installed in this %s", r.Environment.Hook)
	} else {
		row("hook", "not seen in this shell (run doctor through the hook's nixld function, or add the hook to your rc file)")
	}
	for _, v := range r.Venvs {
		row("venv", "%s (python %s)", rel(v.Path), show(orNone(v.Python)))
		if v.Problem != "" {
			row("", "  %s", v.Problem)
		}
	}
	row("scanned", "%d shared objects", r.Scanned)
	for _, m := range r.Missing {
		by := make([]string, len(m.NeededBy))
		for i, p := range m.NeededBy {
			by[i] = rel(p)
		}
		what := m.Soname
		if m.Nixpkgs != "" {
			what += " (nixpkgs: " + m.Nixpkgs + ")"
		}
		row("missing", "%s, needed by %s", what, strings.Join(by, ", "))
		row("", "  %s", m.Hint)
	}
	if r.Fix.Project != "" {
		row("fix", "in .nixld.toml, for this project:  %s", r.Fix.Project)
		row("", "or in configuration.nix, for all:  %s", r.Fix.System)
	}
	for _, p := range r.Problems {
		row("problem", "%s", p)
	}
	if r.OK() {
		row("result", "all well")
	}
	return b.String()
}

func orNone(s string) string {
	if s == "" {
		return "not found"
	}
	return s
}
