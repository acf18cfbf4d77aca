// Parsing and checking .nixld.toml, with errors in the user's words.
package hook

import (
	"errors"
	"fmt"
	"os/user"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
	"github.com/agnivade/levenshtein"
	"github.com/nixld/nixld/nixpkgs"
)

// Config is a parsed .nixld.toml.
type Config struct {
	// Wrap names the programs to shim; nil means the default: python,
	// python3 and every python3.X on PATH.
	Wrap []string
	// Libraries are extra directories for LD_LIBRARY_PATH, absolute.
	Libraries []string
	// GPU adds the GPU driver's directory, GPUDriverDir.
	GPU bool
	// Packages are nixpkgs attribute paths whose library outputs the
	// project adds, built from Nixpkgs (see package nixpkgs).
	Packages []string
	Nixpkgs  string
	// ExportLD exports the library path as LD_LIBRARY_PATH to the whole
	// project shell and everything the interpreters start, instead of
	// giving it to the interpreters alone (and, through nix-ld's variable,
	// to the unpatched programs nix-ld runs).
	ExportLD bool
	// PackageLibs are the built packages' library directories, filled in
	// once they are realised.
	PackageLibs []string
}

// ExtraLibraries is what the config adds after nix-ld's library path.
func (c *Config) ExtraLibraries() []string {
	libs := append(slices.Clip(c.PackageLibs), c.Libraries...)
	if c.GPU {
		libs = append(libs, GPUDriverDir)
	}
	return libs
}

// DefaultConfig is the config of a project without a .nixld.toml (direnv).
var DefaultConfig = &Config{}

// ConfigError is a problem with a .nixld.toml, in the user's words: the
// line it is on (0 where the problem has no one line, as for an unknown
// key) and what is wrong there.
type ConfigError struct {
	Line int
	Msg  string
}

func (e *ConfigError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return e.Msg
}

// configKeys are the keys a .nixld.toml may have, in the order the README
// gives them.
var configKeys = []string{"wrap", "libraries", "gpu", "packages", "nixpkgs", "export_ld_library_path"}

// unknownKey is the first top-level key of a decoded .nixld.toml that is
// not exactly one of configKeys, in the order the file has them, as an
// error naming it and the known keys; nil where there is none. The keys
// come from md.Keys(), as written: BurntSushi/toml would decode Wrap or
// GPU into the fields, matching case-insensitively, while TOML keys are
// case-sensitive. A key of a table ([section] x = 1) is named by its
// table's.
func unknownKey(md toml.MetaData) error {
	for _, k := range md.Keys() {
		if slices.Contains(configKeys, k[0]) {
			continue
		}
		msg := fmt.Sprintf("unknown key %q (known keys: %s)", k[0], strings.Join(configKeys, ", "))
		if lower := strings.ToLower(k[0]); slices.Contains(configKeys, lower) {
			msg += fmt.Sprintf("; keys are lower case: did you mean %q?", lower)
		} else if near := nearestKey(lower); near != "" {
			msg += fmt.Sprintf("; did you mean %q?", near)
		}
		return &ConfigError{Msg: msg}
	}
	return nil
}

// nearestKey is the known key a misspelt one (lower case) most likely
// meant: the one fewest edits away (Levenshtein), at most 2, and fewer
// than all but one of its letters (wrpa: wrap; gp: gpu; but x: none);
// "" where none is that close.
func nearestKey(key string) string {
	best, bestDist := "", 3
	for _, known := range configKeys {
		if d := levenshtein.ComputeDistance(key, known); d < bestDist && d < len(known)-1 {
			best, bestDist = known, d
		}
	}
	return best
}

