package testscripts

// The flake's package pins the hash of its Go dependencies; this keeps it
// in step with go.sum, computed as buildGoModule does: the NAR hash of
// what `go mod vendor` writes.

import (
	"encoding/base64"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestVendorHash(t *testing.T) {
	vendor := filepath.Join(t.TempDir(), "vendor")
	if out, err := exec.Command("go", "mod", "vendor", "-o", vendor).CombinedOutput(); err != nil {
		t.Fatalf("go mod vendor: %v\n%s", err, out)
	}
	out, err := exec.Command("nix-hash", "--type", "sha256", vendor).Output()
	if err != nil {
		t.Fatalf("nix-hash (test.sh installs nix-bin): %v", err)
	}
	sum, err := hex.DecodeString(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatal(err)
	}
	want := "sha256-" + base64.StdEncoding.EncodeToString(sum)
	pkg, err := os.ReadFile("../nix/package.nix")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`vendorHash = "([^"]*)";`).FindSubmatch(pkg)
	if m == nil || string(m[1]) != want {
		t.Errorf("nix/package.nix: vendorHash is %q; go.sum wants %q", m, want)
	}
}

// TestGoMinimum keeps what the README and nix/package.nix say of the Go
// nixld needs in step with go.mod's go line, which `go mod tidy` raises
// when a dependency needs a newer Go: nixpkgs builds with its own Go only.
func TestGoMinimum(t *testing.T) {
	mod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go ((\d+\.\d+)\.\d+)$`).FindSubmatch(mod)
	if m == nil {
		t.Fatal("go.mod: no go line like go 1.25.0")
	}
	full, minor := string(m[1]), string(m[2])
	for file, says := range map[string][]string{
		"../README.md":       {"fetches the " + minor + " toolchain", "needs Go " + minor + " or newer", "buildGo" + strings.ReplaceAll(minor, ".", "") + "Module"},
		"../nix/package.nix": {"Go " + full + " or newer", "go >= " + full, "buildGo" + strings.ReplaceAll(minor, ".", "") + "Module"},
	} {
		text, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range says {
			if !strings.Contains(strings.Join(strings.Fields(string(text)), " "), s) {
				t.Errorf("%s does not say %q, as go.mod's go %s has it", file, s, full)
			}
		}
	}
}

// TestPackageSources keeps the package's source set whole: every
// directory with Go code is in nix/package.nix's fileset.
func TestPackageSources(t *testing.T) {
	pkg, err := os.ReadFile("../nix/package.nix")
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir("..")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if goFiles, _ := filepath.Glob(filepath.Join("..", e.Name(), "*", "*.go")); len(goFiles) == 0 {
			if goFiles, _ = filepath.Glob(filepath.Join("..", e.Name(), "*.go")); len(goFiles) == 0 {
				continue
			}
		}
		if !strings.Contains(string(pkg), "../"+e.Name()+"\n") {
			t.Errorf("nix/package.nix: the fileset lacks ../%s, which holds Go code", e.Name())
		}
	}
}
