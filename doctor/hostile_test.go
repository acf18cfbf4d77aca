package doctor

// Hostile files: FIFOs, devices, patched headers, sparse giants.

import (
	"debug/elf"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// hangGuard fails the test if f does not return within a generous
// deadline: the point is that it returns at all.
func hangGuard(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatalf("%s did not return within a minute", what)
	}
}

// A repository can ship FIFOs, links to /dev/zero, sparse files and
// patched ELF headers in a venv. doctor reads none of them unbounded,
// blocks on none, reports each, and still checks the rest.
func TestHostileTree(t *testing.T) {
	f := newFixture(t)
	site := filepath.Dir(filepath.Dir(f.ext))
	mkfifo := func(path string) {
		t.Helper()
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := syscall.Mkfifo(path, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Venvs whose pyvenv.cfg or python is a FIFO, or /dev/zero.
	mkfifo(filepath.Join(f.proj, "fifocfg", "pyvenv.cfg"))
	os.MkdirAll(filepath.Join(f.proj, "fifocfg", "bin"), 0o755)
	os.Symlink("/usr/bin/python3", filepath.Join(f.proj, "fifocfg", "bin", "python3"))
	os.MkdirAll(filepath.Join(f.proj, "fifopy", "bin"), 0o755)
	os.WriteFile(filepath.Join(f.proj, "fifopy", "pyvenv.cfg"), []byte("version = 3.11.7\n"), 0o644)
	mkfifo(filepath.Join(f.proj, "fifopy", "bin", "python3"))
	os.MkdirAll(filepath.Join(f.proj, "zero"), 0o755)
	os.Symlink("/dev/zero", filepath.Join(f.proj, "zero", "pyvenv.cfg"))
	// Shared objects: a FIFO, a real executable whose PT_INTERP claims
	// 2^62 bytes, and a sparse 4 GiB one whose dynamic section claims
	// 3 GiB.
	mkfifo(filepath.Join(site, "fifo.so"))
	pie, _ := os.ReadFile(builtObjects(t)["pie"])
	os.WriteFile(filepath.Join(site, "interp.so"), patch(t, pie, elf.PT_INTERP, progFilesz, 1<<62), 0o755)
	lib, _ := os.ReadFile(builtObjects(t)["runpath.so"])
	sparse := filepath.Join(site, "sparse.so")
	os.WriteFile(sparse, patch(t, lib, elf.PT_DYNAMIC, progFilesz, 3<<30), 0o755)
	if err := os.Truncate(sparse, 4<<30); err != nil {
		t.Fatal(err)
	}
	os.Symlink("/dev/zero", filepath.Join(site, "zero.so"))

	var r *Report
	hangGuard(t, "doctor on a hostile tree", func() { r = f.run(t) })
	reasons := map[string]string{}
	for _, s := range r.Skipped {
		reasons[filepath.Base(string(s.Path))] = s.Reason
	}
	for name, want := range map[string]string{
		"fifo.so":   "a FIFO, not a regular file",
		"interp.so": "malformed ELF: its interpreter's name (PT_INTERP) claims 4611686018427387904 bytes",
		"sparse.so": "malformed ELF: its dynamic section (PT_DYNAMIC) claims 3221225472 bytes",
	} {
		if !strings.Contains(reasons[name], want) {
			t.Errorf("%s: skipped for %q, want %q", name, reasons[name], want)
		}
	}
	if _, ok := reasons["zero.so"]; ok || len(r.Skipped) != 3 {
		t.Errorf("skipped %+v", r.Skipped)
	}
	// The real extension module is still checked.
	if r.Scanned != 2 || len(r.Missing) != 4 {
		t.Errorf("scanned %d, missing %d", r.Scanned, len(r.Missing))
	}
	problems := map[string]string{}
	for _, v := range r.Venvs {
		problems[filepath.Base(string(v.Path))] = string(v.Problem)
	}
	if !strings.Contains(problems["fifopy"], "runs "+f.dirs().Show(filepath.Join(f.proj, "fifopy", "bin", "python3"))) ||
		!strings.Contains(problems["zero"], "has no bin/python3") {
		t.Errorf("venv problems %q", problems)
	}
	// --fix leaves each alone, and says why.
	var lines []string
	hangGuard(t, "doctor --fix on a hostile tree", func() { lines = Fix(f.allowedCheck(t), r, false) })
	text := strings.Join(lines, "\n")
	show := func(name string) string { return f.dirs().Show(filepath.Join(f.proj, name)) }
	for _, want := range []string{
		"cannot fix " + show("fifocfg") + ": its pyvenv.cfg is not a regular file; nothing changed",
		"not fixed in " + show("fifopy") + ": bin/python3 is a FIFO; left as it is",
		"cannot fix " + show("zero") + ": its pyvenv.cfg is a link to /dev/zero, not the venv's own file; nothing changed",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("fix said\n%s\nwant a line with %q", text, want)
		}
	}
}