// ParseConfig parses and checks p's .nixld.toml; home is $HOME, for "~".
// Errors are a *ConfigError on one line: the line of the key, and what was
// found there against what is expected, as in
// `line 1: wrap must be a list of program names, like wrap = ["python3"]; found a string, "python3"`.
// BurntSushi/toml finds the line: each key decodes through a field type
// whose error it reports with the key's position.
func ParseConfig(p *Project, home string) (*Config, error) {
	raw := struct {
		Wrap      listField   `toml:"wrap"`
		Libraries listField   `toml:"libraries"`
		GPU       boolField   `toml:"gpu"`
		Packages  listField   `toml:"packages"`
		Nixpkgs   stringField `toml:"nixpkgs"`
		ExportLD  boolField   `toml:"export_ld_library_path"`
	}{
		Wrap: listField{field: field{key: "wrap", what: "program names", example: `wrap = ["python3"]`}, check: checkProgram},
		Libraries: listField{field: field{key: "libraries", what: "directories", example: `libraries = ["vendor/lib"]`},
			check: func(lib string) (string, error) { return libraryDir(lib, p.Real, home) }},
		GPU: boolField{field: field{key: "gpu", example: "gpu = true"}},
		Packages: listField{field: field{key: "packages", what: "nixpkgs attributes", example: `packages = ["portaudio"]`},
			check: checkAttribute},
		Nixpkgs: stringField{field: field{key: "nixpkgs", what: "a path or a flake reference", example: `nixpkgs = "github:NixOS/nixpkgs/nixos-25.05"`},
			check: checkNixpkgs},
		ExportLD: boolField{field: field{key: "export_ld_library_path", example: "export_ld_library_path = true"}},
	}
	md, err := toml.Decode(string(p.Content), &raw)
	// An unknown key comes first: with Wrap = "python3" the field's
	// complaint about wrap would mislead. md has no keys where the TOML
	// did not parse.
	if err := unknownKey(md); err != nil {
		return nil, err
	}
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			msg := pe.Message
			if !raw.Wrap.failed && !raw.Libraries.failed && !raw.GPU.failed && !raw.Packages.failed && !raw.Nixpkgs.failed && !raw.ExportLD.failed {
				msg = "not valid TOML: " + msg
			}
			return nil, &ConfigError{Line: pe.Position.Line, Msg: strings.Join(strings.Fields(msg), " ")}
		}
		return nil, &ConfigError{Msg: oneLine(err).Error()}
	}
	cfg := &Config{Libraries: raw.Libraries.vals, GPU: raw.GPU.val, Packages: raw.Packages.vals, Nixpkgs: raw.Nixpkgs.val, ExportLD: raw.ExportLD.val}
	if raw.Wrap.set {
		cfg.Wrap = append([]string{}, raw.Wrap.vals...)
	}
	return cfg, nil
}

// field is what every key's type shares: its name and an example for
// messages, and whether it failed (the ParseError is then nixld's own).
type field struct {
	key, what, example string
	failed             bool
}

func (f *field) fail(format string, args ...any) error {
	f.failed = true
	return fmt.Errorf(format, args...)
}

// listField is a key whose value is a list of strings, each checked (and
// resolved) by check; duplicates are dropped. Its errors become the
// message of BurntSushi/toml's ParseError, which adds the key's line.
type listField struct {
	field
	check func(string) (string, error)
	set   bool
	vals  []string
}

func (f *listField) UnmarshalTOML(v any) error {
	list, ok := v.([]any)
	if !ok {
		return f.fail("%s must be a list of %s, like %s; found %s", f.key, f.what, f.example, describe(v))
	}
	f.set = true
	for _, e := range list {
		s, ok := e.(string)
		if !ok {
			return f.fail("%s must be a list of %s in quotes, like %s; found %s in it", f.key, f.what, f.example, describe(e))
		}
		s, err := f.check(s)
		if err != nil {
			return f.fail("%s: %v", f.key, err)
		}
		if !slices.Contains(f.vals, s) {
			f.vals = append(f.vals, s)
		}
	}
	return nil
}

// stringField is a key whose value is one string.
type stringField struct {
	field
	check func(string) error
	val   string
}

func (f *stringField) UnmarshalTOML(v any) error {
	s, ok := v.(string)
	if !ok {
		return f.fail("%s must be %s in quotes, like %s; found %s", f.key, f.what, f.example, describe(v))
	}
	if err := f.check(s); err != nil {
		return f.fail("%s: %v", f.key, err)
	}
	f.val = s
	return nil
}

// boolField is a key whose value is true or false.
type boolField struct {
	field
	val bool
}

func (f *boolField) UnmarshalTOML(v any) error {
	b, ok := v.(bool)
	if !ok {
		return f.fail("%s must be true or false, like %s; found %s", f.key, f.example, describe(v))
	}
	f.val = b
	return nil
}

