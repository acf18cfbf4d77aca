package hook

// The commands' own work: finding the project a command names, writing
// and allowing its config, refreshing its shims, and the status and
// allow --show reports.

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/nixld/nixld/nixpkgs"
)

// FindFrom is Find for a directory given on the command line (or the
// .nixld.toml in it), with an error that says what to do where there is no
// project.
func FindFrom(d Dirs, arg string) (*Project, error) {
	// Take the file's name off as text: resolving it first would follow a
	// .nixld.toml symlink to its target.
	if arg == ConfigName || strings.HasSuffix(arg, "/"+ConfigName) {
		arg = strings.TrimSuffix(arg, ConfigName)
		if arg == "" {
			arg = "."
		}
	}
	dir, err := ResolveArg(arg)
	if err != nil {
		return nil, oneLine(err)
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", d.Show(dir))
	}
	p, err := Find(dir)
	if err != nil {
		return nil, oneLine(err)
	}
	if p == nil {
		return nil, &NoProjectError{Dir: d.Show(dir)}
	}
	return p, nil
}

// NoProjectError is FindFrom's error where no .nixld.toml is at or above
// the directory (Dir, as shown to the user). Deny words it for nixld deny,
// which has nothing to do there.
type NoProjectError struct {
	Dir  string
	Deny bool
}

func (e *NoProjectError) Error() string {
	if e.Deny {
		return fmt.Sprintf("no %s in %s or above: nixld does nothing there, so there is nothing to deny", ConfigName, e.Dir)
	}
	return fmt.Sprintf("no %s in %s or above; run 'nixld init' to create one", ConfigName, e.Dir)
}

// allowedProject is the project at or above dir (as named on the command
// line) with its config, where the user allowed it; otherwise an error
// that says what to do.
func (d Dirs) allowedProject(dir string) (*Project, *Config, error) {
	p, err := FindFrom(d, dir)
	if err != nil {
		return nil, nil, err
	}
	if t := d.TrustOf(p); t != Allowed {
		return nil, nil, fmt.Errorf("%s is %s; review it, then run 'nixld allow'", d.Show(p.Config()), t)
	}
	cfg, err := ParseConfig(p, d.Home)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %v", d.Show(p.Config()), err)
	}
	return p, cfg, nil
}

// RefreshShims rewrites the shims of the allowed project at or above dir
// for the programs on the PATH in env, looking everything up again: what
// a shim whose program is gone asks for, from inside the project.
func RefreshShims(d Dirs, env Env, dir string) (*Project, *ShimSet, error) {
	p, cfg, err := d.allowedProject(dir)
	if err != nil {
		return nil, nil, err
	}
	d.CachedPackages(p, cfg, env)
	if err := removeIfExists(shimCacheFile(d.ShimDir(p))); err != nil {
		return nil, nil, oneLine(err)
	}
	set, err := d.WriteShims(p, cfg, env["PATH"])
	return p, set, err
}

// untrustedHint is the hint for p, whose config the user has not allowed
// as it is now (t is NotAllowed or Changed): to review and allow it, or,
// where it does not parse and allowing would only repeat that, what is
// broken.
func (d Dirs) untrustedHint(p *Project, t Trust) string {
	config := d.Show(p.Config())
	if _, err := ParseConfig(p, d.Home); err != nil {
		return fmt.Sprintf("%s (%s): %v", config, t, err)
	}
	if t == Changed {
		return fmt.Sprintf("%s changed since it was allowed; review it, then run 'nixld allow'", config)
	}
	return fmt.Sprintf("%s is not allowed; review it, then run 'nixld allow'", config)
}

// AllowChecked allows p after checking that its config parses, so that an
// allowed config never breaks a prompt later.
func (d Dirs) AllowChecked(p *Project) error {
	if _, err := ParseConfig(p, d.Home); err != nil {
		return fmt.Errorf("not allowing %s: %v", d.Show(p.Config()), err)
	}
	return d.Allow(p)
}

