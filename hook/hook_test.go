package hook

// Entering, leaving, trust, config and shims, on fixture projects.

import (
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nixld/nixld/shells"
)

type fixture struct {
	t    *testing.T
	root string
	dirs Dirs
	bin  string // holds fake python, python3, python3.9, python3.12
}

func newFixture(t *testing.T) *fixture {
	root := t.TempDir()
	f := &fixture{t: t, root: root, bin: filepath.Join(root, "sys", "bin")}
	f.dirs = Dirs{Data: filepath.Join(root, "data", "nixld"), State: filepath.Join(root, "state", "nixld"), Home: filepath.Join(root, "home")}
	for _, name := range []string{"python", "python3", "python3.12", "python3.9", "python3.12-config"} {
		f.write(filepath.Join(f.bin, name), "#!/bin/sh\n", 0o755)
	}
	return f
}

func (f *fixture) write(name, content string, perm os.FileMode) {
	f.t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(content), perm); err != nil {
		f.t.Fatal(err)
	}
}

// project creates dir/.nixld.toml and, if allow, allows it.
func (f *fixture) project(dir, config string, allow bool) *Project {
	f.t.Helper()
	dir = filepath.Join(f.root, dir)
	f.write(filepath.Join(dir, ConfigName), config, 0o644)
	p, err := Load(dir)
	if err != nil {
		f.t.Fatal(err)
	}
	if allow {
		if err := f.dirs.Allow(p); err != nil {
			f.t.Fatal(err)
		}
	}
	return p
}

// step runs Export in dir and applies its ops to env, as the shell would.
func (f *fixture) step(env Env, dir string) (Env, Result) {
	f.t.Helper()
	r := Export(f.dirs, nil, env, filepath.Join(f.root, dir))
	for _, m := range r.Messages {
		if strings.Contains(m, "\n") || !strings.HasPrefix(m, "nixld: ") {
			f.t.Errorf("message is not one nixld line: %q", m)
		}
	}
	return env.Apply(r.Ops), r
}

// Entering puts the project's library directories where its mode says,
// once; leaving restores every variable byte for byte, unset staying unset.
func TestEnterLeaveRestoresExactly(t *testing.T) {
	unset := "\x00unset"
	modes := []struct {
		name, config string
		libVar, want string // the variable that gets the entry want; "" where none changes
	}{
		{"no libraries", "", "", ""},
		{"libraries", `libraries = ["/extra"]` + "\n", NixLDVar, "/extra"},
		{"exported", "export_ld_library_path = true\n", LDVar, "/nix-ld"},
	}
	for _, mode := range modes {
		for _, tc := range []struct{ name, path, ld, nixLD string }{
			{"both set", "/usr/bin:/bin", "/opt/lib", "/nix-ld"},
			{"ld unset", "/usr/bin:/bin", unset, "/nix-ld"},
			{"ld empty", "/usr/bin:/bin", "", "/nix-ld"},
			{"ld already has nix-ld", "/usr/bin", "/nix-ld:/opt/lib", "/nix-ld"},
			{"empty path entries", ":/usr/bin::", "/a::/b:", "/nix-ld"},
			{"path unset", unset, unset, "/nix-ld"},
			{"path empty", "", unset, "/nix-ld"},
			{"nix-ld unset", "/usr/bin", unset, unset},
			{"nix-ld empty", "/usr/bin", "/opt/lib", ""},
		} {
			t.Run(mode.name+"/"+tc.name, func(t *testing.T) {
				f := newFixture(t)
				f.project("proj", mode.config, true)
				start := Env{"HOME": "/h"}
				for k, v := range map[string]string{"PATH": tc.path, LDVar: tc.ld, NixLDVar: tc.nixLD} {
					if v != unset {
						start[k] = v
					}
				}
				if p, ok := start["PATH"]; ok {
					start["PATH"] = f.bin + ":" + p
				}
				in, r := f.step(start, "proj/sub")
				if len(r.Ops) == 0 || !strings.HasPrefix(in["PATH"], f.dirs.State) {
					t.Fatalf("not entered: %v %v", r.Ops, r.Messages)
				}
				want := mode.want
				if want == "/nix-ld" && tc.nixLD != "/nix-ld" {
					want = DefaultNixLD
				}
				for _, name := range []string{LDVar, NixLDVar} {
					v, ok := in[name]
					if name != mode.libVar {
						if w, wok := start[name]; v != w || ok != wok {
							t.Errorf("%s changed from %q to %q", name, w, v)
						}
						continue
					}
					if n := strings.Count(":"+v+":", ":"+want+":"); n != 1 {
						t.Errorf("%s %q holds %s %d times", name, v, want, n)
					}
				}
				if mode.libVar == NixLDVar && tc.nixLD != "/nix-ld" && !strings.HasPrefix(in[NixLDVar], DefaultNixLD+":") {
					t.Errorf("%s %q lost nix-ld's default", NixLDVar, in[NixLDVar])
				}
				again, r := f.step(in, "proj")
				if len(r.Ops) != 0 || len(r.Messages) != 0 {
					t.Errorf("cd within the project changed something: %v %v", r.Ops, r.Messages)
				}
				out, _ := f.step(again, "elsewhere")
				if !maps.Equal(out, start) {
					t.Errorf("leaving did not restore:\n got %q\nwant %q", out, start)
				}
			})
		}
	}
}

func TestLeaveKeepsUserChanges(t *testing.T) {
	f := newFixture(t)
	f.project("proj", "export_ld_library_path = true\n", true)
	start := Env{"PATH": f.bin + ":/usr/bin", LDVar: "/opt/lib", NixLDVar: "/nix-ld"}
	in, _ := f.step(start, "proj")
	in["PATH"] = "/venv/bin:" + in["PATH"]
	in[LDVar] = in[LDVar] + ":/mine"
	out, r := f.step(in, "")
	if want := "/venv/bin:" + start["PATH"]; out["PATH"] != want {
		t.Errorf("PATH %q, want %q", out["PATH"], want)
	}
	if want := "/opt/lib:/mine"; out[LDVar] != want {
		t.Errorf("LD_LIBRARY_PATH %q, want %q", out[LDVar], want)
	}
	if _, ok := out[StateVar]; ok {
		t.Errorf("state left behind")
	}
	if len(r.Messages) != 1 || !strings.Contains(r.Messages[0], "left") {
		t.Errorf("messages %q", r.Messages)
	}
}

