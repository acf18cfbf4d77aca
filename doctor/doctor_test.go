package doctor

// The library check on real venvs and objects built with gcc.

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nixld/nixld/hook"
)

// fixture is a project with a real venv whose one extension module needs
// stub libraries built with their real sonames, a library the wheel
// bundles (found through $ORIGIN), and one only nix-ld's directory has.
type fixture struct {
	root, proj, venv, ext, stubs, nixLD string
}

func cc(t testing.TB, args ...string) {
	t.Helper()
	if err := ccErr(args...); err != nil {
		t.Fatal(err)
	}
}

func ccErr(args ...string) error {
	if out, err := exec.Command("cc", args...).CombinedOutput(); err != nil {
		return fmt.Errorf("cc %v: %v\n%s", args, err, out)
	}
	return nil
}

// realPython is python3's ELF interpreter, as the fixture's venv has it.
func realPython(t testing.TB) string {
	t.Helper()
	out, err := exec.Command("python3", "-c", "import os, sys; print(os.path.realpath(sys.executable))").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	root := t.TempDir()
	f := &fixture{root: root, proj: filepath.Join(root, "proj"), stubs: filepath.Join(root, "stubs"), nixLD: filepath.Join(root, "nix-ld")}
	f.venv = filepath.Join(f.proj, ".venv")
	for _, d := range []string{f.proj, f.stubs, f.nixLD} {
		os.MkdirAll(d, 0o755)
	}
	if out, err := exec.Command("python3", "-m", "venv", "--without-pip", f.venv).CombinedOutput(); err != nil {
		t.Fatalf("venv: %v\n%s", err, out)
	}
	site, _ := filepath.Glob(filepath.Join(f.venv, "lib", "python3*", "site-packages"))
	if len(site) != 1 {
		t.Fatalf("site-packages: %v", site)
	}
	src := filepath.Join(root, "stub.c")
	os.WriteFile(src, []byte("int stub(void) { return 1; }\n"), 0o644)
	stub := func(dir, soname string) {
		cc(t, "-shared", "-fPIC", "-o", filepath.Join(dir, soname), "-Wl,-soname,"+soname, src)
	}
	for _, soname := range []string{"libportaudio.so.2", "libQt6Core.so.6", "libcuda.so.1", "libmystery.so.7"} {
		stub(f.stubs, soname)
	}
	stub(f.nixLD, "libnixldonly.so.1")
	// auditwheel's layout: pkg.libs/ beside pkg/, found through RUNPATH
	// $ORIGIN/../pkg.libs; the bundled library itself needs zlib.
	libs := filepath.Join(site[0], "pkg.libs")
	os.MkdirAll(libs, 0o755)
	cc(t, "-shared", "-fPIC", "-o", filepath.Join(libs, "libbundled-1a2b3c.so.1"), "-Wl,-soname,libbundled-1a2b3c.so.1", src, "-lz")
	os.MkdirAll(filepath.Join(site[0], "pkg"), 0o755)
	f.ext = filepath.Join(site[0], "pkg", "_ext.cpython-3x-x86_64-linux-gnu.so")
	cc(t, "-shared", "-fPIC", "-o", f.ext, src, "-Wl,--no-as-needed", "-Wl,--enable-new-dtags", "-Wl,-rpath,$ORIGIN/../pkg.libs",
		"-L"+f.stubs, "-L"+f.nixLD, "-L"+libs,
		"-l:libportaudio.so.2", "-l:libQt6Core.so.6", "-l:libcuda.so.1", "-l:libmystery.so.7", "-l:libnixldonly.so.1", "-l:libbundled-1a2b3c.so.1", "-lm", "-lstdc++")
	// Gone from the system, as on NixOS.
	os.RemoveAll(f.stubs)
	return f
}

func (f *fixture) dirs() hook.Dirs {
	return hook.Dirs{Data: filepath.Join(f.root, "data"), State: filepath.Join(f.root, "state"), Home: f.root}
}