// Init writes dir/.nixld.toml with the defaults spelled out and allows it.
func Init(d Dirs, env Env, dir string, force bool) (*Project, error) {
	dir, err := ResolveArg(dir)
	if err != nil {
		return nil, oneLine(err)
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", d.Show(dir))
	}
	name := filepath.Join(dir, ConfigName)
	if _, err := os.Lstat(name); err == nil && !force {
		return nil, fmt.Errorf("%s already exists; edit it and run 'nixld allow', or use --force", d.Show(name))
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, oneLine(err)
	}
	found := []string{}
	shims, _ := d.newLookup(env["PATH"]).resolve(DefaultConfig)
	for _, s := range shims {
		found = append(found, s.Name)
	}
	// The GPU driver's directory exists where NixOS has one installed.
	_, err = os.Stat(GPUDriverDir)
	content := fmt.Sprintf(initConfig, listOrNone(found), err == nil)
	if err := WriteFileAtomic(name, []byte(content), 0o644); err != nil {
		return nil, d.ShowError(err)
	}
	p, err := Load(dir)
	if err != nil {
		return nil, oneLine(err)
	}
	return p, d.AllowChecked(p)
}

// InitNotes says, one line each, what a user may not expect of the
// project p nixld init just made: that it lies inside another project,
// whose .nixld.toml no longer applies from there down, or that it takes
// in a directory as wide as /, the home directory or a shared one (/tmp,
// which anyone can write to).
func InitNotes(d Dirs, p *Project) []string {
	var notes []string
	if p.Dir != "/" {
		if outer, err := Find(filepath.Dir(p.Dir)); err == nil && outer != nil {
			notes = append(notes, fmt.Sprintf("%s is inside the project %s, whose .nixld.toml no longer applies here and below", d.Show(p.Dir), d.Show(outer.Dir)))
		}
	}
	fi, err := os.Stat(p.Real)
	switch {
	case p.Real == "/" || p.Dir == d.Home || p.Real == d.Home:
		notes = append(notes, fmt.Sprintf("%s makes every directory below it part of one project; a project's own directory is usually better", d.Show(p.Dir)))
	case err == nil && fi.Mode().Perm()&0o002 != 0:
		notes = append(notes, fmt.Sprintf("%s is writable by anyone, and every directory below it is now part of this project; a project's own directory is usually better", d.Show(p.Dir)))
	}
	return notes
}

const initConfig = `# nixld: per-project shims so that pip-installed wheels find NixOS libraries.
# After editing, run 'nixld allow' to trust the new contents.

# Programs to wrap, each looked up on PATH when the project is entered.
# Unset, it is python, python3 and every python3.X on PATH
# (here now: %s).
# wrap = ["python", "python3"]

# Directories added to the library path after nix-ld's ($NIX_LD_LIBRARY_PATH):
# absolute, ~/..., ~user/..., or relative to this file's directory.
libraries = []

# Append the GPU driver's libraries (/run/opengl-driver/lib: libcuda and
# the like), which NixOS keeps outside nix-ld's set.
gpu = %t

# nixpkgs attributes whose library outputs this project adds, built with
# nix-build (nixld packages), right after nix-ld's directory.
# packages = ["portaudio", "libGL"]

# Where they come from: a path (relative to this file's directory) or a
# flake reference. Unset: <nixpkgs> from NIX_PATH, else the flake
# registry's nixpkgs.
# nixpkgs = "github:NixOS/nixpkgs/nixos-25.05"

# Export the library path as LD_LIBRARY_PATH to the whole project shell
# and everything the interpreters start, instead of giving it to the
# interpreters alone.
# export_ld_library_path = false
`

