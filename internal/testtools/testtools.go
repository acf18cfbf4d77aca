// Package testtools finds the programs nixld's tests drive, for every test
// package alike: on PATH, or, for nu and mise, where testscripts/test.sh
// installs them with npm. A program found nowhere fails the test in one
// line that names the command installing it.
package testtools

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Install is the command that installs every program the tests drive
// (with apt-get and npm) and runs nothing else.
const Install = "bash testscripts/test.sh --install"

// npmBins are the programs test.sh installs with npm, each under
// ${XDG_CACHE_HOME:-$HOME/.cache}/nixld-test/NAME/node_modules, and the
// directory there that holds it: test.sh's npm_tool lines, which must
// agree.
var npmBins = map[string]string{
	"nu":   "@nushell/linux-x64/bin",
	"mise": "@jdxcode/mise-linux-x64/bin",
}

// CacheDir is where test.sh installs the npm programs:
// ${XDG_CACHE_HOME:-$HOME/.cache}/nixld-test, or "" without either.
func CacheDir() string {
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home := os.Getenv("HOME")
		if home == "" {
			return ""
		}
		cache = filepath.Join(home, ".cache")
	}
	return filepath.Join(cache, "nixld-test")
}

// UseCache appends to this process's PATH the directory of each npm
// program that PATH lacks and test.sh's cache holds, so that exec.Command,
// exec.LookPath and every child process find it, as they do under
// test.sh. A program already on PATH stays first. Call it from TestMain,
// before any test runs: it changes the process's environment.
func UseCache() {
	cache := CacheDir()
	if cache == "" {
		return
	}
	path := os.Getenv("PATH")
	for name, bin := range npmBins {
		if _, err := exec.LookPath(name); err == nil {
			continue
		}
		dir := filepath.Join(cache, name, "node_modules", bin)
		if info, err := os.Stat(filepath.Join(dir, name)); err == nil && info.Mode().IsRegular() && info.Mode()&0o111 != 0 {
			path = strings.Join(slices.DeleteFunc([]string{path, dir}, func(s string) bool { return s == "" }), ":")
		}
	}
	os.Setenv("PATH", path)
}

// Find makes sure every program in needs is found, on PATH or (after
// UseCache, which it calls) in test.sh's cache. Where some are missing its
// error says in one line which, and the command that installs them: no
// program the tests drive is ever skipped. TestMain calls it before
// m.Run, and exits 1 on an error.
func Find(needs ...string) error {
	UseCache()
	var missing []string
	for _, name := range needs {
		if _, err := exec.LookPath(name); err != nil {
			missing = append(missing, name)
		}
	}
	switch len(missing) {
	case 0:
		return nil
	case 1:
		return fmt.Errorf("nixld tests: %s is not installed; %s installs it", missing[0], Install)
	}
	return fmt.Errorf("nixld tests: %s are not installed; %s installs them", strings.Join(missing, ", "), Install)
}

// Need returns the path of each program, in order, as exec.LookPath finds
// it on PATH (after UseCache). A missing one fails tb with one line: no
// program the tests drive is ever skipped.
func Need(tb testing.TB, names ...string) []string {
	tb.Helper()
	paths := make([]string, len(names))
	for i, name := range names {
		p, err := exec.LookPath(name)
		if err != nil {
			tb.Fatalf("%s is not installed; %s installs it (and everything else the tests drive)", name, Install)
		}
		paths[i] = p
	}
	return paths
}
