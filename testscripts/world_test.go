package testscripts

// Parts of the test world that stand for what a NixOS machine has:
// a Nix-built tool whose library shares a soname with an older copy in
// nix-ld's directory, and a python3.withPackages environment.

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/nixld/nixld/internal/fakenix"
	"github.com/nixld/nixld/internal/testtools"
	"github.com/rogpeppe/go-internal/testscript"
)

// buildNixTool makes bin/nixtool, a program as Nix builds them: it needs
// libnixtool.so.1's symbol version FOO_2 and finds it through its
// RUNPATH, in a store directory. nix-ld's directory holds an older
// libnixtool.so.1, with FOO_1 only. LD_LIBRARY_PATH is searched before
// RUNPATH, so where it names nix-ld's directory nixtool fails:
// "version `FOO_2' not found". It prints "nixtool ok" otherwise.
func buildNixTool(dir, bin, nixLD string) error {
	src := filepath.Join(dir, "src", "nixtool")
	store := filepath.Join(dir, "store", "nixtool-2.0", "lib")
	if err := os.MkdirAll(src, 0o755); err != nil {
		return err
	}
	files := map[string]string{
		"old.map": "FOO_1 { global: foo_old; local: *; };\n",
		"new.map": "FOO_1 { global: foo_old; local: *; };\nFOO_2 { global: foo_new; } FOO_1;\n",
		"lib.c":   "int foo_old(void) { return 1; }\nint foo_new(void) { return 2; }\n",
		"tool.c":  "#include <stdio.h>\nint foo_new(void);\nint main(void) { printf(\"nixtool ok %d\\n\", foo_new()); return 0; }\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(src, name), []byte(text), 0o644); err != nil {
			return err
		}
	}
	lib := func(out, script string) error {
		return fakenix.Program(out, files["lib.c"], "-shared", "-fPIC", "-Wl,-soname,libnixtool.so.1",
			"-Wl,--version-script,"+filepath.Join(src, script))
	}
	if err := lib(filepath.Join(nixLD, "libnixtool.so.1"), "old.map"); err != nil {
		return err
	}
	if err := lib(filepath.Join(store, "libnixtool.so.1"), "new.map"); err != nil {
		return err
	}
	return fakenix.Program(filepath.Join(bin, "nixtool"), files["tool.c"], filepath.Join(store, "libnixtool.so.1"),
		"-Wl,--enable-new-dtags,-rpath,"+store)
}

// buildWithPackages makes, in dir, two environments as python3.withPackages
// makes them around an interpreter, here Debian's python3.11, and a
// profile that leads to the first, as ~/.nix-profile does. In each
// environment lib/python3.11 links to the interpreter's standard library,
// the environment's own package sits beside it (Debian's Python reads
// lib/python3/dist-packages; nixpkgs' lib/python3.X/site-packages), and
// bin/python3.11 is a makeBinaryWrapper binary (--inherit-argv0
// --resolve-argv0) that runs the interpreter, which finds its prefix, and
// so the package, above argv[0]. env1's package is envpkg, env2's envpkg2;
// each prints its name when run as __main__. Each has include/python3.11
// and share/envdata too. The profile, dir/profile, leads to env1; a copy
// of it switched to env2 is a profile upgrade. It returns dir.
func buildWithPackages(dir string) (string, error) {
	for _, env := range []string{"env1", "env2"} {
		if err := buildEnv(filepath.Join(dir, env), map[string]string{"env1": "envpkg", "env2": "envpkg2"}[env]); err != nil {
			return "", err
		}
	}
	profile := filepath.Join(dir, "profile")
	if err := os.MkdirAll(profile, 0o755); err != nil {
		return "", err
	}
	for _, name := range []string{"bin", "lib", "include", "share"} {
		if err := os.Symlink(filepath.Join("..", "env1", name), filepath.Join(profile, name)); err != nil {
			return "", err
		}
	}
	return dir, nil
}

// buildEnv makes one environment of buildWithPackages, with package pkg.
func buildEnv(dir, pkg string) error {
	const python = "/usr/bin/python3.11"
	stdlib := "/usr/lib/python3.11"
	lib := filepath.Join(dir, "lib", "python3.11")
	pkgs := filepath.Join(dir, "lib", "python3", "dist-packages")
	bin := filepath.Join(dir, "bin")
	include := filepath.Join(dir, "include", "python3.11")
	share := filepath.Join(dir, "share", "envdata")
	for _, d := range []string{lib, pkgs, bin, include, share} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	entries, err := os.ReadDir(stdlib)
	if err != nil {
		return fmt.Errorf("Debian's python3.11 (test.sh installs it): %v", err)
	}
	for _, e := range entries {
		if e.Name() != "site-packages" && e.Name() != "dist-packages" {
			if err := os.Symlink(filepath.Join(stdlib, e.Name()), filepath.Join(lib, e.Name())); err != nil {
				return err
			}
		}
	}
	files := map[string]string{
		filepath.Join(pkgs, pkg+".py"):     "NAME = '" + pkg + "'\nif __name__ == '__main__':\n    print(NAME)\n",
		filepath.Join(include, "Python.h"): "/* " + pkg + " */\n",
		filepath.Join(share, "marker"):     pkg + "\n",
	}
	for name, text := range files {
		if err := os.WriteFile(name, []byte(text), 0o644); err != nil {
			return err
		}
	}
	if err := fakenix.BinaryWrapper(filepath.Join(bin, "python3.11"), python, "--inherit-argv0", "--resolve-argv0", "--set", "PYTHONNOUSERSITE", "true"); err != nil {
		return err
	}
	return os.Symlink("python3.11", filepath.Join(bin, "python3"))
}

