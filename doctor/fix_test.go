package doctor

// doctor --fix: what it relinks, and what it refuses to touch.

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nixld/nixld/hook"
)

// project is an allowed project in a fresh directory, with a PATH whose
// python3 and python3.X lead to the real interpreter, as a NixOS
// profile's do. No shell has entered it: it has no shims.
type project struct {
	root, dir, bin, python, version string
	d                               hook.Dirs
	p                               *hook.Project
}

func newProject(t *testing.T) *project {
	t.Helper()
	root := t.TempDir()
	pr := &project{root: root, dir: filepath.Join(root, "proj"), bin: filepath.Join(root, "bin"), python: realPython(t)}
	pr.version = filepath.Base(pr.python)
	if _, ok := strings.CutPrefix(pr.version, "python3."); !ok {
		t.Fatalf("interpreter %s", pr.python)
	}
	os.MkdirAll(pr.dir, 0o755)
	os.MkdirAll(pr.bin, 0o755)
	for _, name := range []string{"python3", pr.version} {
		os.Symlink(pr.python, filepath.Join(pr.bin, name))
	}
	pr.d = hook.Dirs{Data: filepath.Join(root, "data"), State: filepath.Join(root, "state"), Home: filepath.Join(root, "home")}
	os.WriteFile(filepath.Join(pr.dir, hook.ConfigName), []byte("libraries = []\n"), 0o644)
	pr.load(t)
	if err := pr.d.Allow(pr.p); err != nil {
		t.Fatal(err)
	}
	store := filepath.Join(root, "store")
	os.MkdirAll(store, 0o755)
	t.Setenv("NIX_STORE_DIR", store)
	return pr
}

func (pr *project) load(t *testing.T) {
	t.Helper()
	p, err := hook.Load(pr.dir)
	if err != nil {
		t.Fatal(err)
	}
	pr.p = p
}

func (pr *project) check(t *testing.T) Check {
	pr.load(t)
	cfg, err := hook.ParseConfig(pr.p, pr.d.Home)
	if err != nil {
		t.Fatal(err)
	}
	return Check{Dirs: pr.d, Env: hook.Env{"PATH": pr.bin + ":/usr/bin:/bin", hook.NixLDVar: pr.root}, Root: pr.dir, Project: pr.p, Config: cfg}
}

// fix runs doctor --fix and returns its lines and the report after.
func (pr *project) fix(t *testing.T) ([]string, *Report) {
	t.Helper()
	c := pr.check(t)
	lines := Fix(c, Run(c), false)
	return lines, Run(pr.check(t))
}

func venvProblems(r *Report) map[string]string {
	m := map[string]string{}
	for _, v := range r.Venvs {
		m[filepath.Base(string(v.Path))] = string(v.Problem)
	}
	return m
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

// snapshot records every entry below dir: type, link target, content.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		fi, _ := os.Lstat(path)
		v := fi.Mode().String()
		if fi.Mode()&fs.ModeSymlink != 0 {
			target, _ := os.Readlink(path)
			v += " -> " + target
		} else if fi.Mode().IsRegular() {
			data, _ := os.ReadFile(path)
			sum := sha256.Sum256(data)
			v += " " + hex.EncodeToString(sum[:])
		}
		m[path] = v
		return nil
	})
	return m
}

