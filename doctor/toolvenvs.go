package doctor

// A project's own venvs in poetry's and pipenv's directories, found the
// way each tool names them, so that only this project's are checked, not
// every venv there:
//
//   - poetry (EnvManager.generate_env_name): the package name, PEP 503
//     normalised and lower-cased, with ` $`!*@"\` and CR, LF and tab as
//     "_", cut to 42 characters, then "-" and the first 8 characters of
//     the URL-safe base64 of the sha256 of the project directory's real
//     path; each venv adds "-py3.X". Its directory is virtualenvs.path
//     (POETRY_VIRTUALENVS_PATH, poetry.toml, config.toml), by default
//     {cache-dir}/virtualenvs, ~/.cache/pypoetry/virtualenvs.
//   - pipenv (VenvLocator._get_virtualenv_hash): the name of the
//     Pipfile's directory with ` &$`!*@"()[]\` and CR, LF and tab as "_"
//     (older releases kept &()[]), cut to 42 characters, then "-" and the
//     URL-safe base64 of the first 6 bytes of the sha256 of the Pipfile's
//     path (its directory as the kernel names it, plus /Pipfile), in
//     WORKON_HOME, else $XDG_DATA_HOME/virtualenvs, else
//     ~/.local/share/virtualenvs. PIPENV_PYTHON may add a suffix.

import (
	"crypto/sha256"
	"encoding/base64"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
	"github.com/nixld/nixld/hook"
)

// toolVenvs lists the venvs poetry and pipenv made for the poetry and
// pipenv projects of the tree t.
func toolVenvs(env hook.Env, home string, t *tree) []found {
	var venvs []found
	// trusted says dir is the user's choice (their environment or
	// configuration, or inside the project): --fix may change a venv
	// there, where the venv is a directory of its own in it, not a link a
	// repository could point anywhere.
	add := func(dir, prefix, tool string, exact, trusted bool) {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return
		}
		realDir, err := filepath.EvalSymlinks(dir)
		if err != nil {
			return
		}
		for _, e := range entries {
			name := e.Name()
			if name != prefix && !strings.HasPrefix(name, prefix+"-") {
				continue
			}
			if exact && name != prefix && !strings.HasPrefix(name, prefix+"-py") {
				continue
			}
			path := filepath.Join(dir, name)
			real, err := filepath.EvalSymlinks(path)
			if err != nil || !isVenv(real) || slices.ContainsFunc(venvs, func(f found) bool { return f.real == real }) {
				continue
			}
			own := trusted && e.IsDir() && within(real, realDir)
			venvs = append(venvs, found{path: path, real: real, tool: tool, owned: own})
		}
	}
	for _, dir := range t.poetry {
		venvsDir, fromProject := poetryVenvsDir(env, home, dir)
		if venvsDir == "" {
			continue
		}
		real, err := filepath.EvalSymlinks(dir)
		if err != nil {
			continue
		}
		// A repository's poetry.toml may name any directory: venvs there
		// are checked, but fixed only inside the project.
		trusted := !fromProject
		if realVenvs, err := filepath.EvalSymlinks(venvsDir); err == nil && within(realVenvs, real) {
			trusted = true
		}
		for _, name := range poetryNames(dir) {
			add(venvsDir, poetryEnvName(name, real), "poetry", true, trusted)
		}
	}
	if workon := pipenvHome(env, home); workon != "" {
		for _, dir := range t.pipenv {
			real, err := filepath.EvalSymlinks(dir)
			if err != nil {
				continue
			}
			for _, name := range pipenvEnvNames(real) {
				add(workon, name, "pipenv", false, true)
			}
			if custom := env["PIPENV_CUSTOM_VENV_NAME"]; custom != "" && !strings.Contains(custom, "/") {
				add(workon, custom, "pipenv", false, true)
			}
		}
	}
	return venvs
}