func TestSwitchProjects(t *testing.T) {
	f := newFixture(t)
	a := f.project("a", `libraries = ["lib"]`+"\n", true)
	b := f.project("b", `libraries = ["lib"]`+"\n", true)
	start := Env{"PATH": f.bin, NixLDVar: "/nix-ld"}
	inA, _ := f.step(start, "a")
	inB, r := f.step(inA, "b")
	if strings.Contains(inB["PATH"], f.dirs.ShimDir(a)) || !strings.HasPrefix(inB["PATH"], f.dirs.ShimDir(b)+":") {
		t.Errorf("PATH %q", inB["PATH"])
	}
	if want := "/nix-ld:" + filepath.Join(b.Real, "lib"); inB[NixLDVar] != want {
		t.Errorf("%s %q, want %q", NixLDVar, inB[NixLDVar], want)
	}
	if len(r.Messages) != 2 || !strings.Contains(r.Messages[0], "left") || !strings.Contains(r.Messages[1], "entered") {
		t.Errorf("messages %q, want left then entered", r.Messages)
	}
	out, _ := f.step(inB, "")
	if !maps.Equal(out, start) {
		t.Errorf("got %q want %q", out, start)
	}
}

func TestTrust(t *testing.T) {
	f := newFixture(t)
	p := f.project("proj", "", false)
	start := Env{"PATH": f.bin}

	env, r := f.step(start, "proj")
	if len(r.Messages) != 1 || !strings.Contains(r.Messages[0], "is not allowed") || env["PATH"] != f.bin {
		t.Fatalf("unallowed: %q %q", r.Messages, env["PATH"])
	}
	env, r = f.step(env, "proj/sub")
	if len(r.Messages) != 0 {
		t.Errorf("hint repeated: %q", r.Messages)
	}
	if err := f.dirs.Allow(p); err != nil {
		t.Fatal(err)
	}
	env, r = f.step(env, "proj")
	if !strings.HasPrefix(env["PATH"], f.dirs.ShimDir(p)) {
		t.Fatalf("allowed but not entered: %q", r.Messages)
	}
	// An edit withdraws trust: the project is left with a hint.
	f.write(p.Config(), "wrap = [\"python3\"]\n", 0o644)
	env, r = f.step(env, "proj/sub")
	if env["PATH"] != f.bin || len(r.Messages) != 2 || !strings.Contains(r.Messages[1], "changed since it was allowed") {
		t.Errorf("edited: %q %q", env["PATH"], r.Messages)
	}
	p, _ = Load(p.Dir)
	if err := f.dirs.Deny(p); err != nil {
		t.Fatal(err)
	}
	if f.dirs.TrustOf(p) != Denied {
		t.Fatal("not denied")
	}
	env, r = f.step(env, "")
	env, r = f.step(env, "proj")
	if len(r.Messages) != 0 || env["PATH"] != f.bin {
		t.Errorf("denied project: %q", r.Messages)
	}
	if err := f.dirs.Allow(p); err != nil || f.dirs.TrustOf(p) != Allowed {
		t.Fatalf("allow after deny: %v", err)
	}
}

func TestInvalidAllowedConfigHints(t *testing.T) {
	f := newFixture(t)
	f.project("proj", "wrap = [\"a/b\"]\n", true)
	env, r := f.step(Env{"PATH": f.bin}, "proj")
	if env["PATH"] != f.bin || len(r.Messages) != 1 || !strings.Contains(r.Messages[0], "no slashes") {
		t.Errorf("%q %q", env["PATH"], r.Messages)
	}
}

func TestMalformedState(t *testing.T) {
	f := newFixture(t)
	env, r := f.step(Env{"PATH": f.bin, StateVar: "garbage"}, "")
	if _, ok := env[StateVar]; ok || len(r.Messages) != 1 {
		t.Errorf("%q %q", env, r.Messages)
	}
}

// A misspelt key gets the known key it most likely meant, and only one
// close enough: no guess for a short or a distant one.
func TestNearestKey(t *testing.T) {
	for key, want := range map[string]string{
		"wrpa": "wrap", "wrapp": "wrap", "warp": "wrap", "librares": "libraries",
		"libraris": "libraries", "gpus": "gpu", "package": "packages",
		"nixpkg": "nixpkgs", "export_ld_librarypath": "export_ld_library_path",
		"gp": "gpu", "pkgs": "", "x": "", "ab": "", "python": "", "": "",
	} {
		if got := nearestKey(key); got != want {
			t.Errorf("nearestKey(%q) = %q, want %q", key, got, want)
		}
	}
}

