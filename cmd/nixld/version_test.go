package main

// The version command: the source's version, checkout builds, and the
// nixld_version guard's comparison.

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The source's version is flake.nix's.
func TestSourceVersion(t *testing.T) {
	data, err := os.ReadFile("../../flake.nix")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*version = "([^"]+)";`).FindSubmatch(data)
	if m == nil || string(m[1]) != sourceVersion {
		t.Fatalf("flake.nix has version %q, version.go %q", m, sourceVersion)
	}
}

// A build from a git checkout, which Go stamps with a pseudo-version, is
// a development build of the source's version: nixld_version's guard
// passes for that version and older, and fails for a newer one.
func TestCheckoutBuildVersion(t *testing.T) {
	if _, err := os.Stat("../../.git"); err != nil {
		t.Fatalf("not a git checkout, which this test builds from: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "nixld")
	build := exec.Command("go", "build", "-buildvcs=true", "-o", bin, ".")
	build.Env = append(os.Environ(), "GOFLAGS=", "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, _ := exec.Command("go", "version", "-m", bin).Output()
	if !regexp.MustCompile(`mod\s+github.com/nixld/nixld\s+v0\.0\.0-[0-9]{14}-[0-9a-f]{12}`).Match(out) {
		t.Fatalf("Go did not stamp a pseudo-version:\n%s", out)
	}
	line, err := exec.Command(bin, "--version").Output()
	if err != nil || !strings.HasPrefix(string(line), "nixld "+sourceVersion+"-dev (commit ") {
		t.Errorf("--version: %q %v", line, err)
	}
	for _, want := range []string{"0.1", sourceVersion, "0.0.9"} {
		if out, err := exec.Command(bin, "version", want).CombinedOutput(); err != nil {
			t.Errorf("version %s: %v %s", want, err, out)
		}
	}
	out, err = exec.Command(bin, "version", "99.0").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "is older than 99.0") {
		t.Errorf("version 99.0: %v %s", err, out)
	}
}

func TestOlderThan(t *testing.T) {
	for _, tc := range []struct {
		have, want string
		older      bool
	}{
		{"0.1.0", "0.1", false}, {"0.1.0-dev", "0.1", false}, {"0.2.0+dirty", "0.2", false},
		{"0.2.0+dirty", "99.0", true}, {"0.1.0", "0.1.1", true}, {"1.10.0", "1.9", false},
		// A version nixld cannot read never passes a guard.
		{"nonsense", "0.1", true},
	} {
		if older, err := olderThan(tc.have, tc.want); err != nil || older != tc.older {
			t.Errorf("olderThan(%q, %q) = %v, %v", tc.have, tc.want, older, err)
		}
	}
	if _, err := olderThan("0.1.0", "x.y"); err == nil {
		t.Error("a minimum that is no version is bad usage")
	}
}
