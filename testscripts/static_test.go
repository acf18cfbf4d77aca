package testscripts

// nixld is a static binary: its start can't depend on LD_LIBRARY_PATH,
// which inside a project holds every nix-ld directory, and the README's
// build command makes it so.

import (
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// testVersion is stamped into the binary the tests run, as a package's
// build stamps its version.
const testVersion = "0.0.7-test"

// buildStatic builds nixld the way the README says, with a version stamped.
func buildStatic(out string) error {
	cmd := exec.Command("go", "build", "-ldflags", "-X main.version="+testVersion+" -X main.commit=testscripts", "-o", out, "../cmd/nixld")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, b)
	}
	return nil
}

// staticELF fails unless name has no program interpreter and needs no
// shared library.
func staticELF(t *testing.T, name string) {
	t.Helper()
	f, err := elf.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("%s has a program interpreter: it is dynamically linked", name)
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("%s needs %v", name, libs)
	}
}

func TestBinaryIsStatic(t *testing.T) {
	staticELF(t, w.nixld)
}

// TestReadmeBuildIsStatic runs the README's build command, as a user
// would copy it, into a temporary directory.
func TestReadmeBuildIsStatic(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^    (.*go(?:\.sh)? build -o nixld ./cmd/nixld) && ./nixld --help$`).FindSubmatch(readme)
	if m == nil {
		t.Fatal("README has no build command of the form '... go[.sh] build -o nixld ./cmd/nixld && ./nixld --help'")
	}
	out := filepath.Join(t.TempDir(), "nixld")
	command := strings.Replace(string(m[1]), "-o nixld", "-o "+out, 1)
	cmd := exec.Command("sh", "-c", command)
	cmd.Dir = ".."
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", command, err, b)
	}
	staticELF(t, out)
}
