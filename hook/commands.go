package hook

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/nixld/nixld/shells"
	"github.com/nixld/nixld/templates"
)

// Direnv is the code use_nixld evals inside direnv for dir. direnv allow
// is the trust decision there, so no nixld allow is needed, and a
// .nixld.toml is optional. direnv itself restores the variables on leaving.
func Direnv(d Dirs, env Env, dir string) (string, []string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", nil, err
	}
	p, err := Find(dir)
	if err != nil {
		return "", nil, oneLine(err)
	}
	cfg := DefaultConfig
	if p == nil {
		real, err := filepath.EvalSymlinks(dir)
		if err != nil {
			return "", nil, oneLine(err)
		}
		p = &Project{Dir: dir, Real: real}
	} else if cfg, err = ParseConfig(p, d.Home); err != nil {
		return "", nil, fmt.Errorf("%s: %v", d.Show(p.Config()), err)
	}
	a, err := d.Enter(p, cfg, env.ptr("PATH"), env.ptr(LDVar), env.ptr(NixLDVar))
	if err != nil {
		return "", nil, oneLine(err)
	}
	var notes []string
	for _, name := range a.Shims.Missing {
		notes = append(notes, fmt.Sprintf("nixld: %s is not on PATH; not wrapped", name))
	}
	code, err := templates.Render("direnv-env.bash", map[string]string{
		"Config": shells.Bash.Quote(p.Config()),
		"Bin":    shells.Bash.Quote(a.Shims.Bin),
		"LD":     shells.Bash.Quote(a.LD),
	})
	if err != nil {
		return "", nil, err
	}
	return code, notes, shells.Bash.Validate(code)
}

// FindFrom is Find for a directory given on the command line (or the
// .nixld.toml in it), with an error that says what to do where there is no
// project.
func FindFrom(d Dirs, dir string) (*Project, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if filepath.Base(dir) == ConfigName {
		dir = filepath.Dir(dir)
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", d.Show(dir))
	}
	p, err := Find(dir)
	if err != nil {
		return nil, oneLine(err)
	}
	if p == nil {
		return nil, fmt.Errorf("no %s in %s or above; run 'nixld init' to create one", ConfigName, d.Show(dir))
	}
	return p, nil
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
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
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
	dirs := d.searchDirs(env["PATH"])
	for _, prog := range programs(DefaultConfig, dirs) {
		if d.lookPath(prog, dirs) != "" {
			found = append(found, prog)
		}
	}
	content := fmt.Sprintf(initConfig, listOrNone(found))
	if err := writeFileAtomic(name, []byte(content), 0o644); err != nil {
		return nil, oneLine(err)
	}
	p, err := Load(dir)
	if err != nil {
		return nil, oneLine(err)
	}
	return p, d.AllowChecked(p)
}

const initConfig = `# nixld: per-project shims so that pip-installed wheels find NixOS libraries.
# After editing, run 'nixld allow' to trust the new contents.

# Programs to wrap, each looked up on PATH when the project is entered.
# Unset, it is python, python3 and every python3.X on PATH
# (here now: %s).
# wrap = ["python", "python3"]

# Directories appended to LD_LIBRARY_PATH after $NIX_LD_LIBRARY_PATH:
# absolute, ~/..., or relative to this file's directory.
libraries = []
`

// Status describes, for humans, the project at cwd and the shell's state.
func Status(d Dirs, env Env, cwd string) string {
	var b strings.Builder
	row := func(k, format string, args ...any) {
		fmt.Fprintf(&b, "%-11s %s\n", k+":", fmt.Sprintf(format, args...))
	}
	row("directory", "%s", d.Show(cwd))
	p, err := Find(cwd)
	switch {
	case err != nil:
		row("project", "error: %v", oneLine(err))
	case p == nil:
		row("project", "none (no %s here or above)", ConfigName)
	default:
		row("project", "%s", d.Show(p.Config()))
		trust := d.TrustOf(p)
		row("trust", "%s", trust)
		cfg, err := ParseConfig(p, d.Home)
		if err != nil {
			row("config", "error: %v", err)
			break
		}
		dirs := d.searchDirs(env["PATH"])
		for _, prog := range programs(cfg, dirs) {
			if target := d.lookPath(prog, dirs); target != "" {
				row("wrap", "%s -> %s", prog, d.Show(target))
			} else if cfg.Wrap != nil {
				row("wrap", "%s -> not on PATH", prog)
			}
		}
		row("libraries", "%s", strings.Join(LibraryDirs(env.ptr(NixLDVar), cfg), ":"))
		row("shims", "%s", d.Show(d.ShimDir(p)))
	}
	state := "inactive"
	if v, ok := env[StateVar]; ok {
		if st, err := decodeState(v); err != nil {
			state = "malformed $" + StateVar
		} else if st.active() {
			state = "active in " + d.Show(st.Dir)
		}
	}
	row("this shell", "%s", state)
	return b.String()
}