// A repository that ships .venv/bin as a link out of the tree, or a
// pyvenv.cfg that is one, gets nothing changed outside: the targets are
// the same byte for byte, and doctor says why it left the venv alone.
func TestFixStaysInside(t *testing.T) {
	pr := newProject(t)
	elsewhere := filepath.Join(pr.root, "elsewhere")
	os.MkdirAll(filepath.Join(elsewhere, "bin"), 0o755)
	data, _ := os.ReadFile(pr.python)
	os.WriteFile(filepath.Join(elsewhere, "bin", pr.version), data, 0o755)
	os.Symlink(pr.version, filepath.Join(elsewhere, "bin", "python3"))
	cfg := fmt.Sprintf("home = %s\nexecutable = %s\nversion = %s.0\n", filepath.Dir(pr.python), pr.python, strings.TrimPrefix(pr.version, "python"))
	os.WriteFile(filepath.Join(elsewhere, "pyvenv.cfg"), []byte(cfg), 0o644)

	binLink := filepath.Join(pr.dir, ".venv")
	os.MkdirAll(binLink, 0o755)
	os.Symlink("../../elsewhere/bin", filepath.Join(binLink, "bin"))
	os.WriteFile(filepath.Join(binLink, "pyvenv.cfg"), []byte(cfg), 0o644)
	cfgLink := filepath.Join(pr.dir, "venv")
	os.MkdirAll(filepath.Join(cfgLink, "bin"), 0o755)
	os.Symlink(pr.python, filepath.Join(cfgLink, "bin", "python3"))
	os.Symlink("../../elsewhere/pyvenv.cfg", filepath.Join(cfgLink, "pyvenv.cfg"))

	before := snapshot(t, elsewhere)
	lines, r := pr.fix(t)
	if after := snapshot(t, elsewhere); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("outside the project changed:\n%v\nwas\n%v", after, before)
	}
	text := strings.Join(lines, "\n")
	for _, want := range []string{
		"cannot fix " + binLink + ": its bin is a link to ../../elsewhere/bin, outside the venv; nothing changed",
		"cannot fix " + cfgLink + ": its pyvenv.cfg is a link to ../../elsewhere/pyvenv.cfg, not the venv's own file; nothing changed",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("fix said\n%s\nwant %q", text, want)
		}
	}
	// doctor and the entry hint say the same of them.
	problems := venvProblems(r)
	if !strings.Contains(problems[".venv"], "'nixld doctor --fix' leaves it alone, as its bin is a link to ../../elsewhere/bin") ||
		!strings.Contains(problems["venv"], "'nixld doctor --fix' leaves it alone, as its pyvenv.cfg is a link") {
		t.Errorf("problems %q", problems)
	}
	bin := pr.d.ShimDir(pr.p)
	for _, v := range []string{binLink, cfgLink} {
		real, _ := filepath.EvalSymlinks(v)
		hint := pr.d.Show(v) + " " + hook.VenvProblem(pr.d, v, bin, hook.VenvUnfixable(pr.d, v, bin, hook.Owns(pr.p.Real, real)))
		if !strings.HasSuffix(hint, problems[filepath.Base(v)]) {
			t.Errorf("hint %q, doctor %q", hint, problems[filepath.Base(v)])
		}
	}
}

// A regular file in a venv's bin that is not provably an interpreter's
// copy is never replaced.
func TestFixKeepsUnknownFiles(t *testing.T) {
	pr := newProject(t)
	venv := filepath.Join(pr.dir, ".venv")
	run(t, pr.python, "-m", "venv", "--without-pip", venv)
	mine := filepath.Join(venv, "bin", "python3")
	os.Remove(mine)
	os.WriteFile(mine, []byte("#!/bin/sh\necho my own script\n"), 0o755)
	before := snapshot(t, mine)
	lines, _ := pr.fix(t)
	if after := snapshot(t, mine); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("%s was replaced", mine)
	}
	want := "not fixed in " + venv + ": bin/python3 is a regular file nixld can't prove is a copy of an interpreter"
	if !strings.Contains(strings.Join(lines, "\n"), want) {
		t.Errorf("fix said\n%s\nwant %q", strings.Join(lines, "\n"), want)
	}
}

// Both kinds of --copies venv end up clean after at most one --fix, and
// a second --fix changes nothing: one made through the shim (copies of
// the shim) is right as it is; one made from the interpreter itself
// (copies of the ELF program) is relinked.
func TestFixCopies(t *testing.T) {
	pr := newProject(t)
	c := pr.check(t)
	if _, _, err := hook.RefreshShims(pr.d, c.Env, pr.dir); err != nil {
		t.Fatal(err)
	}
	shims := pr.d.ShimDir(pr.p)
	run(t, filepath.Join(shims, pr.version), "-m", "venv", "--copies", "--without-pip", filepath.Join(pr.dir, "viashim"))
	run(t, pr.python, "-m", "venv", "--copies", "--without-pip", filepath.Join(pr.dir, "raw"))
	r := Run(pr.check(t))
	problems := venvProblems(r)
	if problems["viashim"] != "" || !strings.Contains(problems["raw"], "runs its own copy of an interpreter (bin/python3)") {
		t.Fatalf("before --fix: %q", problems)
	}
	lines, r := pr.fix(t)
	for _, v := range r.Venvs {
		if !v.OK {
			t.Errorf("after --fix %s: %s\n%s", v.Path, v.Problem, strings.Join(lines, "\n"))
		}
	}
	if !slices.ContainsFunc(lines, func(l string) bool {
		return strings.Contains(l, "bin/"+pr.version+" -> "+filepath.Join(shims, pr.version)+" (was a copy of ")
	}) {
		t.Errorf("fix said\n%s", strings.Join(lines, "\n"))
	}
	if again, _ := pr.fix(t); len(again) != 0 {
		t.Errorf("a second --fix did %q", again)
	}
	// The relinked venv is still a venv.
	out, err := exec.Command(filepath.Join(pr.dir, "raw", "bin", "python"), "-c", "import sys; print(sys.prefix != sys.base_prefix)").Output()
	if err != nil || strings.TrimSpace(string(out)) != "True" {
		t.Errorf("raw venv after --fix: %v %s", err, out)
	}
}