func TestParseConfig(t *testing.T) {
	f := newFixture(t)
	for config, want := range map[string]string{
		"wrap = [\"python3\", \"uv\"]\nlibraries = [\"lib\", \"~/x\", \"/abs\"]\n": "",
		"wrapp = []\n":                 `unknown key "wrapp" (known keys: wrap, libraries, gpu, packages, nixpkgs, export_ld_library_path); did you mean "wrap"?`,
		"wrpa = []\n":                  `; did you mean "wrap"?`,
		"librares = []\n":              `; did you mean "libraries"?`,
		"wrap = \"python3\"\n":         `line 1: wrap must be a list of program names, like wrap = ["python3"]; found a string, "python3"`,
		"wrap = [\"\"]\n":              "not a program name",
		"wrap = [\"..\"]\n":            "not a program name",
		"wrap = [\"a\\nb\"]\n":         "control, bidi or invisible character",
		"wrap = [\"py\u202ethon\"]\n":  "control, bidi or invisible character",
		"libraries = [\"a\u200bb\"]\n": "control, bidi or invisible character",
		"libraries = [\"/a:/b\"]\n":    "contains ':'",
		"libraries = [\"\"]\n":         "empty entry",
		"wrap = [\n":                   "line 1: not valid TOML: ",
		"[section]\nwrap = []\n":       `unknown key "section"`,
		// Keys are case-sensitive, as TOML's are: BurntSushi/toml alone
		// would decode these into the fields.
		"Wrap = [\"python3\"]\n":                  `unknown key "Wrap" (known keys: wrap, libraries, gpu, packages, nixpkgs, export_ld_library_path); keys are lower case: did you mean "wrap"?`,
		"GPU = true\n":                            `unknown key "GPU"`,
		"Libraries = [\"x\"]\n":                   `unknown key "Libraries"`,
		"Export_LD_Library_Path = true\n":         `did you mean "export_ld_library_path"?`,
		"wrap = [\"python3\"]\nWrap = [\"uv\"]\n": `unknown key "Wrap"`,
		"gpu = true\nWrap = \"python3\"\n":        `unknown key "Wrap"`,
		"x.y = 1\n":                               `unknown key "x" (known keys: `,
		"libraries = [\"a\", \"a\"]\n":            "",
		// Wrong types: the key, its line, what was found, what is expected.
		"# c\n\ngpu = \"yes\"\n":            `line 3: gpu must be true or false, like gpu = true; found a string, "yes"`,
		"wrap = [\"python3\", 3]\n":         `line 1: wrap must be a list of program names in quotes, like wrap = ["python3"]; found a number, 3 in it`,
		"libraries = \"vendor/lib\"\n":      `line 1: libraries must be a list of directories, like libraries = ["vendor/lib"]; found a string, "vendor/lib"`,
		"\npackages = true\n":               `line 2: packages must be a list of nixpkgs attributes, like packages = ["portaudio"]; found true, a boolean`,
		"nixpkgs = [\"./nix\"]\n":           `line 1: nixpkgs must be a path or a flake reference in quotes, like nixpkgs = "github:NixOS/nixpkgs/nixos-25.05"; found a list`,
		"[wrap]\nx = 1\n":                   `line 1: wrap must be a list of program names, like wrap = ["python3"]; found a table`,
		"gpu = 1.5\n":                       "found a number, 1.5",
		"gpu = 2024-01-01\n":                "found a date",
		"wrap = [\"python3\"]\nwrap = []\n": "line 2: not valid TOML: ",
		"\n\nwrap = [\"a/b\"]\n":            `line 3: wrap: "a/b" is not a program name (no slashes; it is looked up on PATH)`,
		// Variables are not expanded; ~user is, where the user exists.
		"libraries = [\"$HOME/lib\"]\n":         `libraries: "$HOME/lib": nixld does not expand variables; write ~/lib`,
		"libraries = [\"${HOME}\"]\n":           `libraries: "${HOME}": nixld does not expand variables; write ~`,
		"libraries = [\"$LIBDIR\"]\n":           `libraries: "$LIBDIR": nixld does not expand variables; write the directory itself`,
		"libraries = [\"~nosuchuser9/x\"]\n":    `libraries: "~nosuchuser9/x": there is no user "nosuchuser9" whose home it could be in`,
		"libraries = [\"~root/lib\", \"a$\"]\n": "",
	} {
		p := f.project("p", config, false)
		cfg, err := ParseConfig(p, f.dirs.Home)
		switch {
		case want == "" && err != nil:
			t.Errorf("%q: %v", config, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%q: got %v, want %q", config, err, want)
		case err != nil && strings.Contains(err.Error(), "\n"):
			t.Errorf("%q: error spans lines: %q", config, err)
		}
		if strings.HasPrefix(config, "libraries = [\"~root") {
			if want := []string{"/root/lib", filepath.Join(p.Real, "a$")}; !slices.Equal(cfg.Libraries, want) {
				t.Errorf("libraries %q, want %q", cfg.Libraries, want)
			}
		}
		if strings.HasPrefix(config, "wrap = [\"python3\", \"uv\"") {
			wantLibs := []string{filepath.Join(p.Real, "lib"), filepath.Join(f.dirs.Home, "x"), "/abs"}
			if strings.Join(cfg.Libraries, " ") != strings.Join(wantLibs, " ") {
				t.Errorf("libraries %q, want %q", cfg.Libraries, wantLibs)
			}
		}
	}
}

func TestShims(t *testing.T) {
	f := newFixture(t)
	p := f.project("proj", "", true)
	set, err := f.dirs.WriteShims(p, DefaultConfig, f.bin)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(set.Names(), " "); got != "python python3 python3.9 python3.12" {
		t.Errorf("default wrap %q", got)
	}
	for _, s := range set.Shims {
		if s.Target != filepath.Join(f.bin, s.Name) {
			t.Errorf("%s -> %s", s.Name, s.Target)
		}
		data, _ := os.ReadFile(filepath.Join(set.Bin, s.Name))
		if !strings.Contains(string(data), `exec -a "$0"`) {
			t.Errorf("%s lacks exec -a", s.Name)
		}
	}
	// A venv first on PATH whose python links to the shim must not make
	// the shim run itself.
	venv := filepath.Join(f.root, "proj", ".venv")
	f.write(filepath.Join(venv, "pyvenv.cfg"), "home = x\n", 0o644)
	os.MkdirAll(filepath.Join(venv, "bin"), 0o755)
	os.Symlink(filepath.Join(set.Bin, "python3"), filepath.Join(venv, "bin", "python3"))
	f.write(filepath.Join(venv, "bin", "python3.9"), "#!/bin/sh\n", 0o755)
	cfg := &Config{Wrap: []string{"python3", "python3.9", "uv"}}
	set, err = f.dirs.WriteShims(p, cfg, filepath.Join(venv, "bin")+":"+set.Bin+":"+f.bin)
	if err != nil {
		t.Fatal(err)
	}
	if set.Shims[0].Target != filepath.Join(f.bin, "python3") {
		t.Errorf("python3 shim targets %s", set.Shims[0].Target)
	}
	// A venv's own interpreter is run under its own name, or its venv is lost.
	data, _ := os.ReadFile(filepath.Join(set.Bin, "python3.9"))
	if set.Shims[1].Target != filepath.Join(venv, "bin", "python3.9") || strings.Contains(string(data), `"$0"`) {
		t.Errorf("venv python: %s\n%s", set.Shims[1].Target, data)
	}
	if strings.Join(set.Missing, " ") != "uv" {
		t.Errorf("missing %q", set.Missing)
	}
	// Interpreter shims a venv may link to stay; others no longer wrapped go.
	f.write(filepath.Join(set.Bin, "tool"), "#!/bin/sh\n", 0o755)
	set, _ = f.dirs.WriteShims(p, &Config{Wrap: []string{"python3"}}, f.bin)
	entries, _ := os.ReadDir(set.Bin)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "python python3 python3.12 python3.9" {
		t.Errorf("shims left: %v", names)
	}
}

func TestShimDirWithColon(t *testing.T) {
	f := newFixture(t)
	f.dirs.State = filepath.Join(f.root, "a:b")
	f.project("proj", "", true)
	env, r := f.step(Env{"PATH": f.bin}, "proj")
	if env["PATH"] != f.bin || len(r.Messages) != 1 || !strings.Contains(r.Messages[0], "contains ':'") {
		t.Errorf("%q %q", env["PATH"], r.Messages)
	}
}

func TestDirsFrom(t *testing.T) {
	d, err := DirsFrom(Env{"HOME": "/h", "XDG_STATE_HOME": "relative"})
	if err != nil || d.State != "/h/.local/state/nixld" || d.Data != "/h/.local/share/nixld" {
		t.Errorf("%+v %v", d, err)
	}
	if _, err := DirsFrom(Env{}); err == nil {
		t.Error("no HOME, no XDG: want an error")
	}
	d, err = DirsFrom(Env{"XDG_STATE_HOME": "/s", "XDG_DATA_HOME": "/d"})
	if err != nil || d.State != "/s/nixld" || d.Data != "/d/nixld" {
		t.Errorf("%+v %v", d, err)
	}
}

func TestExecEnv(t *testing.T) {
	f := newFixture(t)
	p := f.project("proj", "", false)
	if _, _, err := ExecEnv(f.dirs, Env{"PATH": f.bin}, p.Dir); err == nil || !strings.Contains(err.Error(), "not allowed") {
		t.Errorf("unallowed: %v", err)
	}
	f.dirs.Allow(p)
	env, _, err := ExecEnv(f.dirs, Env{"PATH": f.bin, NixLDVar: "/n"}, filepath.Join(p.Dir))
	if _, ld := env[LDVar]; err != nil || !strings.HasPrefix(env["PATH"], f.dirs.ShimDir(p)+":") || ld || env[NixLDVar] != "/n" {
		t.Errorf("%q %v", env, err)
	}
	if _, _, err := ExecEnv(f.dirs, Env{}, f.root); err == nil || !strings.Contains(err.Error(), "no .nixld.toml") {
		t.Errorf("no project: %v", err)
	}
}

func TestExportOpsQuoteForEveryShell(t *testing.T) {
	f := newFixture(t)
	f.project("it's \"$x\"\nnew", "", true)
	// step checks that every message stays on one line.
	_, r := f.step(Env{"PATH": f.bin}, "it's \"$x\"\nnew")
	if len(r.Ops) == 0 {
		t.Fatalf("not entered: %q", r.Messages)
	}
	for _, name := range []string{"bash", "zsh"} {
		sh, _ := shells.Get(name)
		if _, err := shells.Export(sh, r.Ops); err != nil {
			t.Error(err)
		}
	}
}

// TestShimScript runs real shims: they append $NIX_LD_LIBRARY_PATH (or the
// NixOS default) and the config's libraries without duplicates, pass the
// arguments through, and say in one line when their target is gone.
func TestShimScript(t *testing.T) {
	f := newFixture(t)
	f.write(filepath.Join(f.bin, "python3"), "#!/bin/sh\nprintf '%s\\n' \"$LD_LIBRARY_PATH\" \"$@\"\n", 0o755)
	p := f.project("proj", "wrap = [\"python3\"]\nlibraries = [\"my libs\", \"/n\"]\n", true)
	cfg, err := ParseConfig(p, f.dirs.Home)
	if err != nil {
		t.Fatal(err)
	}
	set, err := f.dirs.WriteShims(p, cfg, f.bin)
	if err != nil {
		t.Fatal(err)
	}
	shim := filepath.Join(set.Bin, "python3")
	mine := filepath.Join(p.Real, "my libs")
	for _, tc := range []struct {
		env  []string
		want string
	}{
		{nil, DefaultNixLD + ":" + mine + ":/n"},
		{[]string{"NIX_LD_LIBRARY_PATH="}, DefaultNixLD + ":" + mine + ":/n"},
		{[]string{"NIX_LD_LIBRARY_PATH=/n:/m"}, "/n:/m:" + mine},
		{[]string{"LD_LIBRARY_PATH=/a:/m", "NIX_LD_LIBRARY_PATH=/m::/n"}, "/a:/m:/n:" + mine},
		{[]string{"LD_LIBRARY_PATH=", "NIX_LD_LIBRARY_PATH=/n"}, "/n:" + mine},
		// nix-ld's per-system variable wins; empty, it doesn't count.
		{[]string{SystemNixLDVar + "=/s", "NIX_LD_LIBRARY_PATH=/m"}, "/s:" + mine + ":/n"},
		{[]string{SystemNixLDVar + "=", "NIX_LD_LIBRARY_PATH=/m"}, "/m:" + mine + ":/n"},
	} {
		cmd := exec.Command(shim, "-c", "a b", "")
		cmd.Env = append([]string{"PATH=/usr/bin:/bin"}, tc.env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", tc.env, err, out)
		}
		if want := tc.want + "\n-c\na b\n\n"; string(out) != want {
			t.Errorf("%v:\n got %q\nwant %q", tc.env, out, want)
		}
	}
	os.Remove(filepath.Join(f.bin, "python3"))
	out, err := exec.Command(shim).CombinedOutput()
	if code := exitCode(err); code != 127 || strings.Count(string(out), "\n") != 1 || !strings.Contains(string(out), "which is gone; with a python3 on PATH, run 'nixld shims' in ") {
		t.Errorf("missing target: exit %d, %q", code, out)
	}
}

func exitCode(err error) int {
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

// A ':' in the project's own path must not split a relative libraries
// entry into an empty or relative LD_LIBRARY_PATH entry.
func TestColonInProjectPath(t *testing.T) {
	f := newFixture(t)
	f.project("a:", `libraries = ["."]`+"\n", true)
	f.project("x:y", `libraries = ["lib"]`+"\n", true)
	for _, dir := range []string{"a:/sub", "x:y"} {
		os.MkdirAll(filepath.Join(f.root, dir), 0o755)
		env, r := f.step(Env{"PATH": f.bin, NixLDVar: "/n"}, dir)
		if _, ok := env[LDVar]; ok || len(r.Messages) != 1 || !strings.Contains(r.Messages[0], "whose ':' would split it on LD_LIBRARY_PATH") {
			t.Errorf("%s: %q %q", dir, env[LDVar], r.Messages)
		}
	}
}

// Empty and relative entries of $NIX_LD_LIBRARY_PATH never reach
// LD_LIBRARY_PATH: they would mean the working directory.
func TestRelativeNixLDEntriesDropped(t *testing.T) {
	f := newFixture(t)
	f.project("proj", "export_ld_library_path = true\n", true)
	env, _ := f.step(Env{"PATH": f.bin, NixLDVar: "::lib:/n:./x:"}, "proj")
	if env[LDVar] != "/n" {
		t.Errorf("LD_LIBRARY_PATH %q, want /n", env[LDVar])
	}
}

// The state holds what nixld added, never copies of whole variables: a
// NixOS dev shell's PATH must not push it past the kernel's limit.
func TestStateStaysSmall(t *testing.T) {
	f := newFixture(t)
	f.project("proj", "", true)
	long := f.bin
	for i := range 1000 {
		long += fmt.Sprintf(":/nix/store/%032d-package-%d/bin", i, i)
	}
	start := Env{"PATH": long, LDVar: strings.ReplaceAll(long, "/bin", "/lib"), NixLDVar: "/n"}
	in, _ := f.step(start, "proj")
	if n := len(in[StateVar]); n > 600 {
		t.Errorf("state is %d bytes for a %d-byte PATH: %s", n, len(long), in[StateVar])
	}
	if out, _ := f.step(in, ""); !maps.Equal(out, start) {
		t.Error("leaving did not restore the long variables")
	}
}

// Where entering would put a variable past the kernel's limit, nixld
// refuses with one line and leaves the environment as it was.
func TestEnvironmentLimit(t *testing.T) {
	f := newFixture(t)
	f.project("proj", "", true)
	huge := f.bin + ":" + strings.Repeat("/x", maxArgStrlen/2-len(f.bin))
	env, r := f.step(Env{"PATH": huge, NixLDVar: "/n"}, "proj")
	if env["PATH"] != huge || len(r.Messages) != 1 || !strings.Contains(r.Messages[0], "over the kernel's limit") {
		t.Errorf("%d-byte PATH: %q", len(env["PATH"]), r.Messages)
	}
}

// An old shell's state, from before the state held only nixld's entries,
// still leaves exactly.
func TestLegacyStateLeaves(t *testing.T) {
	f := newFixture(t)
	legacy := `{"root":"/p","dir":"/p","hash":"h","bin":"/s/bin","path_old":"/usr/bin","path_new":"/s/bin:/usr/bin","ld_new":"/n","ld_added":["/n"]}`
	env := Env{"PATH": "/s/bin:/usr/bin", LDVar: "/n", StateVar: "1:" + base64.RawURLEncoding.EncodeToString([]byte(legacy))}
	out, r := f.step(env, "")
	if want := (Env{"PATH": "/usr/bin"}); !maps.Equal(out, want) {
		t.Errorf("got %q, want %q (%q)", out, want, r.Messages)
	}
}

// Without $HOME nixld can't find its trust store, but a shell inside a
// project must still be able to leave it; the reason shows once.
func TestLeaveWithoutHome(t *testing.T) {
	f := newFixture(t)
	f.project("proj", "", true)
	start := Env{"PATH": f.bin, NixLDVar: "/n"}
	in, _ := f.step(start, "proj")
	noHome := errors.New("neither $XDG_DATA_HOME nor $HOME is an absolute path")
	r := Export(Dirs{}, noHome, in, filepath.Join(f.root, "proj", "sub"))
	if len(r.Messages) != 2 || !strings.Contains(r.Messages[1], "cannot enter") {
		t.Errorf("inside, no HOME: %q", r.Messages)
	}
	out := in.Apply(r.Ops)
	r = Export(Dirs{}, noHome, out, filepath.Join(f.root, "proj"))
	if len(r.Messages) != 0 {
		t.Errorf("reason repeated: %q", r.Messages)
	}
	r = Export(Dirs{}, noHome, out.Apply(r.Ops), f.root)
	if got := out.Apply(r.Ops); !maps.Equal(got, start) {
		t.Errorf("got %q, want %q", got, start)
	}
}

// A config that can't be read is reported once per entry, not on every cd.
func TestUnreadableConfigSaidOnce(t *testing.T) {
	// Root reads a mode 000 file, so the unreadable config here is one
	// that refuses a read that would wait, which fails for every user.
	f := newFixture(t)
	p := f.project("proj", "", true)
	os.Remove(p.Config())
	os.Symlink("/proc/kmsg", p.Config())
	env, r := f.step(Env{"PATH": f.bin}, "proj")
	if len(r.Messages) != 1 {
		t.Fatalf("first entry: %q", r.Messages)
	}
	env, r = f.step(env, "proj/sub")
	if len(r.Messages) != 0 {
		t.Errorf("repeated: %q", r.Messages)
	}
	_, r = f.step(env, "")
	if _, r = f.step(Env{"PATH": f.bin}, "proj"); len(r.Messages) != 1 {
		t.Errorf("a new entry says it again: %q", r.Messages)
	}
}

// Reading a config never blocks: a FIFO, a device or /proc/kmsg, as a
// cloned repository can ship, is refused at once.
func TestConfigNeverBlocks(t *testing.T) {
	f := newFixture(t)
	dir := filepath.Join(f.root, "fifo")
	os.MkdirAll(dir, 0o755)
	if err := syscall.Mkfifo(filepath.Join(dir, ConfigName), 0o644); err != nil {
		t.Fatal(err)
	}
	for target, want := range map[string]string{"/proc/kmsg": "without waiting", "/dev/zero": "not a regular file"} {
		d := filepath.Join(f.root, filepath.Base(target))
		os.MkdirAll(d, 0o755)
		os.Symlink(target, filepath.Join(d, ConfigName))
		if _, err := Load(d); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", target, err, want)
		}
	}
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("fifo: %v", err)
	}
	f.write(filepath.Join(f.root, "big", ConfigName), strings.Repeat("#", maxConfig+1), 0o644)
	if _, err := Load(filepath.Join(f.root, "big")); err == nil || !strings.Contains(err.Error(), "larger than 1 MiB") {
		t.Errorf("big: %v", err)
	}
}