// describe names a decoded TOML value for a message: its kind and, where
// short, the value itself as written.
func describe(v any) string {
	switch v := v.(type) {
	case string:
		if unsafeText(v) || len(v) > 60 {
			return "a string"
		}
		return fmt.Sprintf("a string, %q", v)
	case bool:
		return fmt.Sprintf("%t, a boolean", v)
	case int64:
		return fmt.Sprintf("a number, %d", v)
	case float64:
		return fmt.Sprintf("a number, %v", v)
	case []any:
		return "a list"
	case map[string]any:
		return "a table"
	case []map[string]any:
		return "a list of tables"
	default:
		return "a date"
	}
}

// checkProgram accepts a bare program name: it becomes a file in the shim
// directory and is looked up on PATH.
func checkProgram(name string) (string, error) {
	switch {
	case name == "", name == ".", name == "..":
		return "", fmt.Errorf("%q is not a program name", name)
	case strings.Contains(name, "/"):
		return "", fmt.Errorf("%q is not a program name (no slashes; it is looked up on PATH)", name)
	case unsafeText(name):
		return "", fmt.Errorf("%q holds a control, bidi or invisible character", name)
	}
	return name, nil
}

func checkAttribute(attr string) (string, error) {
	if !nixpkgs.Attribute.MatchString(attr) {
		return "", fmt.Errorf("%q is not a nixpkgs attribute path like portaudio or xorg.libX11", attr)
	}
	return attr, nil
}

func checkNixpkgs(spec string) error {
	if unsafeText(spec) {
		return fmt.Errorf("%q holds a control, bidi or invisible character", spec)
	}
	return nil
}

// variable matches what a shell would expand as a variable: nixld does not.
var variable = regexp.MustCompile(`\$(\{|[A-Za-z_])`)

// libraryDir resolves a libraries entry: ~ is the home directory, ~user
// that user's, and a relative path is relative to the project directory.
// The checks apply to the resolved path, since that is what goes on
// LD_LIBRARY_PATH: a project directory with a ':' in its name would
// otherwise split an entry in two. Variables are refused, not expanded:
// the value would depend on the shell entering the project.
func libraryDir(lib, root, home string) (string, error) {
	dir := lib
	switch {
	case lib == "":
		return "", fmt.Errorf("empty entry")
	case unsafeText(lib):
		return "", fmt.Errorf("%q holds a control, bidi or invisible character", lib)
	case variable.MatchString(lib):
		hint := "write the directory itself"
		if rest, ok := strings.CutPrefix(lib, "$HOME"); ok && (rest == "" || rest[0] == '/') {
			hint = "write ~" + rest
		} else if rest, ok := strings.CutPrefix(lib, "${HOME}"); ok && (rest == "" || rest[0] == '/') {
			hint = "write ~" + rest
		}
		return "", fmt.Errorf("%q: nixld does not expand variables; %s", lib, hint)
	case lib == "~" || strings.HasPrefix(lib, "~/"):
		if !filepath.IsAbs(home) {
			return "", fmt.Errorf("%q needs $HOME", lib)
		}
		dir = filepath.Join(home, lib[1:])
	case strings.HasPrefix(lib, "~"):
		name, rest, _ := strings.Cut(lib[1:], "/")
		u, err := user.Lookup(name)
		if err != nil || !filepath.IsAbs(u.HomeDir) {
			return "", fmt.Errorf("%q: there is no user %q whose home it could be in", lib, name)
		}
		dir = filepath.Join(u.HomeDir, rest)
	case !filepath.IsAbs(lib):
		dir = filepath.Join(root, lib)
	}
	dir = filepath.Clean(dir)
	switch {
	case !strings.Contains(dir, ":"):
		return dir, nil
	case dir == lib:
		return "", fmt.Errorf("%q contains ':', which separates LD_LIBRARY_PATH entries", lib)
	default:
		return "", fmt.Errorf("%q resolves to %q, whose ':' would split it on LD_LIBRARY_PATH", lib, dir)
	}
}

// unsafeText reports whether s holds what a terminal would not show as
// written: control characters (newlines among them), bidi overrides and
// other invisible format characters, or bytes that are not UTF-8.
func unsafeText(s string) bool {
	if !utf8.ValidString(s) {
		return true
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029' {
			return true
		}
	}
	return false
}

func errorf(msg string) error { return fmt.Errorf("%s", msg) }

// oneLine keeps an error on one line, as every nixld message is.
func oneLine(err error) error {
	return fmt.Errorf("%s", strings.Join(strings.Fields(err.Error()), " "))
}
