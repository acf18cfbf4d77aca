package nixpkgs

import (
	"os/exec"
	"strings"
	"testing"

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
