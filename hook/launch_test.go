package hook

// Real shims running real programs built with cc: a program that needs a
// library only the nix-ld directory has, plain and behind each kind of
// nixpkgs wrapper. The library path must reach that one program, and
// the environment it (and so every program it starts) sees must be the
// caller's.

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nixld/nixld/internal/fakenix"
	"github.com/nixld/nixld/launch"
)

// showSrc prints its argv, a few variables and what libprobe answers.
const showSrc = `#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
int nixld_probe(void);
int main(int argc, char **argv) {
  const char *names[] = {"LD_LIBRARY_PATH", "NIX_LD_LIBRARY_PATH", "WRAPPED", "LIST", 0};
  printf("fd3=%s\n", fcntl(3, F_GETFD) == -1 ? "closed" : "open");
  char cwd[4096];
  for (int i = 0; i < argc; i++) printf("arg%d=%s\n", i, argv[i]);
  for (int i = 0; names[i]; i++) {
    const char *v = getenv(names[i]);
    printf("%s=%s\n", names[i], v ? v : "<unset>");
  }
  printf("cwd=%s\nprobe=%d\n", getcwd(cwd, sizeof cwd) ? cwd : "?", nixld_probe());
  return 0;
}
`

// launchWorld is a directory with libnixldprobe.so in nix-ld/ and the
// program show, which needs it, in bin/. show stands for CPython: it also
// needs a libpython3.11.so, as a shared CPython build does.
type launchWorld struct {
	*fixture
	nixLD, show string
}

func newLaunchWorld(t *testing.T) *launchWorld {
	f := newFixture(t)
	w := &launchWorld{fixture: f, nixLD: filepath.Join(f.root, "nix-ld"), show: filepath.Join(f.root, "store", "show")}
	if err := fakenix.Program(filepath.Join(w.nixLD, "libnixldprobe.so"), "int nixld_probe(void) { return 42; }\n", "-shared", "-fPIC"); err != nil {
		t.Fatal(err)
	}
	pylib := filepath.Join(f.root, "python", "lib")
	if err := fakenix.Program(filepath.Join(pylib, "libpython3.11.so"), "int Py_Stub;\n", "-shared", "-fPIC", "-Wl,-soname,libpython3.11.so"); err != nil {
		t.Fatal(err)
	}
	if err := fakenix.Program(w.show, showSrc, "-L"+w.nixLD, "-L"+pylib, "-Wl,--no-as-needed,-rpath,"+pylib, "-lnixldprobe", "-lpython3.11"); err != nil {
		t.Fatal(err)
	}
	return w
}

// run runs the shim name of project p with args in env, and returns what
// show printed, as NAME=value lines.
func (w *launchWorld) run(p *Project, cfg *Config, path, name string, env []string, args ...string) map[string]string {
	w.t.Helper()
	set, err := w.dirs.WriteShims(p, cfg, path)
	if err != nil {
		w.t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(set.Bin, name), args...)
	cmd.Env = append([]string{"PATH=/usr/bin:/bin", "NIX_LD_LIBRARY_PATH=" + w.nixLD}, env...)
	cmd.Dir = w.root
	out, err := cmd.CombinedOutput()
	if err != nil {
		w.t.Fatalf("%s: %v\n%s", name, err, out)
	}
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		k, v, _ := strings.Cut(line, "=")
		got[k] = v
	}
	return got
}

func (w *launchWorld) expect(what string, got map[string]string, want map[string]string) {
	w.t.Helper()
	for k, v := range want {
		if got[k] != v {
			w.t.Errorf("%s: %s=%q, want %q (all: %q)", what, k, got[k], v, got)
		}
	}
}

