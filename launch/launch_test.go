package launch

// Real programs built with cc: plain and static ELF files, wrappers as
// makeBinaryWrapper and makeWrapper make them, a python3.withPackages-like
// environment around Debian's python3.11.

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"syscall"
	"testing"
	"time"

	"github.com/nixld/nixld/internal/fakenix"
)

const hello = "#include <stdio.h>\nint main(void) { puts(\"hello\"); return 0; }\n"

// python is the Python these tests wrap: Debian's, whose prefix /usr
// holds lib/python3.11/os.py.
func python(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("/usr/bin/python3.11")
	if err != nil {
		t.Fatalf("Debian's python3.11 is not installed (test.sh installs it): %v", err)
	}
	return p
}

func TestInspectELF(t *testing.T) {
	dir := t.TempDir()
	prog := filepath.Join(dir, "hello")
	if err := fakenix.Program(prog, hello); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	os.Symlink(prog, link)
	p := Inspect(link)
	if p.Kind != ELF || p.Real != prog || p.Exec != prog || p.Version != "" || p.Prefix != "" || p.Python {
		t.Fatalf("Inspect(link) = %+v", p)
	}
	if p.Loader == "" || !filepath.IsAbs(p.Loader) {
		t.Fatalf("no usable loader for a glibc program: %+v", p)
	}

	static := filepath.Join(dir, "static")
	if err := fakenix.Program(static, hello, "-static"); err != nil {
		t.Fatal(err)
	}
	if p := Inspect(static); p.Kind != Static || p.Loader != "" {
		t.Fatalf("Inspect(static) = %+v", p)
	}
}

func TestInspectPython(t *testing.T) {
	py := python(t)
	p := Inspect(py)
	if p.Kind != ELF || p.Version != "python3.11" || p.Prefix != "" || !p.Python {
		t.Fatalf("Inspect(%s) = %+v", py, p)
	}
	// A launcher named like an interpreter (a version manager's shim) is
	// no Python: the library path would stop at it.
	launcher := filepath.Join(t.TempDir(), "python3.11")
	if err := fakenix.Program(launcher, "#include <unistd.h>\nint main(int c, char **v) { execv(\"/usr/bin/python3.11\", v); return 127; }\n"); err != nil {
		t.Fatal(err)
	}
	if p := Inspect(launcher); p.Kind != ELF || p.Version != "python3.11" || p.Python {
		t.Fatalf("Inspect(launcher) = %+v", p)
	}
}

// env builds a python3.withPackages-like environment: lib/python3.11
// beside bin/, so that CPython, started as env/bin/python3.11, takes env
// as its prefix.
func env(t *testing.T, dir string) string {
	t.Helper()
	lib := filepath.Join(dir, "lib", "python3.11")
	if err := os.MkdirAll(lib, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(lib, "os.py"), nil, 0o644)
	return dir
}

func TestInspectBinaryWrapper(t *testing.T) {
	py := python(t)
	e := env(t, filepath.Join(t.TempDir(), "env"))
	w := filepath.Join(e, "bin", "python3.11")
	if err := fakenix.BinaryWrapper(w, py, "--inherit-argv0", "--resolve-argv0", "--set", "PYTHONNOUSERSITE", "true",
		"--prefix", "XDG_DATA_DIRS", ":", "/a b/share", "--add-flags", "-X dev", "--append-flag", "it's"); err != nil {
		t.Fatal(err)
	}
	os.Symlink("python3.11", filepath.Join(e, "bin", "python3"))
	p := Inspect(filepath.Join(e, "bin", "python3"))
	want := &Wrapper{
		Executable: py, Inherit: true,
		Ops: []Op{{Kind: "set", Name: "PYTHONNOUSERSITE", Value: "true"},
			{Kind: "prefix", Name: "XDG_DATA_DIRS", Sep: ":", Value: "/a b/share"}},
		Before: []string{"-X", "dev"}, After: []string{"it's"},
	}
	if p.Kind != BinaryWrapper || p.Exec != py || p.Loader == "" || !p.Python || !reflect.DeepEqual(p.Wrapper, want) {
		t.Fatalf("Inspect(wrapper) = %+v, wrapper %+v", p, p.Wrapper)
	}
	if p.Version != "python3.11" || p.Prefix != e {
		t.Fatalf("version %q prefix %q, want python3.11 and %s", p.Version, p.Prefix, e)
	}

	// wrapProgram over a wrapper: the two fold into one.
	outer := filepath.Join(t.TempDir(), "outer")
	if err := fakenix.BinaryWrapper(outer, w, "--argv0", "fixed", "--set", "OUTER", "1", "--add-flag", "-B"); err != nil {
		t.Fatal(err)
	}
	p = Inspect(outer)
	if p.Kind != BinaryWrapper || p.Exec != py || p.Wrapper.Inherit || p.Wrapper.Argv0 != "fixed" ||
		!reflect.DeepEqual(p.Wrapper.Before, []string{"-X", "dev", "-B"}) || len(p.Wrapper.Ops) != 3 || p.Wrapper.Ops[0].Name != "OUTER" {
		t.Fatalf("Inspect(outer) = %+v, wrapper %+v", p, p.Wrapper)
	}
}