// project makes f.proj a project with the default config (not allowed).
func (f *fixture) project(t testing.TB) *hook.Project {
	t.Helper()
	if _, err := os.Stat(filepath.Join(f.proj, hook.ConfigName)); err != nil {
		os.WriteFile(filepath.Join(f.proj, hook.ConfigName), []byte("libraries = []\n"), 0o644)
	}
	p, err := hook.Load(f.proj)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// check is the project with an empty store and no nix-locate, so that
// only nixld's table names packages, and Debian's Python on PATH.
func (f *fixture) check(t testing.TB) Check {
	t.Helper()
	store := filepath.Join(f.root, "store")
	os.MkdirAll(store, 0o755)
	t.Setenv("NIX_STORE_DIR", store)
	return Check{Dirs: f.dirs(), Env: hook.Env{hook.NixLDVar: f.nixLD, "PATH": "/usr/bin:/bin"}, Root: f.proj, Project: f.project(t)}
}

// allowedCheck is check with the project allowed.
func (f *fixture) allowedCheck(t testing.TB) Check {
	t.Helper()
	c := f.check(t)
	if err := f.dirs().Allow(c.Project); err != nil {
		t.Fatal(err)
	}
	return c
}

func (f *fixture) run(t testing.TB) *Report {
	t.Helper()
	return Run(f.check(t))
}

func TestMissingLibraries(t *testing.T) {
	f := newFixture(t)
	r := f.run(t)
	got := map[string]string{}
	for _, m := range r.Missing {
		got[string(m.Soname)] = string(m.Nixpkgs)
		if len(m.NeededBy) != 1 || string(m.NeededBy[0]) != f.ext {
			t.Errorf("%s needed by %v, want %s", m.Soname, m.NeededBy, f.ext)
		}
		if m.Hint == "" || strings.Contains(m.Hint, "\n") {
			t.Errorf("%s: hint %q", m.Soname, m.Hint)
		}
	}
	// Not missing: glibc's, libstdc++ and zlib (the system's, for Debian's
	// loader), the bundled library (RUNPATH), and nix-ld's.
	want := map[string]string{"libQt6Core.so.6": "qt6.qtbase", "libcuda.so.1": "", "libmystery.so.7": "", "libportaudio.so.2": "portaudio"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("missing %v, want %v", got, want)
	}
	if r.Fix.Project != `packages = ["qt6.qtbase", "portaudio"]` || r.Fix.System != "programs.nix-ld.libraries = with pkgs; [ qt6.qtbase portaudio ];" ||
		!slices.Equal(r.Fix.Packages, []string{"qt6.qtbase", "portaudio"}) {
		t.Errorf("fix %+v", r.Fix)
	}
	for _, m := range r.Missing {
		if m.Soname == "libcuda.so.1" && !strings.Contains(m.Hint, "gpu = true") {
			t.Errorf("libcuda hint %q", m.Hint)
		}
	}
	if len(r.Venvs) != 1 || string(r.Venvs[0].Path) != f.venv || r.Venvs[0].Python == "" || r.Scanned != 2 {
		t.Errorf("venvs %+v, scanned %d", r.Venvs, r.Scanned)
	}
	var decoded map[string]any
	if err := json.Unmarshal([]byte(r.JSON()), &decoded); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"schema", "root", "missing", "venvs", "environment", "fix", "problems", "notes", "skipped", "project", "trust", "scanned"} {
		if _, ok := decoded[key]; !ok {
			t.Errorf("JSON lacks %q", key)
		}
	}
	if decoded["schema"] != float64(Schema) {
		t.Errorf("schema %v", decoded["schema"])
	}
}

// With the library path the shims would give it, nothing is missing.
func TestLibrariesFound(t *testing.T) {
	f := newFixture(t)
	stubs := filepath.Join(f.root, "restored")
	os.MkdirAll(stubs, 0o755)
	src := filepath.Join(f.root, "stub.c")
	for _, soname := range []string{"libportaudio.so.2", "libQt6Core.so.6", "libcuda.so.1", "libmystery.so.7"} {
		cc(t, "-shared", "-fPIC", "-o", filepath.Join(stubs, soname), "-Wl,-soname,"+soname, src)
	}
	r := Run(Check{Dirs: f.dirs(), Env: hook.Env{hook.NixLDVar: f.nixLD + ":" + stubs}, Root: f.proj, Project: f.project(t)})
	if len(r.Missing) != 0 {
		t.Errorf("missing %+v", r.Missing)
	}
}