// A project no shell has entered: --fix writes the shims it needs, then
// relinks; a project not allowed gets nothing done.
func TestFixFreshProject(t *testing.T) {
	pr := newProject(t)
	venv := filepath.Join(pr.dir, ".venv")
	run(t, pr.python, "-m", "venv", "--without-pip", venv)
	lines, r := pr.fix(t)
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "nixld: wrote the shims of "+pr.dir+": ") || !r.Venvs[0].OK {
		t.Errorf("fix said\n%s\nthen %+v", strings.Join(lines, "\n"), r.Venvs)
	}

	other := newProject(t)
	run(t, other.python, "-m", "venv", "--without-pip", filepath.Join(other.dir, ".venv"))
	other.d.Deny(other.p)
	lines, r = other.fix(t)
	if len(lines) != 1 || !strings.Contains(lines[0], "nothing fixed: "+other.p.Config()+" is denied") || r.Venvs[0].OK {
		t.Errorf("denied: %q %+v", lines, r.Venvs)
	}
}

// TestFixShimsGone: a venv made through the shims, whose shims were
// removed since (nixld's state deleted), is not well: its python is a
// dangling link. doctor says so, and --fix writes the shims again.
func TestFixShimsGone(t *testing.T) {
	pr := newProject(t)
	if _, err := pr.d.WriteShims(pr.p, pr.check(t).Config, pr.check(t).Env["PATH"]); err != nil {
		t.Fatal(err)
	}
	shim := filepath.Join(pr.d.ShimDir(pr.p), pr.version)
	venv := filepath.Join(pr.dir, ".venv")
	run(t, shim, "-m", "venv", "--without-pip", venv)
	if r := Run(pr.check(t)); !r.Venvs[0].OK {
		t.Fatalf("made through the shims: %+v", r.Venvs)
	}
	if err := os.RemoveAll(pr.d.State); err != nil {
		t.Fatal(err)
	}
	r := Run(pr.check(t))
	if r.Venvs[0].OK || !strings.Contains(string(r.Venvs[0].Problem), "shim, which is gone") {
		t.Fatalf("shims gone: %+v", r.Venvs)
	}
	lines, r := pr.fix(t)
	if !r.Venvs[0].OK || !slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, "nixld: wrote the shims of ") }) {
		t.Errorf("fix said\n%s\nthen %+v", strings.Join(lines, "\n"), r.Venvs)
	}
	if out, err := exec.Command(filepath.Join(venv, "bin", "python"), "-c", "import sys; print(sys.prefix)").Output(); err != nil || strings.TrimSpace(string(out)) != venv {
		t.Errorf("the venv's python after the fix: %q %v", out, err)
	}
}

// TestFixShimDirGone: a shell that entered the project still has its
// shim directory on PATH after the directory was removed (nixld gc, the
// state deleted), and with no venv to notice, python runs unwrapped.
// doctor says so in one line, and --fix writes the shims again; with the
// directory off PATH (no shell entered) it is no problem.
func TestFixShimDirGone(t *testing.T) {
	pr := newProject(t)
	c := pr.check(t)
	if r := Run(c); slices.ContainsFunc(r.Problems, func(p string) bool { return strings.Contains(p, "are gone") }) {
		t.Fatalf("never entered, no shims: %q", r.Problems)
	}
	if _, err := pr.d.WriteShims(pr.p, c.Config, c.Env["PATH"]); err != nil {
		t.Fatal(err)
	}
	bin := pr.d.ShimDir(pr.p)
	if err := os.RemoveAll(pr.d.State); err != nil {
		t.Fatal(err)
	}
	c.Env = maps.Clone(c.Env)
	c.Env["PATH"] = bin + string(os.PathListSeparator) + c.Env["PATH"]
	r := Run(c)
	gone := slices.IndexFunc(r.Problems, func(p string) bool { return strings.Contains(p, "shims of "+pr.dir+" are gone") })
	if r.OK() || gone < 0 || strings.Contains(r.Problems[gone], "\n") {
		t.Fatalf("shim directory gone, on PATH: %q", r.Problems)
	}
	lines := Fix(c, r, false)
	r = Run(c)
	if !r.OK() || !slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, "nixld: wrote the shims of ") }) {
		t.Errorf("fix said\n%s\nthen %q", strings.Join(lines, "\n"), r.Problems)
	}
	if _, err := os.Stat(filepath.Join(bin, pr.version)); err != nil {
		t.Errorf("after the fix: %v", err)
	}
}

