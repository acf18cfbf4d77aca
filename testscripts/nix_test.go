package testscripts

// The Nix side of nixld, held to the real thing. TestVendorHash keeps the
// package's hash of its Go dependencies in step with go.sum, computed as
// buildGoModule does: the NAR hash of what `go mod vendor` writes.
// TestPackageSources evaluates the package's source set with the real
// nixpkgs lib; nix_modules.txtar evaluates the modules, the package and
// the flake with it and with Home Manager's lib. nixLibs finds both.

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
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

// TestPackageSources evaluates nix/package.nix's source with the real
// nixpkgs lib on a copy of the repository with build outputs planted in
// it: the source must hold every file `go list` names for the module's
// packages and their tests, every testdata file, go.mod and go.sum, and
// none of the outputs.
func TestPackageSources(t *testing.T) {
	libs, err := nixLibs()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("NIX_CONFIG", "build-users-group =\nsubstituters =\nsandbox = false")
	copied := filepath.Join(t.TempDir(), "repo")
	if err := copyTree("..", copied); err != nil {
		t.Fatal(err)
	}
	// What `go build`, `go build ./cmd/nixld` in its directory, `go test
	// -c` and nix-build leave behind.
	outputs := []string{"nixld", "cmd/nixld/nixld", "hook.test", "testscripts/testscripts.test", "result"}
	for _, o := range outputs[:4] {
		if err := os.WriteFile(filepath.Join(copied, o), []byte("\x7fELF"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("/nix/store/00000000000000000000000000000000-nixld", filepath.Join(copied, "result")); err != nil {
		t.Fatal(err)
	}
	out, err := command(2*time.Minute, "nix-instantiate", "--eval", "--strict", "--json", "testdata/nix/package-src.nix",
		"--argstr", "nixpkgsLib", libs.nixpkgs, "--argstr", "repo", copied)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	if err := json.Unmarshal(out, &files); err != nil {
		t.Fatalf("package-src.nix: %v\n%s", err, out)
	}
	want, err := buildFiles()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range want {
		if !slices.Contains(files, f) {
			t.Errorf("nix/package.nix: the source lacks %s", f)
		}
	}
	for _, o := range outputs {
		if slices.Contains(files, o) {
			t.Errorf("nix/package.nix: the source holds %s, a build output", o)
		}
	}
}

// buildFiles lists, relative to the repository, the files a build and the
// tests of the module's packages read: go.mod, go.sum, each package's Go
// and embedded files (ignored ones too: other platforms build them) and
// everything under its testdata.
func buildFiles() ([]string, error) {
	cmd := exec.Command("go", "list", "-json", "./...")
	cmd.Dir = ".."
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %v", err)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		return nil, err
	}
	files := []string{"go.mod", "go.sum"}
	for dec := json.NewDecoder(strings.NewReader(string(out))); ; {
		var p struct {
			Dir                                                           string
			GoFiles, IgnoredGoFiles, TestGoFiles, XTestGoFiles            []string
			EmbedFiles, TestEmbedFiles, XTestEmbedFiles, CgoFiles, SFiles []string
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("go list: %v", err)
		}
		rel, err := filepath.Rel(root, p.Dir)
		if err != nil {
			return nil, err
		}
		for _, list := range [][]string{p.GoFiles, p.IgnoredGoFiles, p.TestGoFiles, p.XTestGoFiles, p.EmbedFiles, p.TestEmbedFiles, p.XTestEmbedFiles, p.CgoFiles, p.SFiles} {
			for _, f := range list {
				files = append(files, filepath.ToSlash(filepath.Join(rel, f)))
			}
		}
		testdata := filepath.Join(p.Dir, "testdata")
		filepath.WalkDir(testdata, func(path string, d fs.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() {
				r, _ := filepath.Rel(root, path)
				files = append(files, filepath.ToSlash(r))
			}
			return nil
		})
	}
	return files, nil
}

// copyTree copies the regular files and directories under src to dst,
// leaving out .git and whatever is not a regular file (a result link).
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		switch {
		case d.Name() == ".git":
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		case d.IsDir():
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		case !d.Type().IsRegular():
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
}

// realLibs are the real nixpkgs lib and Home Manager's modules the Nix
// tests evaluate with.
type realLibs struct {
	nixpkgs string // nixpkgs' lib/ directory: `import` it for lib
	hm      string // Home Manager's modules/ directory: lib/, misc/shell.nix
	from    string // where they came from, for the test's log
}

// sharedNixReal is where CI and developers keep the libraries, as
// tarballs with a README: ../shared/nix-real beside the repository
// (this path is relative to testscripts/).
const sharedNixReal = "../../shared/nix-real"

// nixLibs finds the real libraries once per test binary: the tarballs in
// sharedNixReal, extracted under the world's directory, or else, on a
// machine with nixpkgs and Home Manager on NIX_PATH, <nixpkgs/lib> and
// <home-manager/modules>. Without either it says where it looked.
var nixLibs = sync.OnceValues(func() (realLibs, error) {
	nixpkgs, from1, err := realLib("nixpkgs-lib-*.tar.gz", "*/lib", "nixpkgs/lib")
	if err != nil {
		return realLibs{}, err
	}
	hm, from2, err := realLib("home-manager-lib-*.tar.gz", "*/modules", "home-manager/modules")
	if err != nil {
		return realLibs{}, err
	}
	return realLibs{nixpkgs, hm, from1 + ", " + from2}, nil
})

// realLib extracts the one tarball matching pattern in sharedNixReal and
// returns its directory matching inside; or, with no such tarball, the
// directory <nixPath> names.
func realLib(pattern, inside, nixPath string) (dir, from string, err error) {
	tarballs, _ := filepath.Glob(filepath.Join(sharedNixReal, pattern))
	if len(tarballs) > 1 {
		return "", "", fmt.Errorf("%s: %d tarballs match %s; keep one", sharedNixReal, len(tarballs), pattern)
	}
	if len(tarballs) == 1 {
		dest, err := os.MkdirTemp(w.dir, "nix-real-")
		if err != nil {
			return "", "", err
		}
		if _, err := command(2*time.Minute, "tar", "--no-same-owner", "-xzf", tarballs[0], "-C", dest); err != nil {
			return "", "", err
		}
		dirs, _ := filepath.Glob(filepath.Join(dest, inside))
		if len(dirs) != 1 {
			return "", "", fmt.Errorf("%s: no single %s inside", tarballs[0], inside)
		}
		return dirs[0], filepath.Base(tarballs[0]), nil
	}
	out, err := command(time.Minute, "nix-instantiate", "--find-file", nixPath)
	if err != nil {
		abs, _ := filepath.Abs(sharedNixReal)
		return "", "", fmt.Errorf("the real %s: no %s in %s, and no <%s> on NIX_PATH: %v", nixPath, pattern, abs, nixPath, err)
	}
	return strings.TrimSpace(string(out)), "<" + nixPath + ">", nil
}

// command runs name with args under a deadline and returns its stdout; an
// error carries what it was doing and its stderr.
func command(deadline time.Duration, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	var stderr strings.Builder
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if ctx.Err() != nil {
		err = fmt.Errorf("no answer within %v", deadline)
	}
	if err != nil {
		return nil, fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return out, nil
}

// nixLibsCmd: nixlibs
//
// It sets $NIXPKGS_LIB to the real nixpkgs lib/ directory and $HM_MODULES
// to Home Manager's modules/ directory (see nixLibs).
func nixLibsCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: nixlibs")
	}
	libs, err := nixLibs()
	ts.Check(err)
	ts.Logf("real libraries: %s", libs.from)
	ts.Setenv("NIXPKGS_LIB", libs.nixpkgs)
	ts.Setenv("HM_MODULES", libs.hm)
}