// Status describes, for humans, the project at cwd and the shell's state.
func Status(d Dirs, env Env, cwd string) string {
	var b strings.Builder
	row := rowWriter(&b)
	row("directory", "%s", d.Show(cwd))
	p, err := Find(cwd)
	switch {
	case err != nil:
		row("project", "error: %s", d.Show(oneLine(err).Error()))
	case p == nil:
		if dir := FindDirenv(cwd); dir != "" {
			real, _ := filepath.EvalSymlinks(dir)
			p := &Project{Dir: dir, Real: cmp.Or(real, dir)}
			row("project", "%s (direnv: use nixld)", d.Show(filepath.Join(dir, ".envrc")))
			row("trust", "direnv's (direnv allow)")
			configRows(row, d, env, p, DefaultConfig)
			row("shims", "%s", d.Show(d.ShimDir(p)))
			if bin := env[DirenvVar]; bin != "" && bin == d.ShimDir(p) && env["DIRENV_DIR"] != "" && OnPath(env["PATH"], bin) {
				row("this shell", "active through direnv")
				return b.String()
			}
		} else {
			row("project", "none (no %s here or above)", ConfigName)
		}
	default:
		projectRows(row, d, env, p)
		row("shims", "%s", d.Show(d.ShimDir(p)))
	}
	state := "inactive"
	if v, ok := env[StateVar]; ok {
		if st, err := decodeState(v); err != nil {
			state = "malformed $" + StateVar
		} else if st.active() {
			state = "active in " + d.Show(st.dir())
		}
	}
	row("this shell", "%s", state)
	return b.String()
}

// NixLDDirMissing says, in the words status and doctor share, that dir,
// a directory of nix-ld's library path in env, does not exist, and the
// fix: NixOS's nix-ld for its own directory, otherwise the variable that
// names it.
func (d Dirs) NixLDDirMissing(env Env, dir string) string {
	if dir == DefaultNixLD {
		return fmt.Sprintf("nix-ld's library directory %s does not exist: set programs.nix-ld.enable = true", d.Show(dir))
	}
	name := NixLDVar
	if env[SystemNixLDVar] != "" {
		name = SystemNixLDVar
	}
	return fmt.Sprintf("nix-ld's library directory %s does not exist: correct $%s, or take it out", d.Show(dir), name)
}

// MissingDirs says, one line each in the words status and doctor share,
// which directories of the library path do not exist: nix-ld's own, as
// nixLD (UserNixLDPath) lists them, then those the config of project p
// names (none where p is nil).
func (d Dirs) MissingDirs(env Env, nixLD string, p *Project, cfg *Config) []string {
	var lines []string
	for _, dir := range strings.Split(nixLD, ":") {
		if filepath.IsAbs(dir) && !isDir(dir) {
			lines = append(lines, d.NixLDDirMissing(env, dir))
		}
	}
	if p == nil {
		return lines
	}
	for _, dir := range cfg.Libraries {
		if !isDir(dir) {
			lines = append(lines, fmt.Sprintf("%s names the library directory %s, which does not exist", d.Show(p.Config()), d.Show(dir)))
		}
	}
	return lines
}

// ShowList is a list of directories, each shown as Show shows it, joined
// with ':' as a search path is.
func (d Dirs) ShowList(dirs []string) string {
	shown := make([]string, len(dirs))
	for i, dir := range dirs {
		shown[i] = d.Show(dir)
	}
	return strings.Join(shown, ":")
}

// Review is what nixld allow --show prints: what allowing p would trust,
// with the config's text, so that it can be read before it acts.
func Review(d Dirs, env Env, p *Project) string {
	var b strings.Builder
	row := rowWriter(&b)
	cfg := projectRows(row, d, env, p)
	if cfg != nil {
		for _, lib := range cfg.Libraries {
			if insideProject(lib, p.Real) {
				row("note", "%s is inside the project: allowing trusts whatever is put there later", d.Show(lib))
			}
			if _, err := os.Stat(lib); err != nil {
				row("note", "%s does not exist", d.Show(lib))
			}
		}
		if src, ok := nixpkgs.Local(cfg.Nixpkgs, p.Real); ok && len(cfg.Packages) > 0 && insideProject(src, p.Real) {
			row("note", "nixpkgs %s is inside the project: allowing runs the Nix code put there, now or later, to build the packages", d.Show(src))
		}
	}
	row("content", "sha256 %s", p.Hash)
	for _, line := range strings.Split(strings.TrimSuffix(string(p.Content), "\n"), "\n") {
		if unsafeText(line) {
			line = fmt.Sprintf("%q", line)
		}
		fmt.Fprintf(&b, "  | %s\n", line)
	}
	return b.String()
}