// Entering again with nothing changed reads no directory and writes no
// file; anything that changes what the shims would be is seen.
func TestShimCache(t *testing.T) {
	f := newFixture(t)
	p := f.project("proj", "", true)
	names := func(path string) string {
		t.Helper()
		set, err := f.dirs.WriteShims(p, DefaultConfig, path)
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(set.Names(), " ")
	}
	f.write(filepath.Join(f.bin, "python3.14"), "#!/bin/sh\n", 0o644)
	if got := names(f.bin); got != "python python3 python3.9 python3.12" {
		t.Fatalf("first entry: %q", got)
	}
	bin := f.dirs.ShimDir(p)
	stamp := dirStamp(bin)
	// The cache, not a new lookup, answers: a program that appeared
	// without changing any directory's stamp (here: a changed mode) is
	// not seen until something does.
	os.Chmod(filepath.Join(f.bin, "python3.14"), 0o755)
	if names(f.bin) != "python python3 python3.9 python3.12" || dirStamp(bin) != stamp {
		t.Error("an unchanged entry looked PATH up again or rewrote the shim directory")
	}
	os.Remove(filepath.Join(f.bin, "python3.14"))
	// A program rewritten in place (cp over it: same inode, the
	// directory's times unchanged) is looked at again.
	f.write(filepath.Join(f.bin, "python3.9"), "#!/bin/sh\n# another\n", 0o755)
	os.Chtimes(f.bin, time.Unix(5, 0), time.Unix(5, 0))
	cache := readShimCache(shimCacheFile(bin))
	if cache == nil || cache.holds(cache.Key, cache.Stamp) {
		t.Error("a target rewritten in place left the cache holding")
	}
	// A new interpreter on PATH.
	f.write(filepath.Join(f.bin, "python3.13"), "#!/bin/sh\n", 0o755)
	if got := names(f.bin); got != "python python3 python3.9 python3.12 python3.13" {
		t.Errorf("new python3.13: %q", got)
	}
	// A shim removed by hand comes back.
	os.Remove(filepath.Join(bin, "python3"))
	if names(f.bin); !exists(filepath.Join(bin, "python3")) {
		t.Error("removed shim not restored")
	}
	// A Nix profile switched to another store path: same names, same
	// mtime (1, as every store path), another inode.
	store := filepath.Join(f.root, "store")
	for gen, python := range map[string]string{"gen1": "python3.10", "gen2": "python3.11"} {
		f.write(filepath.Join(store, gen, "bin", python), "#!/bin/sh\n", 0o755)
		os.Chtimes(filepath.Join(store, gen, "bin"), time.Unix(1, 0), time.Unix(1, 0))
	}
	profile := filepath.Join(f.root, "profile")
	os.Symlink(filepath.Join(store, "gen1"), profile)
	names(filepath.Join(profile, "bin"))
	os.Remove(profile)
	os.Symlink(filepath.Join(store, "gen2"), profile)
	set, _ := f.dirs.WriteShims(p, DefaultConfig, filepath.Join(profile, "bin"))
	if set.Shims[0].Name != "python3.11" || set.Shims[0].Target != filepath.Join(profile, "bin", "python3.11") {
		t.Errorf("after the switch: %+v", set.Shims)
	}
	// python3.10 stays for the venvs that may link to it, running what it
	// ran, now gone: it will say so.
	if !exists(filepath.Join(bin, "python3.11")) || !exists(filepath.Join(bin, "python3.10")) {
		t.Error("shims not switched with the profile")
	}
}

