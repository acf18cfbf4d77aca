// Package nixpkgs realises a project's nix packages with the user's own
// nix: the library output of each attribute, built with nix-build, kept
// alive by a GC root under nixld's state directory (as nix-direnv keeps
// its shells), and remembered by the config's content, so that entering
// the project again runs no nix at all.
package nixpkgs

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// Attribute matches a nixpkgs attribute path such as xorg.libX11 or
// stdenv.cc.cc.lib.
var Attribute = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_'-]*(\.[A-Za-z_][A-Za-z0-9_'-]*)*$`)

// Request is what a project asks for.
type Request struct {
	Dir      string   // where the project's roots, cache and build log live
	Key      string   // what the result depends on: the config's content
	Packages []string // attribute paths
	// Nixpkgs is the config's nixpkgs: a path (absolute, or relative to
	// Project) or a flake reference. Empty: <nixpkgs> from NIX_PATH,
	// else the flake registry's nixpkgs.
	Nixpkgs string
	Project string
	Env     []string // the environment nix runs in
}

type cache struct {
	Key  string   `json:"key"`
	Libs []string `json:"libs"`
}

func (r Request) cacheFile() string { return filepath.Join(r.Dir, "packages.json") }

// LogFile keeps nix's own words when a build fails.
func (r Request) LogFile() string { return filepath.Join(r.Dir, "build.log") }

func (r Request) key() string {
	sum := sha256.Sum256([]byte(r.Key + "\x00" + r.Nixpkgs + "\x00" + strings.Join(r.Packages, "\x00")))
	return hex.EncodeToString(sum[:])
}

// Cached returns the library directories of an earlier build of the same
// request, as long as they all still exist.
func (r Request) Cached() ([]string, bool) {
	data, err := os.ReadFile(r.cacheFile())
	if err != nil {
		return nil, false
	}
	var c cache
	if json.Unmarshal(data, &c) != nil || c.Key != r.key() {
		return nil, false
	}
	for _, dir := range c.Libs {
		if _, err := os.Stat(dir); err != nil {
			return nil, false
		}
	}
	return c.Libs, true
}

// Realise returns the library directories of the packages, building them
// where the cache does not already have them. An error names the
// attribute and the log that holds nix's own.
func (r Request) Realise() ([]string, error) {
	if libs, ok := r.Cached(); ok {
		return libs, nil
	}
	if err := os.MkdirAll(filepath.Join(r.Dir, "roots"), 0o755); err != nil {
		return nil, err
	}
	source, flakes := r.source()
	var libs []string
	for _, attr := range r.Packages {
		if !Attribute.MatchString(attr) {
			return nil, fmt.Errorf("packages: %q is not a nixpkgs attribute path", attr)
		}
		root := filepath.Join(r.Dir, "roots", attr)
		args := []string{"--no-build-output", "--out-link", root, "--expr", expression(source, attr)}
		if flakes {
			args = append([]string{"--extra-experimental-features", "nix-command flakes"}, args...)
		}
		cmd := exec.Command("nix-build", args...)
		cmd.Env = r.Env
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			os.WriteFile(r.LogFile(), []byte("nix-build "+strings.Join(args, " ")+"\n"+stderr.String()), 0o644)
			if errors.Is(err, exec.ErrNotFound) {
				return nil, fmt.Errorf("cannot build %s: nix-build is not on PATH", attr)
			}
			return nil, fmt.Errorf("cannot build %s; nix's error is in %s", attr, r.LogFile())
		}
		for _, path := range strings.Fields(string(out)) {
			if lib := filepath.Join(path, "lib"); isDir(lib) {
				libs = append(libs, lib)
			}
		}
	}
	data, _ := json.Marshal(cache{Key: r.key(), Libs: libs})
	if err := os.WriteFile(r.cacheFile(), data, 0o644); err != nil {
		return nil, err
	}
	return libs, nil
}

// source is the Nix expression for the package set, and whether it needs
// flakes.
func (r Request) source() (string, bool) {
	switch spec := r.Nixpkgs; {
	case spec == "":
		for _, kv := range r.Env {
			if v, ok := strings.CutPrefix(kv, "NIX_PATH="); ok && v != "" {
				return "import <nixpkgs> { }", false
			}
		}
		return `(builtins.getFlake "nixpkgs").legacyPackages.${builtins.currentSystem}`, true
	case isPath(spec):
		path, _ := Local(spec, r.Project)
		return "import " + nixString(path) + " { }", false
	default:
		return "(builtins.getFlake " + nixString(spec) + ").legacyPackages.${builtins.currentSystem}", true
	}
}

// isPath reports whether a nixpkgs setting is a path rather than a flake
// reference.
func isPath(spec string) bool {
	return strings.HasPrefix(spec, "/") || strings.HasPrefix(spec, "./") || strings.HasPrefix(spec, "../")
}

// Local is the file or directory on this machine that a nixpkgs setting
// names, absolute (a relative one is relative to project), and whether it
// names one at all: a path, or a path:, git+file: or file: flake
// reference. Its Nix code runs when packages are built from it.
func Local(spec, project string) (string, bool) {
	if !isPath(spec) {
		rest, ok := "", false
		for _, scheme := range []string{"path:", "git+file://", "git+file:", "file://", "file:"} {
			if rest, ok = strings.CutPrefix(spec, scheme); ok {
				break
			}
		}
		if !ok || rest == "" {
			return "", false
		}
		rest, _, _ = strings.Cut(rest, "?")
		rest, _, _ = strings.Cut(rest, "#")
		spec = rest
	}
	if !filepath.IsAbs(spec) {
		spec = filepath.Join(project, spec)
	}
	return filepath.Clean(spec), true
}

// Describe names, for humans, where packages come from under a nixpkgs
// setting spec in environment env (os.Environ form): the setting itself,
// or what an empty one means there.
func Describe(spec string, env []string) string {
	if spec != "" {
		return spec
	}
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "NIX_PATH="); ok && v != "" {
			return "<nixpkgs> from NIX_PATH"
		}
	}
	return "nixpkgs from the flake registry"
}

// expression selects attr from the package set and takes its library
// output where it has one.
func expression(source, attr string) string {
	var names []string
	for _, n := range strings.Split(attr, ".") {
		names = append(names, nixString(n))
	}
	return fmt.Sprintf("let pkgs = %s; d = builtins.foldl' (s: n: builtins.getAttr n s) pkgs [ %s ]; in d.lib or d.out or d",
		source, strings.Join(names, " "))
}

// nixString quotes s as a Nix string: backslash, quote and the "${" that
// would start an interpolation are escaped.
func nixString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "${", `\${`, "\n", `\n`, "\r", `\r`, "\t", `\t`).Replace(s) + `"`
}

func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}