func TestSonameTable(t *testing.T) {
	n := 0
	for _, e := range sonames {
		if !strings.Contains(e.pattern, "*") {
			n++
		}
		if e.attr == "" || strings.ContainsAny(e.attr, " \t") {
			t.Errorf("%s: attribute %q", e.pattern, e.attr)
		}
	}
	if n < 150 {
		t.Errorf("%d exact sonames; the table should cover well over 100", n)
	}
	for soname, want := range map[string]string{
		"libstdc++.so.6": "stdenv.cc.cc.lib", "libz.so.1": "zlib", "libX11.so.6": "xorg.libX11",
		"libxcb-shm.so.0": "xorg.libxcb", "libicuuc.so.74": "icu", "libcuda.so.1": attrGPU, "libc.so.6": attrGlibc,
		"libnothing.so.1": "",
		// Version families.
		"libproj.so.25": "proj", "libssl.so.3": "openssl", "libssl.so.1.1": "openssl_1_1", "libssl.so.1.0.0": "openssl",
		"libboost_python311.so.1.83.0": "boost", "libfftw3f.so.3": "fftwFloat", "libOpenCL.so.1": "ocl-icd",
		"libnvidia-ptxjitcompiler.so.1": attrGPU, "libcudnn_ops.so.9": "cudaPackages.cudnn",
	} {
		if got := attrFor(soname); got != want {
			t.Errorf("%s: %q, want %q", soname, got, want)
		}
	}
	// Every manylinux2014 allow-list library is in the table.
	for _, soname := range []string{"libgcc_s.so.1", "libstdc++.so.6", "libm.so.6", "libdl.so.2", "librt.so.1", "libc.so.6",
		"libnsl.so.1", "libutil.so.1", "libpthread.so.0", "libresolv.so.2", "libX11.so.6", "libXext.so.6", "libXrender.so.1",
		"libICE.so.6", "libSM.so.6", "libGL.so.1", "libgobject-2.0.so.0", "libgthread-2.0.so.0", "libglib-2.0.so.0", "libz.so.1", "libexpat.so.1"} {
		if attrFor(soname) == "" {
			t.Errorf("manylinux2014 %s is not in the table", soname)
		}
	}
}

// The venvs of a project's tree: hidden ones and those reached through
// a symlink, not those in node_modules, .git, a venv's packages, or a
// nested project, whose tree is its own.
func TestWalkProject(t *testing.T) {
	root := t.TempDir()
	proj := filepath.Join(root, "proj")
	for _, d := range []string{".venv", ".tox/py311", "sub/env", "node_modules/x/venv", ".git/venv", ".venv/lib/python3.11/site-packages/inner",
		"inner/.venv", "inner/deeper/env", "../elsewhere", "realvenv"} {
		os.MkdirAll(filepath.Join(proj, d), 0o755)
		os.WriteFile(filepath.Join(proj, d, "pyvenv.cfg"), nil, 0o644)
	}
	os.WriteFile(filepath.Join(proj, hook.ConfigName), nil, 0o644)
	os.WriteFile(filepath.Join(proj, "inner", hook.ConfigName), nil, 0o644)
	os.Symlink("../elsewhere", filepath.Join(proj, "outvenv"))
	os.Symlink("realvenv", filepath.Join(proj, "linkvenv"))
	os.Symlink("inner/.venv", filepath.Join(proj, "innerlink"))
	os.WriteFile(filepath.Join(proj, "sub", "pyproject.toml"), nil, 0o644)
	os.WriteFile(filepath.Join(proj, "inner", "pyproject.toml"), nil, 0o644)
	p, err := hook.Load(proj)
	if err != nil {
		t.Fatal(err)
	}
	tr := walkProject(p)
	var got []string
	for _, v := range tr.venvs {
		rel, _ := filepath.Rel(proj, v.path)
		got = append(got, fmt.Sprintf("%s owned=%v", rel, v.owned))
	}
	slices.Sort(got)
	want := []string{".tox/py311 owned=true", ".venv owned=true", "innerlink owned=false", "outvenv owned=false", "realvenv owned=true", "sub/env owned=true"}
	if !slices.Equal(got, want) {
		t.Errorf("venvs\n%v, want\n%v", got, want)
	}
	if !slices.Equal(tr.poetry, []string{filepath.Join(proj, "sub")}) {
		t.Errorf("poetry projects %v", tr.poetry)
	}
}

// BenchmarkScan is doctor over a venv of 2,000 shared objects (each
// needing the fixture's libraries, four of them missing): the walk, the
// ELF reads, the loader's lookups and the package names.
func BenchmarkScan(b *testing.B) {
	f := newFixture(b)
	data, err := os.ReadFile(f.ext)
	if err != nil {
		b.Fatal(err)
	}
	for i := range 2000 {
		dir := filepath.Join(filepath.Dir(filepath.Dir(f.ext)), fmt.Sprintf("m%d", i/100)) // beside pkg, for its RUNPATH
		os.MkdirAll(dir, 0o755)
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("_m%d.so", i)), data, 0o755)
	}
	c := f.check(b)
	b.ResetTimer()
	for range b.N {
		if r := Run(c); r.Scanned < 2000 || len(r.Missing) != 4 {
			b.Fatalf("scanned %d, missing %d", r.Scanned, len(r.Missing))
		}
	}
}