func exists(name string) bool {
	_, err := os.Stat(name)
	return err == nil
}

// nix-ld's per-system variable takes precedence over NIX_LD_LIBRARY_PATH,
// and gpu = true appends the driver's directory, unresolved, last.
func TestLibraryPathSources(t *testing.T) {
	for _, exported := range []bool{false, true} {
		f := newFixture(t)
		f.project("proj", fmt.Sprintf("libraries = [\"/lib1\"]\ngpu = true\nexport_ld_library_path = %t\n", exported), true)
		for _, tc := range []struct {
			env      Env
			nixLDVar string // where the libraries go without export_ld_library_path
			want     string
		}{
			{Env{NixLDVar: "/n"}, NixLDVar, "/n:/lib1:" + GPUDriverDir},
			{Env{NixLDVar: "/n", SystemNixLDVar: "/s:rel"}, SystemNixLDVar, "/s:/lib1:" + GPUDriverDir},
			{Env{NixLDVar: "", SystemNixLDVar: ""}, NixLDVar, DefaultNixLD + ":/lib1:" + GPUDriverDir},
		} {
			tc.env["PATH"] = f.bin
			env, r := f.step(tc.env, "proj")
			name, want := tc.nixLDVar, tc.want
			if exported {
				name = LDVar
			} else if name == SystemNixLDVar {
				want = "/s:rel:/lib1:" + GPUDriverDir // the user's entries stay as they are
			}
			if env[name] != want {
				t.Errorf("exported %t, %v: %s %q, want %q (%q)", exported, tc.env, name, env[name], want, r.Messages)
			}
		}
	}
	if !strings.HasSuffix(SystemNixLDVar, "_linux") || strings.Contains(SystemNixLDVar, "-") {
		t.Errorf("per-system variable %q", SystemNixLDVar)
	}
}