// insideProject reports whether path, as written or with its symlinks
// resolved, is in the project at root: a repository can change it.
func insideProject(path, root string) bool {
	if within(path, root) {
		return true
	}
	real, err := filepath.EvalSymlinks(path)
	return err == nil && within(real, root)
}

type rowFunc func(key, format string, args ...any)

func rowWriter(b *strings.Builder) rowFunc {
	return func(key, format string, args ...any) {
		fmt.Fprintf(b, "%-11s %s\n", key+":", fmt.Sprintf(format, args...))
	}
}

// projectRows describes p: its trust, what it wraps and which libraries it
// adds. It returns the parsed config, or nil where it does not parse.
func projectRows(row rowFunc, d Dirs, env Env, p *Project) *Config {
	row("project", "%s", d.Show(p.Config()))
	row("trust", "%s", d.TrustOf(p))
	cfg, err := ParseConfig(p, d.Home)
	if err != nil {
		row("config", "error: %v", err)
		return nil
	}
	configRows(row, d, env, p, cfg)
	return cfg
}

// configRows are status's rows on what p's configuration cfg does: what
// it wraps, its packages, its library path and what that reaches.
func configRows(row rowFunc, d Dirs, env Env, p *Project, cfg *Config) {
	shims, missing := d.newLookup(env["PATH"]).resolve(cfg)
	var leaky []string
	for _, s := range shims {
		if cfg.ExportLD || s.Isolated(cfg) {
			row("wrap", "%s -> %s", d.Show(s.Name), d.Show(s.Target))
		} else {
			row("wrap", "%s -> %s (not a Python nixld can start itself: it gets LD_LIBRARY_PATH)", d.Show(s.Name), d.Show(s.Target))
			leaky = append(leaky, d.Show(s.Name))
		}
	}
	for _, name := range missing {
		row("wrap", "%s -> not on PATH", d.Show(name))
	}
	if len(cfg.Packages) > 0 || cfg.Nixpkgs != "" {
		src := nixpkgs.Describe(cfg.Nixpkgs, env.Environ())
		if path, ok := nixpkgs.Local(cfg.Nixpkgs, p.Real); ok && filepath.Clean(cfg.Nixpkgs) == filepath.Clean(path) {
			src = d.Show(path)
		} else if ok {
			src = fmt.Sprintf("%s (%s)", d.Show(cfg.Nixpkgs), d.Show(path))
		}
		if len(cfg.Packages) == 0 {
			src += " (not used: no packages)"
		}
		row("nixpkgs", "%s", src)
	}
	if len(cfg.Packages) > 0 {
		built := "built"
		if !d.CachedPackages(p, cfg, env) {
			built = "not built yet: entering the project builds them, or 'nixld packages'"
			if e, _, ok := d.PackageRequest(p, cfg, env).LastFailure(); ok {
				e.Log = d.Show(e.Log)
				built = fmt.Sprintf("not built: %v; 'nixld packages' tries again", e)
			}
		}
		row("packages", "%s (%s)", strings.Join(cfg.Packages, ", "), built)
	}
	nixLD := UserNixLDPath(env)
	row("libraries", "%s", d.ShowList(LibraryDirs(nixLD, cfg)))
	for _, line := range d.MissingDirs(env, nixLD, p, cfg) {
		row("missing", "%s", line)
	}
	switch {
	case cfg.ExportLD:
		row("reaches", "every program in the project shell, and everything the wrapped programs start (export_ld_library_path)")
	case len(leaky) > 0:
		row("reaches", "the wrapped programs, and the unpatched programs nix-ld runs; LD_LIBRARY_PATH stays as it is, but for what %s start", strings.Join(leaky, ", "))
	default:
		row("reaches", "the wrapped programs, and the unpatched programs nix-ld runs; LD_LIBRARY_PATH stays as it is")
	}
}
