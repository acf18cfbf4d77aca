package nixpkgs

import (
	"os/exec"
	"strings"
	"testing"
)

// nixString's output reads back, through nix itself, as what went in:
// no "${" in a user's path may become an interpolation.
func TestNixStringRoundTrip(t *testing.T) {
	if _, err := exec.LookPath("nix-instantiate"); err != nil {
		t.Fatal("nix-instantiate is not installed; bash testscripts/test.sh installs nix-bin")
	}
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