func TestWithShims(t *testing.T) {
	for _, tc := range []struct{ path, venv, want string }{
		{"/usr/bin", "", "/S:/usr/bin"},
		{"", "", "/S"},
		{"/v/bin:/usr/bin", "/v", "/v/bin:/S:/usr/bin"},
		{"/usr/bin", "/v", "/S:/usr/bin"}, // activated elsewhere, its bin gone from PATH
		{":/usr/bin", "", "/S::/usr/bin"},
	} {
		if got := withShims(tc.path, "/S", tc.venv); got != tc.want {
			t.Errorf("%q with venv %q: %q, want %q", tc.path, tc.venv, got, tc.want)
		}
	}
}

// A shell started inside a project without its state (env -u
// _NIXLD_STATE bash) has the shim directory on PATH already: entering
// puts it there once, and leaving takes it out.
func TestStaleShimDirOnPath(t *testing.T) {
	f := newFixture(t)
	p := f.project("proj", "", true)
	bin := f.dirs.ShimDir(p)
	in, _ := f.step(Env{"PATH": f.bin, NixLDVar: "/n"}, "proj")
	delete(in, StateVar)
	again, _ := f.step(in, "proj")
	if n := strings.Count(again["PATH"], bin); n != 1 {
		t.Errorf("PATH holds the shim directory %d times: %q", n, again["PATH"])
	}
	out, _ := f.step(again, "")
	if strings.Contains(out["PATH"], bin) || out["PATH"] != f.bin {
		t.Errorf("after leaving: %q", out["PATH"])
	}
}

