package hook

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
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

// ParseConfig parses and checks p's .nixld.toml. Errors are one line.
func ParseConfig(p *Project, home string) (*Config, error) {
	var raw struct {
		Wrap      *[]string `toml:"wrap"`
		Libraries []string  `toml:"libraries"`
		GPU       bool      `toml:"gpu"`
		Packages  []string  `toml:"packages"`
		Nixpkgs   string    `toml:"nixpkgs"`
		ExportLD  bool      `toml:"export_ld_library_path"`
	}
	md, err := toml.Decode(string(p.Content), &raw)
	if err != nil {
		return nil, oneLine(err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return nil, fmt.Errorf("unknown key %q (known keys: wrap, libraries, gpu, packages, nixpkgs, export_ld_library_path)", und[0].String())
	}
	cfg := &Config{GPU: raw.GPU, Nixpkgs: raw.Nixpkgs, ExportLD: raw.ExportLD}
	for _, attr := range raw.Packages {
		if !nixpkgs.Attribute.MatchString(attr) {
			return nil, fmt.Errorf("packages: %q is not a nixpkgs attribute path like portaudio or xorg.libX11", attr)
		}
		if !slices.Contains(cfg.Packages, attr) {
			cfg.Packages = append(cfg.Packages, attr)
		}
	}
	if unsafeText(raw.Nixpkgs) {
		return nil, fmt.Errorf("nixpkgs: %q holds a control, bidi or invisible character", raw.Nixpkgs)
	}
	if raw.Wrap != nil {
		cfg.Wrap = []string{}
		for _, name := range *raw.Wrap {
			if err := checkProgram(name); err != nil {
				return nil, err
			}
			if !slices.Contains(cfg.Wrap, name) {
				cfg.Wrap = append(cfg.Wrap, name)
			}
		}
	}
	for _, lib := range raw.Libraries {
		dir, err := libraryDir(lib, p.Real, home)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(cfg.Libraries, dir) {
			cfg.Libraries = append(cfg.Libraries, dir)
		}
	}
	return cfg, nil
}

// checkProgram accepts a bare program name: it becomes a file in the shim
// directory and is looked up on PATH.
func checkProgram(name string) error {
	switch {
	case name == "", name == ".", name == "..":
		return fmt.Errorf("wrap: %q is not a program name", name)
	case strings.Contains(name, "/"):
		return fmt.Errorf("wrap: %q is not a program name (no slashes; it is looked up on PATH)", name)
	case unsafeText(name):
		return fmt.Errorf("wrap: %q holds a control, bidi or invisible character", name)
	}
	return nil
}

// libraryDir resolves a libraries entry: ~ is the home directory, and a
// relative path is relative to the project directory. The checks apply to
// the resolved path, since that is what goes on LD_LIBRARY_PATH: a project
// directory with a ':' in its name would otherwise split an entry in two.
func libraryDir(lib, root, home string) (string, error) {
	dir := lib
	switch {
	case lib == "":
		return "", fmt.Errorf("libraries: empty entry")
	case unsafeText(lib):
		return "", fmt.Errorf("libraries: %q holds a control, bidi or invisible character", lib)
	case lib == "~" || strings.HasPrefix(lib, "~/"):
		if !filepath.IsAbs(home) {
			return "", fmt.Errorf("libraries: %q needs $HOME", lib)
		}
		dir = filepath.Join(home, lib[1:])
	case !filepath.IsAbs(lib):
		dir = filepath.Join(root, lib)
	}
	dir = filepath.Clean(dir)
	switch {
	case !strings.Contains(dir, ":"):
		return dir, nil
	case dir == lib:
		return "", fmt.Errorf("libraries: %q contains ':', which separates LD_LIBRARY_PATH entries", lib)
	default:
		return "", fmt.Errorf("libraries: %q resolves to %q, whose ':' would split it on LD_LIBRARY_PATH", lib, dir)
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
