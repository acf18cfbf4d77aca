package nixpkgs

// Building packages with nix: strings nix reads back, sources, deadlines.

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nixld/nixld/internal/testtools"
)

// nixString's output reads back, through nix itself, as what went in:
// no "${" in a user's path may become an interpolation.
func TestNixStringRoundTrip(t *testing.T) {
	testtools.Need(t, "nix-instantiate")
	for _, s := range []string{"plain", `a"b`, `back\slash`, "${builtins.abort \"x\"}", "$${x}", "tab\tnew\nline", "é"} {
		out, err := exec.Command("nix-instantiate", "--eval", "--expr", nixString(s)).Output()
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		got := strings.TrimSpace(string(out))
		if got != nixString(s) {
			t.Errorf("%q: nix printed %s, want %s", s, got, nixString(s))
		}
	}
}

func TestSource(t *testing.T) {
	for _, tc := range []struct {
		spec, nixPath, want string
		flakes              bool
	}{
		{"", "nixpkgs=/x", "import <nixpkgs> { }", false},
		{"", "", `(builtins.getFlake "nixpkgs").legacyPackages.${builtins.currentSystem}`, true},
		{"./nix/pkgs", "", `import "/proj/nix/pkgs" { }`, false},
		{"/abs/${x}", "", `import "/abs/\${x}" { }`, false},
		{"github:NixOS/nixpkgs/nixos-25.05", "", `(builtins.getFlake "github:NixOS/nixpkgs/nixos-25.05").legacyPackages.${builtins.currentSystem}`, true},
	} {
		r := Request{Nixpkgs: tc.spec, Project: "/proj", Env: []string{"NIX_PATH=" + tc.nixPath}}
		got, flakes := r.source()
		if got != tc.want || flakes != tc.flakes {
			t.Errorf("%q: %s %v, want %s %v", tc.spec, got, flakes, tc.want, tc.flakes)
		}
	}
	if !Attribute.MatchString("stdenv.cc.cc.lib") || Attribute.MatchString("a..b") || Attribute.MatchString("x${y}") {
		t.Error("attribute paths")
	}
}

func TestLocal(t *testing.T) {
	for spec, want := range map[string]string{
		"./nix":                        "/proj/nix",
		"../shared/nixpkgs":            "/shared/nixpkgs",
		"/abs/nixpkgs/":                "/abs/nixpkgs",
		"path:./nix":                   "/proj/nix",
		"path:/abs?narHash=sha256-x":   "/abs",
		"git+file:///src/nixpkgs#x":    "/src/nixpkgs",
		"github:NixOS/nixpkgs":         "",
		"nixpkgs":                      "",
		"":                             "",
		"https://example.org/x.tar.gz": "",
	} {
		got, ok := Local(spec, "/proj")
		if got != want || ok != (want != "") {
			t.Errorf("Local(%q) = %q %v, want %q", spec, got, ok, want)
		}
	}
}

// The stamp changes with what the source's files are, and with where
// NIX_PATH's nixpkgs leads; it stays while they stay.
func TestSourceStamp(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "proj", "nix")
	os.MkdirAll(filepath.Join(src, "pkgs"), 0o755)
	os.WriteFile(filepath.Join(src, "default.nix"), []byte("{ ... }: { }\n"), 0o644)
	r := Request{Nixpkgs: "./nix", Project: filepath.Join(dir, "proj")}
	a := r.SourceStamp()
	if r.SourceStamp() != a {
		t.Fatal("stamp changes by itself")
	}
	os.WriteFile(filepath.Join(src, "pkgs", "new.nix"), []byte("{ }\n"), 0o644)
	b := r.SourceStamp()
	if b == a {
		t.Error("a file added in a subdirectory does not change the stamp")
	}
	later := time.Now().Add(time.Minute)
	os.Chtimes(filepath.Join(src, "default.nix"), later, later)
	if r.SourceStamp() == b {
		t.Error("an edited file does not change the stamp")
	}

	// NIX_PATH: the entry, and a channel switched to another store path.
	os.Symlink(src, filepath.Join(dir, "channel"))
	n := Request{Env: []string{"NIX_PATH=nixpkgs=" + filepath.Join(dir, "channel")}}
	c := n.SourceStamp()
	os.Remove(filepath.Join(dir, "channel"))
	os.Symlink(filepath.Join(dir, "proj"), filepath.Join(dir, "channel"))
	if n.SourceStamp() == c {
		t.Error("NIX_PATH's nixpkgs leading elsewhere does not change the stamp")
	}
	if other := (Request{Env: []string{"NIX_PATH=nixpkgs=/elsewhere"}}).SourceStamp(); other == c {
		t.Error("another NIX_PATH does not change the stamp")
	}
	if p, ok := nixPathEntry("foo=/x:"+dir, "proj"); !ok || p != filepath.Join(dir, "proj") {
		t.Errorf("nixPathEntry in a plain entry: %q %v", p, ok)
	}
}

// A second Realise waits for the first's lock, and says so; past its
// deadline it gives up without remembering a failure of its own.
func TestLockWaits(t *testing.T) {
	dir := t.TempDir()
	r := Request{Dir: dir, Key: "k", Packages: []string{"x"}}
	os.MkdirAll(filepath.Join(dir, "roots"), 0o755)
	unlock, err := lock(context.Background(), r.lockFile(), func() { t.Error("the first lock waits") })
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	waited := 0
	_, err = r.Realise(context.Background(), Options{Deadline: 200 * time.Millisecond, Waiting: func([]string) { waited++ },
		Starting: func([]string) { t.Error("started a build while another holds the lock") }})
	var be *BuildError
	if !errors.As(err, &be) || be.Reason != Busy || waited != 1 {
		t.Errorf("got %v (waited %d), want Busy having waited once", err, waited)
	}
	if _, _, ok := r.LastFailure(); ok {
		t.Error("a busy lock was remembered as a failure")
	}
}

// A build that prints without end is kept within a bound: its first and
// last half MiB, and how much was left out.
func TestBuildLogBounded(t *testing.T) {
	l := &buildLog{}
	line := []byte(strings.Repeat("y", 99) + "\n")
	for range 50000 { // 5 MB
		l.Write(line)
	}
	l.Write([]byte("the end\n"))
	s := l.String()
	if len(s) > 2*logHalf+100 || !strings.HasSuffix(s, "the end\n") || !strings.Contains(s, " bytes left out ...]") {
		t.Errorf("log of %d bytes, ending %q", len(s), s[len(s)-20:])
	}
	small := &buildLog{}
	small.Write([]byte("error: x\n"))
	if small.String() != "error: x\n" {
		t.Errorf("small log %q", small.String())
	}
}