// TestShimDirGoneReenters: where nixld's state was removed while a shell
// is inside a project, the next export writes the shims again, quietly,
// rather than keep a PATH whose first directory is gone.
func TestShimDirGoneReenters(t *testing.T) {
	f := newFixture(t)
	p := f.project("proj", "", true)
	bin := f.dirs.ShimDir(p)
	in, _ := f.step(Env{"PATH": f.bin, NixLDVar: "/n"}, "proj")
	if err := os.RemoveAll(f.dirs.State); err != nil {
		t.Fatal(err)
	}
	again, r := f.step(in, "proj/sub")
	if fi, err := os.Stat(filepath.Join(bin, "python3")); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("the shims are not back: %v", err)
	}
	if len(r.Messages) != 0 || strings.Count(again["PATH"], bin) != 1 {
		t.Errorf("re-entering said %q, PATH %q", r.Messages, again["PATH"])
	}
}

// Steering variables: set where unset, left alone where the user set
// them, unset on leaving unless the user changed them meanwhile.
func TestSteering(t *testing.T) {
	f := newFixture(t)
	p := f.project("proj", "", true)
	start := Env{"PATH": f.bin, NixLDVar: "/n", "UV_PYTHON_PREFERENCE": "only-managed"}
	in, _ := f.step(start, "proj")
	if want := filepath.Join(f.dirs.ShimDir(p), "python3"); in["VIRTUALENV_PYTHON"] != want {
		t.Errorf("VIRTUALENV_PYTHON %q, want %q", in["VIRTUALENV_PYTHON"], want)
	}
	if in["UV_PYTHON_PREFERENCE"] != "only-managed" || in["POETRY_VIRTUALENVS_PREFER_ACTIVE_PYTHON"] != "true" {
		t.Errorf("steered %q", in)
	}
	if out, _ := f.step(in, ""); !maps.Equal(out, start) {
		t.Errorf("leaving: got %q, want %q", out, start)
	}
	in["VIRTUALENV_PYTHON"] = "/changed"
	if out, _ := f.step(in, ""); out["VIRTUALENV_PYTHON"] != "/changed" {
		t.Errorf("a value the user changed was unset: %q", out)
	}
	// uv is told to look on PATH first, never which interpreter: the
	// project's requires-python and .python-version still choose.
	delete(start, "UV_PYTHON_PREFERENCE")
	if in, _ := f.step(start, "proj"); in["UV_PYTHON_PREFERENCE"] != "system" || in["UV_PYTHON"] != "" {
		t.Errorf("uv steered with %q", in)
	}
}

// A directory inside a store path is fingerprinted by its name: it never
// changes. One that did not exist yet is looked for again on each entry.
func TestStoreDirsInFingerprint(t *testing.T) {
	f := newFixture(t)
	store := filepath.Join(f.root, "store")
	t.Setenv("NIX_STORE_DIR", store)
	p := f.project("proj", "", true)
	dir := filepath.Join(store, "aaaa-python3-3.14", "bin")
	names := func() string {
		set, err := f.dirs.WriteShims(p, DefaultConfig, dir+":"+f.bin)
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(set.Names(), " ")
	}
	if got := names(); strings.Contains(got, "python3.14") {
		t.Fatalf("before the store path exists: %q", got)
	}
	f.write(filepath.Join(dir, "python3.14"), "#!/bin/sh\n", 0o755)
	if got := names(); !strings.Contains(got, "python3.14") {
		t.Errorf("a store path built since was not noticed: %q", got)
	}
	if l := f.dirs.newLookup(dir); len(l.absentStore()) != 0 || !InStore(dir) || InStore(store) {
		t.Error("store paths")
	}
}

