package testscripts

// Parts of the test world that stand for what a NixOS machine has:
// a Nix-built tool whose library shares a soname with an older copy in
// nix-ld's directory, and a python3.withPackages environment.

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/nixld/nixld/internal/fakenix"
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

// buildWithPackages makes, in dir, what python3.withPackages makes around
// an interpreter, here Debian's python3.11: lib/python3.11 links to the
// interpreter's standard library, the environment's own packages sit
// beside it (Debian's Python reads lib/python3/dist-packages; nixpkgs'
// lib/python3.X/site-packages), and bin/python3.11 is a makeBinaryWrapper
// binary (--inherit-argv0 --resolve-argv0) that runs the interpreter, which
// finds its prefix, and so the packages, above argv[0]. The one package,
// envpkg, prints "envpkg" when imported as __main__. It returns the bin
// directory.
func buildWithPackages(dir string) (string, error) {
	const python = "/usr/bin/python3.11"
	stdlib := "/usr/lib/python3.11"
	lib := filepath.Join(dir, "lib", "python3.11")
	pkgs := filepath.Join(dir, "lib", "python3", "dist-packages")
	bin := filepath.Join(dir, "bin")
	for _, d := range []string{lib, pkgs, bin} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return "", err
		}
	}
	entries, err := os.ReadDir(stdlib)
	if err != nil {
		return "", fmt.Errorf("Debian's python3.11 (test.sh installs it): %v", err)
	}
	for _, e := range entries {
		if e.Name() != "site-packages" && e.Name() != "dist-packages" {
			if err := os.Symlink(filepath.Join(stdlib, e.Name()), filepath.Join(lib, e.Name())); err != nil {
				return "", err
			}
		}
	}
	if err := os.WriteFile(filepath.Join(pkgs, "envpkg.py"), []byte("NAME = 'envpkg'\nif __name__ == '__main__':\n    print(NAME)\n"), 0o644); err != nil {
		return "", err
	}
	if err := fakenix.BinaryWrapper(filepath.Join(bin, "python3.11"), python, "--inherit-argv0", "--resolve-argv0", "--set", "PYTHONNOUSERSITE", "true"); err != nil {
		return "", err
	}
	return bin, os.Symlink("python3.11", filepath.Join(bin, "python3"))
}