// poetryNames are the package names a pyproject.toml gives poetry: 2.x
// reads [project] name first, 1.x [tool.poetry] name.
func poetryNames(dir string) []string {
	data, err := readSmall(filepath.Join(dir, "pyproject.toml"))
	if err != nil {
		return nil
	}
	var doc struct {
		Project struct{ Name string } `toml:"project"`
		Tool    struct {
			Poetry struct{ Name string } `toml:"poetry"`
		} `toml:"tool"`
	}
	if _, err := toml.Decode(string(data), &doc); err != nil {
		return nil
	}
	var names []string
	for _, n := range []string{doc.Project.Name, doc.Tool.Poetry.Name} {
		if n != "" && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return names
}

var (
	pep503         = regexp.MustCompile(`[-_.]+`)
	poetryUnsafe   = regexp.MustCompile("[ $`!*@\"\\\\\r\n\t]")
	pipenvUnsafe   = regexp.MustCompile("[ &$`!*@\"()\\[\\]\\\\\r\n\t]")
	pipenvUnsafeV1 = regexp.MustCompile("[ $`!*@\"\\\\\r\n\t]")
)

// poetryEnvName is poetry's <name>-<hash> for a package name as
// pyproject.toml writes it and the real path of its directory.
func poetryEnvName(name, real string) string {
	name = strings.ToLower(pep503.ReplaceAllString(name, "-"))
	name = firstRunes(poetryUnsafe.ReplaceAllString(name, "_"), 42)
	sum := sha256.Sum256([]byte(pythonEncode(real)))
	return name + "-" + base64.URLEncoding.EncodeToString(sum[:])[:8]
}

// pythonEncode is the bytes poetry hashes for a path Python decoded with
// surrogateescape: its encode() falls back to dropping what is not UTF-8.
func pythonEncode(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "")
}

// firstRunes cuts s to n characters, as a Python slice does.
func firstRunes(s string, n int) string {
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos]
		}
		i++
	}
	return s
}

// poetryVenvsDir is where poetry keeps the venvs of the project in dir:
// POETRY_VIRTUALENVS_PATH, else virtualenvs.path of the project's
// poetry.toml or the user's config.toml, else {cache-dir}/virtualenvs;
// and whether the project's poetry.toml, which a repository ships, chose
// it.
func poetryVenvsDir(env hook.Env, home, dir string) (venvs string, fromProject bool) {
	configDir := env["POETRY_CONFIG_DIR"]
	if !filepath.IsAbs(configDir) {
		configDir = filepath.Join(xdgDir(env, home, "XDG_CONFIG_HOME", ".config"), "pypoetry")
	}
	var settings struct {
		CacheDir    string `toml:"cache-dir"`
		Virtualenvs struct {
			Path string `toml:"path"`
		} `toml:"virtualenvs"`
	}
	if data, err := readSmall(filepath.Join(configDir, "config.toml")); err == nil {
		toml.Decode(string(data), &settings)
	}
	userPath := settings.Virtualenvs.Path
	if data, err := readSmall(filepath.Join(dir, "poetry.toml")); err == nil {
		toml.Decode(string(data), &settings)
	}
	cache := env["POETRY_CACHE_DIR"]
	if cache == "" {
		cache = settings.CacheDir
	}
	if cache == "" {
		cache = filepath.Join(xdgDir(env, home, "XDG_CACHE_HOME", ".cache"), "pypoetry")
	}
	path := env["POETRY_VIRTUALENVS_PATH"]
	if path == "" {
		path = settings.Virtualenvs.Path
		fromProject = path != userPath
	}
	if path == "" {
		path = filepath.Join(cache, "virtualenvs")
	}
	path = expandHome(strings.ReplaceAll(path, "{cache-dir}", cache), home)
	if !filepath.IsAbs(path) {
		return "", false
	}
	return path, fromProject
}

// xdgDir is an XDG base directory: the variable where it is set, else
// the default under home.
func xdgDir(env hook.Env, home, name, fallback string) string {
	if v := env[name]; strings.TrimSpace(v) != "" {
		return expandHome(v, home)
	}
	return filepath.Join(home, fallback)
}

func expandHome(path, home string) string {
	if path == "~" || strings.HasPrefix(path, "~/") {
		return filepath.Join(home, path[1:])
	}
	return path
}

// pipenvHome is pipenv's venv directory.
func pipenvHome(env hook.Env, home string) string {
	dir := expandHome(env["WORKON_HOME"], home)
	if dir == "" {
		data := env["XDG_DATA_HOME"]
		if data == "" {
			data = "~/.local/share"
		}
		dir = filepath.Join(expandHome(data, home), "virtualenvs")
	}
	if !filepath.IsAbs(dir) {
		return ""
	}
	return dir
}

// pipenvEnvNames are the <name>-<hash> pipenv's releases give the venv
// of the Pipfile in the directory whose real path is real.
func pipenvEnvNames(real string) []string {
	if !utf8.ValidString(real) {
		return nil // pipenv itself fails on such a path
	}
	location := filepath.Join(real, "Pipfile")
	sum := sha256.Sum256([]byte(location))
	hash := base64.URLEncoding.EncodeToString(sum[:6])
	var names []string
	for _, unsafe := range []*regexp.Regexp{pipenvUnsafe, pipenvUnsafeV1} {
		name := firstRunes(unsafe.ReplaceAllString(filepath.Base(real), "_"), 42) + "-" + hash
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	return names
}