// Deny scrubs every shim of the project, not only the interpreters': a
// wrapped tool adds the project's libraries no more either.
func TestDenyScrubsEveryShim(t *testing.T) {
	f := newFixture(t)
	f.write(filepath.Join(f.bin, "mytool"), "#!/bin/sh\n", 0o755)
	p := f.project("proj", "wrap = [\"python3\", \"mytool\"]\nlibraries = [\"/projlib\"]\n", true)
	f.step(Env{"PATH": f.bin, NixLDVar: "/n"}, "proj")
	bin := f.dirs.ShimDir(p)
	for _, name := range []string{"python3", "mytool"} {
		if data, _ := os.ReadFile(filepath.Join(bin, name)); !strings.Contains(string(data), "/projlib") {
			t.Fatalf("%s lacks the project's library before deny", name)
		}
	}
	if err := f.dirs.Deny(p); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"python3", "mytool"} {
		if data, _ := os.ReadFile(filepath.Join(bin, name)); strings.Contains(string(data), "/projlib") {
			t.Errorf("%s still adds the denied project's library", name)
		}
	}
}

// With no project of its own here, nixld's export takes stale shim
// directories off PATH, but never the one direnv's `use nixld` put there
// ($_NIXLD_DIRENV): direnv takes that out itself. Entering a project
// direnv put there too leaves its shims on PATH once.
func TestDirenvShimsStay(t *testing.T) {
	f := newFixture(t)
	p := f.project("proj", "", true)
	other := f.project("other", "", true)
	bin, stale := f.dirs.ShimDir(p), f.dirs.ShimDir(other)
	for _, dir := range []string{bin, stale} {
		os.MkdirAll(dir, 0o755)
		writeProjectRecord(filepath.Dir(dir), dir)
	}
	env := Env{"PATH": bin + ":" + stale + ":" + f.bin, DirenvVar: bin, "DIRENV_DIR": "-" + p.Dir}
	out, _ := f.step(env, "")
	if want := bin + ":" + f.bin; out["PATH"] != want {
		t.Errorf("PATH %q, want %q", out["PATH"], want)
	}
	// Inherited by a shell where direnv loaded nothing, it is stale.
	delete(env, "DIRENV_DIR")
	if out, _ := f.step(env, ""); out["PATH"] != f.bin {
		t.Errorf("without direnv: PATH %q, want %q", out["PATH"], f.bin)
	}
	in, _ := f.step(Env{"PATH": bin + ":" + f.bin, DirenvVar: bin, "DIRENV_DIR": "-" + p.Dir}, "proj")
	if n := strings.Count(in["PATH"], bin); n != 1 || !strings.HasPrefix(in["PATH"], bin+":") {
		t.Errorf("entered: PATH %q holds the shim directory %d times", in["PATH"], n)
	}
}

// A config that does not parse is said as such on entry, allowed or not:
// allowing would only repeat it.
func TestBrokenConfigHint(t *testing.T) {
	f := newFixture(t)
	f.project("new", "gpu = \"yes\"\n", false)
	_, r := f.step(Env{"PATH": f.bin}, "new")
	want := "(not allowed): line 1: gpu must be true or false, like gpu = true; found a string, \"yes\""
	if len(r.Messages) != 1 || !strings.HasSuffix(r.Messages[0], want) {
		t.Errorf("not allowed: %q, want ...%s", r.Messages, want)
	}
	p := f.project("edited", "gpu = true\n", true)
	f.write(p.Config(), "gpu = [true]\n", 0o644)
	_, r = f.step(Env{"PATH": f.bin}, "edited")
	want = "(changed since allowed): line 1: gpu must be true or false, like gpu = true; found a list"
	if len(r.Messages) != 1 || !strings.HasSuffix(r.Messages[0], want) {
		t.Errorf("changed: %q, want ...%s", r.Messages, want)
	}
	f.project("fine", "gpu = true\n", false)
	_, r = f.step(Env{"PATH": f.bin}, "fine")
	if len(r.Messages) != 1 || !strings.HasSuffix(r.Messages[0], "is not allowed; review it, then run 'nixld allow'") {
		t.Errorf("parses: %q", r.Messages)
	}
}

func TestBuildTimeout(t *testing.T) {
	for v, want := range map[string]time.Duration{"": DefaultBuildTimeout, "30": 30 * time.Second, "2m": 2 * time.Minute,
		"0": 0, "1.5s": 1500 * time.Millisecond, "soon": DefaultBuildTimeout, "-3": DefaultBuildTimeout,
		"9999999999": DefaultBuildTimeout, "900000h": DefaultBuildTimeout, "24h": 24 * time.Hour} {
		got, note := buildTimeout(Env{BuildTimeoutVar: v})
		if got != want || (note != "") != (v == "soon" || v == "-3" || v == "9999999999" || v == "900000h") {
			t.Errorf("%q: %v %q, want %v", v, got, note, want)
		}
	}
}

// A failed write names the file, never the temporary one beside it.
func TestWriteErrorNamesTheFile(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, ConfigName)
	os.MkdirAll(filepath.Join(name, "x"), 0o755) // a rename cannot replace it
	err := WriteFileAtomic(name, []byte("x"), 0o644)
	if err == nil || !strings.HasPrefix(err.Error(), "write "+name+": ") || strings.Contains(err.Error(), ConfigName+".") {
		t.Errorf("got %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("left behind: %v", entries)
	}
}

// TestNixLDDirMissing: the fix for a nix-ld directory that is not there
// is NixOS's nix-ld for its own directory, and otherwise the variable
// that names the one the user set.
func TestNixLDDirMissing(t *testing.T) {
	d := Dirs{Home: "/h"}
	for _, tc := range []struct {
		env  Env
		dir  string
		want string
	}{
		{Env{}, DefaultNixLD, "set programs.nix-ld.enable = true"},
		{Env{NixLDVar: "/gone"}, "/gone", "correct $" + NixLDVar + ", or take it out"},
		{Env{NixLDVar: "/other", SystemNixLDVar: "/gone"}, "/gone", "correct $" + SystemNixLDVar + ", or take it out"},
	} {
		if got := d.NixLDDirMissing(tc.env, tc.dir); !strings.HasSuffix(got, tc.want) || !strings.Contains(got, tc.dir) {
			t.Errorf("%v %s: %q, want it to end %q", tc.env, tc.dir, got, tc.want)
		}
	}
}
