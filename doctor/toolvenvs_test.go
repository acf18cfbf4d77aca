package doctor

// Finding a project's venvs where poetry and pipenv keep them.

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nixld/nixld/hook"
)

// poetryNameCases are package names and project directories (real paths,
// which do not exist, so that poetry's realpath keeps them) with what
// poetry's naming does to them: PEP 503, case, unsafe characters, the
// 42-character cut, non-ASCII.
var poetryNameCases = [][2]string{
	{"My_App.Thing", "/nonexistent-nixld/po/My App"},
	{"Ünïcode Name!", "/nonexistent-nixld/x"},
	{strings.Repeat("a", 50), "/"},
	{"we$ird`name\"x", "/nonexistent-nixld/src/weird name"},
	{"plain", "/nonexistent-nixld/caf\u00e9/plain"},
	{"demo", "/nonexistent-nixld/p8"}, // URL-safe base64: a "-" in the hash
}

// poetry's own generate_env_name, run by Debian's poetry, names the venvs
// as poetryEnvName does.
func TestPoetryEnvName(t *testing.T) {
	script := `
import sys
from packaging.utils import canonicalize_name
from poetry.utils.env import EnvManager
args = sys.argv[1:]
for name, cwd in zip(args[::2], args[1::2]):
    print(EnvManager.generate_env_name(canonicalize_name(name), cwd))
`
	args := []string{"-c", script}
	for _, c := range poetryNameCases {
		args = append(args, c[0], c[1])
	}
	out, err := exec.Command("/usr/bin/python3", args...).Output()
	if err != nil {
		t.Fatalf("Debian's poetry (python3-poetry): %v", err)
	}
	want := strings.Split(strings.TrimSpace(string(out)), "\n")
	for i, c := range poetryNameCases {
		if got := poetryEnvName(c[0], c[1]); got != want[i] {
			t.Errorf("%q in %q: %q, poetry says %q", c[0], c[1], got, want[i])
		}
	}
}

// What pipenv 2026.10.3 (from PyPI) named the venvs of these Pipfiles:
// Project().venv_locator.name, run in each directory.
func TestPipenvEnvNames(t *testing.T) {
	for dir, want := range map[string]string{
		"/tmp/pe/My [App] & co": "My__App____co-1bsT4O-O",
		"/tmp/pe/plain":         "plain-EDqRAQPy",
		"/tmp/pe/café a-very-long-project-directory-name-that-goes-past-forty-two-chars": "café_a-very-long-project-directory-name-th-k0BJiSk8",
	} {
		if got := pipenvEnvNames(dir); !slices.Contains(got, want) {
			t.Errorf("%q: %q, pipenv says %q", dir, got, want)
		}
	}
}

// A project's poetry and pipenv venvs are found among others in the
// tools' directories, and only those.
func TestToolVenvs(t *testing.T) {
	root := t.TempDir()
	home := filepath.Join(root, "home")
	proj := filepath.Join(root, "proj")
	os.MkdirAll(proj, 0o755)
	os.WriteFile(filepath.Join(proj, hook.ConfigName), nil, 0o644)
	os.WriteFile(filepath.Join(proj, "pyproject.toml"), []byte("[tool.poetry]\nname = \"Demo_App\"\n"), 0o644)
	os.WriteFile(filepath.Join(proj, "Pipfile"), nil, 0o644)
	real, _ := filepath.EvalSymlinks(proj)
	poetryDir := filepath.Join(home, ".cache", "pypoetry", "virtualenvs")
	pipenvDir := filepath.Join(home, ".local", "share", "virtualenvs")
	venv := func(dir string) string {
		os.MkdirAll(dir, 0o755)
		os.WriteFile(filepath.Join(dir, "pyvenv.cfg"), nil, 0o644)
		return dir
	}
	mine := []string{
		venv(filepath.Join(poetryDir, poetryEnvName("Demo_App", real)+"-py3.11")),
		venv(filepath.Join(poetryDir, poetryEnvName("Demo_App", real)+"-py3.12")),
		venv(filepath.Join(pipenvDir, pipenvEnvNames(real)[0])),
	}
	venv(filepath.Join(poetryDir, "demo-app-AAAAAAAA-py3.11"))
	venv(filepath.Join(poetryDir, poetryEnvName("other", real)+"-py3.11"))
	venv(filepath.Join(pipenvDir, "proj-AAAAAAAA"))
	p, err := hook.Load(proj)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range toolVenvs(hook.Env{}, home, walkProject(p)) {
		if !f.owned {
			t.Errorf("%s not the project's", f.path)
		}
		got = append(got, f.path)
	}
	slices.Sort(got)
	slices.Sort(mine)
	if !slices.Equal(got, mine) {
		t.Errorf("found %q, want %q", got, mine)
	}
	// POETRY_VIRTUALENVS_PATH and WORKON_HOME move them.
	if d, fromProject := poetryVenvsDir(hook.Env{"POETRY_VIRTUALENVS_PATH": "/v"}, home, proj); d != "/v" || fromProject {
		t.Errorf("poetry: %s %v", d, fromProject)
	}
	os.WriteFile(filepath.Join(proj, "poetry.toml"), []byte("[virtualenvs]\npath = \"{cache-dir}/envs\"\n"), 0o644)
	if d, fromProject := poetryVenvsDir(hook.Env{"POETRY_CACHE_DIR": "/c"}, home, proj); d != "/c/envs" || !fromProject {
		t.Errorf("poetry: %s %v", d, fromProject)
	}
	if d := pipenvHome(hook.Env{"WORKON_HOME": "~/envs"}, home); d != filepath.Join(home, "envs") {
		t.Errorf("pipenv: %s", d)
	}
}