func TestAppendPackages(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"gpu = false\n", "gpu = false\npackages = [\"fftw\", \"ocl-icd\"]\n"},
		{"gpu = false", "gpu = false\npackages = [\"fftw\", \"ocl-icd\"]\n"},
		{"packages = []\n", "packages = [\"fftw\", \"ocl-icd\"]\n"},
		{"packages = [\"zlib\"] # mine\n", "packages = [\"zlib\", \"fftw\", \"ocl-icd\"] # mine\n"},
		{"packages = [\n  \"zlib\", # z]\n  'x]',\n]\ngpu = true\n", "packages = [\n  \"zlib\", # z]\n  'x]', \"fftw\", \"ocl-icd\"\n]\ngpu = true\n"},
	} {
		got, err := appendPackages([]byte(tc.in), []string{"fftw", "ocl-icd"})
		if err != nil || string(got) != tc.want {
			t.Errorf("%q: %q %v, want %q", tc.in, got, err, tc.want)
		}
	}
}

// --packages adds what doctor found with confidence, keeps the rest of
// the file, withdraws its trust and says so; a guess is named, not added.
func TestAddPackages(t *testing.T) {
	pr := newProject(t)
	name := pr.p.Config()
	os.WriteFile(name, []byte("# mine\npackages = [\"zlib\"]\n"), 0o600)
	os.Chmod(name, 0o600)
	pr.load(t)
	pr.d.Allow(pr.p)
	r := &Report{Missing: []Missing{
		{Soname: "libfftw3.so.3", Nixpkgs: "fftw", Source: sourceStore},
		{Soname: "libOpenCL.so.1", Nixpkgs: "ocl-icd", Source: sourceStore, Guess: true},
		{Soname: "libz.so.1", Nixpkgs: "zlib", Source: sourceTable},
	}}
	lines := addPackages(pr.check(t), r)
	data, _ := os.ReadFile(name)
	if string(data) != "# mine\npackages = [\"zlib\", \"fftw\"]\n" {
		t.Errorf("%s:\n%s", name, data)
	}
	if fi, _ := os.Stat(name); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode())
	}
	want := []string{
		"nixld: not adding ocl-icd to packages: it is a guess from a store path's name; check it, then add it yourself",
		"nixld: added fftw to packages in " + name + "; the edit withdrew its trust: review it, then run 'nixld allow'",
	}
	if !slices.Equal(lines, want) {
		t.Errorf("said %q", lines)
	}
	pr.load(t)
	if pr.d.TrustOf(pr.p) != hook.Changed {
		t.Errorf("trust %v", pr.d.TrustOf(pr.p))
	}
	// A .nixld.toml that is a link is not edited through.
	target := filepath.Join(pr.root, "target.toml")
	os.Rename(name, target)
	os.Symlink(target, name)
	pr.load(t)
	before := snapshot(t, target)
	lines = addPackages(pr.check(t), &Report{Missing: []Missing{{Soname: "libx.so.1", Nixpkgs: "x", Source: sourceTable}}})
	if after := snapshot(t, target); fmt.Sprint(after) != fmt.Sprint(before) || len(lines) != 1 || !strings.Contains(lines[0], "not editing") {
		t.Errorf("through a link: %q", lines)
	}
}

// TestLibrariesNotNixLD: inside a project, whose directories the shell's
// nix-ld variable holds too, doctor tells nix-ld's own directories from
// the project's, and says which of the project's do not exist, from
// inside it or not.
func TestLibrariesNotNixLD(t *testing.T) {
	pr := newProject(t)
	os.WriteFile(filepath.Join(pr.dir, hook.ConfigName), []byte("libraries = [\"vendor/lib\"]\n"), 0o644)
	pr.load(t)
	if err := pr.d.Allow(pr.p); err != nil {
		t.Fatal(err)
	}
	outside := pr.check(t)
	r := hook.Export(pr.d, nil, outside.Env, pr.dir)
	inside := outside
	inside.Env = outside.Env.Apply(r.Ops)
	vendor := filepath.Join(pr.dir, "vendor", "lib")
	if !strings.Contains(inside.Env[hook.NixLDVar], vendor) {
		t.Fatalf("entering gave %s=%q", hook.NixLDVar, inside.Env[hook.NixLDVar])
	}
	for what, c := range map[string]Check{"outside": outside, "inside": inside} {
		rep := Run(c)
		for _, d := range rep.Environment.NixLD {
			if string(d.Path) == vendor {
				t.Errorf("%s: doctor calls %s nix-ld's", what, vendor)
			}
		}
		if !slices.ContainsFunc(rep.Problems, func(p string) bool {
			return strings.Contains(p, "names the library directory "+vendor+", which does not exist")
		}) {
			t.Errorf("%s: problems %q", what, rep.Problems)
		}
	}
}