// hiddenLibs are what manylinux wheels take from the system (auditwheel's
// policy) and a NixOS system lacks outside nix-ld's directory.
var hiddenLibs = []string{"libstdc++.so.6", "libgcc_s.so.1", "libz.so.1"}

// buildNixOSSandbox makes bin/nixos-sandbox, which runs a command as on
// NixOS: the system's library directory lacks hiddenLibs, whose copies are
// only in the returned directory, which the sandbox puts first in
// NIX_LD_LIBRARY_PATH (as nix-ld's own set). The command runs from /,
// with nothing else of the caller's environment but HOME: as cron or an
// IDE would start it. With -nolibs first, nix-ld's directory is empty.
func buildNixOSSandbox(dir, bin string) (string, error) {
	matches, _ := filepath.Glob("/usr/lib/*-linux-gnu/libstdc++.so.6")
	if len(matches) == 0 {
		return "", fmt.Errorf("no /usr/lib/*-linux-gnu/libstdc++.so.6 to hide")
	}
	lib := filepath.Dir(matches[0])
	host := filepath.Join(dir, "host-lib")   // where the real directory stays visible
	stage := filepath.Join(dir, "stage-lib") // what the sandbox shows in its place
	libs := filepath.Join(dir, "nix-ld")
	for _, d := range []string{host, stage, libs, filepath.Join(dir, "empty")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return "", err
		}
	}
	entries, err := os.ReadDir(lib)
	if err != nil {
		return "", err
	}
	hidden := map[string]bool{}
	for _, name := range hiddenLibs {
		real, err := filepath.EvalSymlinks(filepath.Join(lib, name))
		if err != nil {
			return "", err
		}
		hidden[filepath.Base(real)], hidden[name] = true, true
		data, err := os.ReadFile(real)
		if err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(libs, name), data, 0o755); err != nil {
			return "", err
		}
	}
	for _, e := range entries {
		if !hidden[e.Name()] {
			if err := os.Symlink(filepath.Join(host, e.Name()), filepath.Join(stage, e.Name())); err != nil {
				return "", err
			}
		}
	}
	script := fmt.Sprintf(`#!/bin/sh
# nixos-sandbox [-nolibs] CMD...: CMD as on NixOS (see buildNixOSSandbox).
libs=%[1]q
if [ "$1" = -nolibs ]; then libs=%[2]q; shift; fi
exec bwrap --dev-bind / / --ro-bind %[3]q %[4]q --bind %[5]q %[3]q --chdir / \
  env -i HOME="$HOME" PATH=/usr/bin:/bin NIX_LD_LIBRARY_PATH="$libs:${NIX_LD_LIBRARY_PATH}" "$@"
`, libs, filepath.Join(dir, "empty"), lib, host, stage)
	return libs, os.WriteFile(filepath.Join(bin, "nixos-sandbox"), []byte(script), 0o755)
}

// pypiCache is where test.sh downloads the wheels of pypi.txt: real
// manylinux wheels (numpy, pyzmq) and the tools that make venvs (uv,
// poetry 2, tox 4), with their dependencies.
func pypiCache() string { return filepath.Join(testtools.CacheDir(), "pypi") }

var pytools struct {
	once sync.Once
	bin  string
	err  error
}

// pytoolsCmd: pytools
//
// It installs uv, poetry and tox from PyPI (pypi.txt) once, offline, from
// test.sh's download, into a venv of their own made with the world's
// python3, outside any project, as a user's tools are; $PYTOOLS is its bin
// directory (Debian's poetry and tox stay first on PATH). $WHEELS is the
// download, for pip and friends to install from.
func pytoolsCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: pytools")
	}
	wheels := pypiCache()
	pytools.once.Do(func() {
		if _, err := os.Stat(filepath.Join(wheels, ".complete")); err != nil {
			pytools.err = fmt.Errorf("the PyPI wheels are not in %s; %s downloads them", wheels, testtools.Install)
			return
		}
		venv := filepath.Join(w.dir, "pytools")
		if _, err := run(filepath.Join(w.bin, "python3"), "-m", "venv", venv); err != nil {
			pytools.err = err
			return
		}
		_, pytools.err = run(filepath.Join(venv, "bin", "pip"), "install", "-q", "--no-index", "--find-links", wheels, "uv", "poetry", "tox")
		pytools.bin = filepath.Join(venv, "bin")
	})
	ts.Check(pytools.err)
	ts.Setenv("WHEELS", wheels)
	ts.Setenv("PYTOOLS", pytools.bin)
}

// readmeCmd: readme quickstart FILE
//
// It writes the README's quick start, the indented lines after "Then, in
// your project:", to FILE, one command a line, for a shell to type: the
// README is run as a newcomer would run it.
func readmeCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 || args[0] != "quickstart" {
		ts.Fatalf("usage: readme quickstart FILE")
	}
	data, err := os.ReadFile(filepath.Join(ts.Getenv("REPO"), "README.md"))
	ts.Check(err)
	_, rest, ok := strings.Cut(string(data), "Then, in your project:\n\n")
	if !ok {
		ts.Fatalf("README.md has no quick start after %q", "Then, in your project:")
	}
	var lines []string
	for _, line := range strings.Split(rest, "\n") {
		code, ok := strings.CutPrefix(line, "    ")
		if !ok {
			break
		}
		lines = append(lines, code)
	}
	if len(lines) == 0 {
		ts.Fatalf("README.md's quick start has no commands")
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(strings.Join(lines, "\n")+"\n"), 0o644))
}