func TestShimLaunch(t *testing.T) {
	w := newLaunchWorld(t)
	bin := filepath.Join(w.root, "bin")
	os.MkdirAll(bin, 0o755)
	os.Symlink(w.show, filepath.Join(bin, "plain"))
	if err := fakenix.BinaryWrapper(filepath.Join(bin, "binwrapped"), w.show, "--inherit-argv0", "--set", "WRAPPED", "binary",
		"--prefix", "LIST", ":", "/first", "--suffix", "LIST", ":", "/last", "--add-flags", "-a -b", "--append-flag", "z z", "--chdir", "/"); err != nil {
		t.Fatal(err)
	}
	if err := fakenix.BinaryWrapper(filepath.Join(bin, "fixedargv0"), w.show, "--argv0", "named"); err != nil {
		t.Fatal(err)
	}
	if err := fakenix.Script(filepath.Join(bin, "scripted"), w.show, "WRAPPED=script"); err != nil {
		t.Fatal(err)
	}
	static := filepath.Join(bin, "static")
	if err := fakenix.Program(static, "#include <stdio.h>\n#include <stdlib.h>\nint main(void) { const char *v = getenv(\"LD_LIBRARY_PATH\"); printf(\"LD_LIBRARY_PATH=%s\\n\", v ? v : \"<unset>\"); return 0; }\n", "-static"); err != nil {
		t.Fatal(err)
	}
	// A launcher: an ELF that starts the interpreter, as a version
	// manager's shims do. The library path given to it would stop there.
	launcher := filepath.Join(bin, "launcher")
	if err := fakenix.Program(launcher, "#include <unistd.h>\nint main(int argc, char **argv) { execv(\""+w.show+"\", argv); return 127; }\n"); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]launch.Kind{"plain": launch.ELF, "binwrapped": launch.BinaryWrapper, "scripted": launch.Script, "static": launch.Static, "launcher": launch.ELF} {
		p := launch.Inspect(filepath.Join(bin, name))
		if python := name != "static" && name != "launcher"; p.Kind != want || p.Python != python || (want != launch.Static && p.Loader == "") {
			t.Fatalf("%s: %+v", name, p)
		}
	}
	redirecting := "#! /bin/bash -e\nexec 3>/dev/null\nexport FD3=open\nexec -a \"$0\" \"" + w.show + "\"  \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "redirecting"), []byte(redirecting), 0o755); err != nil {
		t.Fatal(err)
	}
	wrap := `wrap = ["plain", "binwrapped", "fixedargv0", "scripted", "static", "launcher", "redirecting"]` + "\n"
	p := w.project("proj", wrap+`libraries = ["/extra"]`+"\n", true)
	cfg, err := ParseConfig(p, w.dirs.Home)
	if err != nil {
		t.Fatal(err)
	}
	shim := func(name string) string { return filepath.Join(w.dirs.ShimDir(p), name) }
	libs := w.nixLD + ":/extra"

	// The program loads the library; what it sees, and so what it passes
	// on, is the caller's LD_LIBRARY_PATH; nix-ld's variable gains the
	// project's directories, for the unpatched programs nix-ld runs.
	for _, ld := range []string{"", "LD_LIBRARY_PATH=/mine"} {
		env, want := []string{ld}, "/mine"
		if ld == "" {
			env, want = nil, "<unset>"
		}
		got := w.run(p, cfg, bin, "plain", env, "x y")
		w.expect("plain", got, map[string]string{"probe": "42", "arg0": shim("plain"), "arg1": "x y", "LD_LIBRARY_PATH": want, "NIX_LD_LIBRARY_PATH": libs})
	}
	// A makeBinaryWrapper wrapper's changes are made, its program runs.
	got := w.run(p, cfg, bin, "binwrapped", []string{"LIST=/mid:/first"}, "x")
	w.expect("binwrapped", got, map[string]string{"probe": "42", "arg0": shim("binwrapped"), "arg1": "-a", "arg2": "-b", "arg3": "x", "arg4": "z z",
		"WRAPPED": "binary", "LIST": "/first:/mid:/last", "cwd": "/", "LD_LIBRARY_PATH": "<unset>"})
	w.expect("fixedargv0", w.run(p, cfg, bin, "fixedargv0", nil), map[string]string{"probe": "42", "arg0": "named", "LD_LIBRARY_PATH": "<unset>"})
	// A makeWrapper script runs in the shim, under its name; so it does
	// where POSIXLY_CORRECT would put bash in POSIX mode.
	w.expect("scripted", w.run(p, cfg, bin, "scripted", nil), map[string]string{"probe": "42", "arg0": shim("scripted"), "WRAPPED": "script", "LD_LIBRARY_PATH": "<unset>"})
	w.expect("scripted, posix", w.run(p, cfg, bin, "scripted", []string{"POSIXLY_CORRECT=1"}), map[string]string{"probe": "42", "arg0": shim("scripted")})
	// One whose --run line execs too (a redirection that must last) runs
	// as it would alone: sourced, with the library path the old way.
	w.expect("redirecting", w.run(p, cfg, bin, "redirecting", nil), map[string]string{"probe": "42", "arg0": shim("redirecting"), "fd3": "open", "LD_LIBRARY_PATH": libs})
	// status says which shims hand LD_LIBRARY_PATH on.
	status := Status(w.dirs, Env{"PATH": bin}, p.Dir)
	for _, name := range []string{"launcher", "static", "redirecting"} {
		if !strings.Contains(status, "wrap:       "+name+" -> "+filepath.Join(bin, name)+" (not a Python nixld can start itself: it gets LD_LIBRARY_PATH)\n") {
			t.Errorf("status on %s:\n%s", name, status)
		}
	}
	if !strings.Contains(status, "LD_LIBRARY_PATH stays as it is, but for what static, launcher, redirecting start\n") {
		t.Errorf("status:\n%s", status)
	}
	// A launcher, or a static program nixld cannot tell from one, gets the
	// library path the old way, so that the Python it starts has it too.
	w.expect("launcher", w.run(p, cfg, bin, "launcher", nil), map[string]string{"probe": "42", "LD_LIBRARY_PATH": libs})
	w.expect("static", w.run(p, cfg, bin, "static", nil), map[string]string{"LD_LIBRARY_PATH": libs})

	// A target that is no longer the program nixld looked at (a profile
	// upgraded since) still runs, with the library path the old way.
	os.Remove(filepath.Join(bin, "plain"))
	other := filepath.Join(w.root, "store", "show2")
	os.Link(w.show, other) // hard link: -ef would still match
	os.Remove(other)
	data, _ := os.ReadFile(w.show)
	os.WriteFile(other, data, 0o755)
	os.Symlink(other, filepath.Join(bin, "plain"))
	cmd := exec.Command(shim("plain"))
	cmd.Env = []string{"PATH=/usr/bin:/bin", "NIX_LD_LIBRARY_PATH=" + w.nixLD}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "probe=42") || !strings.Contains(string(out), "LD_LIBRARY_PATH="+libs+"\n") {
		t.Errorf("moved target: %v\n%s", err, out)
	}

	// export_ld_library_path: the program and everything it starts get it.
	p = w.project("exported", wrap+"export_ld_library_path = true\n", true)
	if cfg, err = ParseConfig(p, w.dirs.Home); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"binwrapped", "scripted", "static"} {
		w.expect(name+", exported", w.run(p, cfg, bin, name, nil), map[string]string{"LD_LIBRARY_PATH": w.nixLD})
	}
}