// A wrapper whose command line nixld does not understand is not started
// by nixld: it is an Other, which a shim runs as it is.
func TestInspectUnknownWrapper(t *testing.T) {
	dir := t.TempDir()
	for name, doc := range map[string]string{
		"flag":    `makeCWrapper '/bin/true' \\\n    --frobnicate 'x'`,
		"expands": `makeCWrapper '/bin/true' \\\n    --set A \"$(id)\"`,
		"short":   `makeCWrapper '/bin/true' \\\n    --set A`,
		// A docstring that is not what the code does: the program it names
		// is nowhere else in the binary.
		"lies": `makeCWrapper '/usr/bin/nothing-here' \\\n    --inherit-argv0`,
	} {
		src := "const char *DOCSTRING = \"\\n# The C-code for this binary wrapper has been generated using the following command:\\n\\n\\n" +
			doc + "\\n\\n\\n# (Use `nix-shell`)\";\nint main(void) { return DOCSTRING[0]; }\n"
		out := filepath.Join(dir, name)
		if err := fakenix.Program(out, src); err != nil {
			t.Fatal(err)
		}
		if p := Inspect(out); p.Kind != Other || p.Loader != "" {
			t.Errorf("%s: Inspect = %+v, want an Other", name, p)
		}
	}
}

// Variables bash gives a meaning of its own cannot be passed on by a
// shim, which is bash: such a wrapper is one nixld does not start itself.
func TestInspectBashSpecialNames(t *testing.T) {
	for _, name := range []string{"BASH_ARGV0", "SHELLOPTS", "UID", "IFS"} {
		w := filepath.Join(t.TempDir(), "python3.11")
		if err := fakenix.BinaryWrapper(w, python(t), "--inherit-argv0", "--set", name, "x"); err != nil {
			t.Fatal(err)
		}
		if p := Inspect(w); p.Kind != Other {
			t.Errorf("--set %s: %+v", name, p)
		}
	}
}

func TestInspectScript(t *testing.T) {
	py := python(t)
	e := env(t, filepath.Join(t.TempDir(), "env"))
	s := filepath.Join(e, "bin", "python3.11")
	os.MkdirAll(filepath.Dir(s), 0o755)
	if err := fakenix.Script(s, py, "NIX_PYTHONPREFIX="+e); err != nil {
		t.Fatal(err)
	}
	p := Inspect(s)
	if p.Kind != Script || p.Exec != py || p.Loader == "" || p.Version != "python3.11" || p.Prefix != e {
		t.Fatalf("Inspect(script) = %+v", p)
	}
	if ScriptExec(py) != "" {
		t.Fatal("an ELF is no makeWrapper script")
	}
	if !p.SoleExec {
		t.Fatal("makeWrapper's own script execs once")
	}
	twice := filepath.Join(t.TempDir(), "twice")
	os.WriteFile(twice, []byte("#! /bin/bash -e\nexec 3>/dev/null\nexec -a \"$0\" \""+py+"\"  \"$@\"\n"), 0o755)
	if p := Inspect(twice); p.Kind != Script || p.SoleExec {
		t.Fatalf("a --run line's exec: %+v", p)
	}
}

// A makeWrapper-style script that execs itself (or another that execs it
// back) is read once, never followed round.
func TestInspectLoopingScripts(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "python3"), filepath.Join(dir, "other")
	os.WriteFile(a, []byte("#!/bin/bash\nexec -a \"$0\" \""+a+"\" \"$@\"\n"), 0o755)
	os.WriteFile(b, []byte("#!/bin/bash\nexec -a \"$0\" \""+a+"\" \"$@\"\n"), 0o755)
	done := make(chan Program, 2)
	go func() { done <- Inspect(a); done <- Inspect(b) }()
	for range 2 {
		select {
		case p := <-done:
			if p.Kind != Script || p.Loader != "" || p.Python {
				t.Errorf("looping script: %+v", p)
			}
		case <-time.After(30 * time.Second): // a hang guard, not a measure
			t.Fatal("Inspect follows a script that execs itself round and round")
		}
	}
}

// A program file can be anything a directory on PATH holds: none of these
// blocks or is taken for a program nixld can start.
func TestInspectHostile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "garbage"), []byte("\x7fELF\x02\x01\x01garbage"), 0o755)
	os.Symlink("/dev/zero", filepath.Join(dir, "zero"))
	os.Symlink("missing", filepath.Join(dir, "dangling"))
	for _, name := range []string{"fifo", "garbage", "zero", "dangling", "."} {
		if p := Inspect(filepath.Join(dir, name)); p.Kind != Other || p.Loader != "" {
			t.Errorf("%s: Inspect = %+v", name, p)
		}
	}
}
