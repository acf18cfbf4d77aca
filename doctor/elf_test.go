package doctor

// The ELF reader against debug/elf on real objects, and its fuzz target.

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// objects builds real ELF files with gcc, once per test binary: a shared
// library with DT_NEEDED, DT_RUNPATH and $ORIGIN, one with the old
// DT_RPATH, a PIE and a non-PIE executable, and a static one.
var objects = sync.OnceValues(func() (map[string]string, error) {
	dir, err := os.MkdirTemp("", "nixld-elf-")
	if err != nil {
		return nil, err
	}
	cleanups = append(cleanups, func() { os.RemoveAll(dir) })
	src := filepath.Join(dir, "x.c")
	os.WriteFile(src, []byte("int x(void) { return 1; }\nint main(void) { return 0; }\n"), 0o644)
	libs := filepath.Join(dir, "libs")
	os.MkdirAll(libs, 0o755)
	builds := map[string][]string{
		"libdep.so.1": {"-shared", "-fPIC", "-Wl,-soname,libdep.so.1"},
		"runpath.so": {"-shared", "-fPIC", "-Wl,--enable-new-dtags", "-Wl,-rpath,$ORIGIN/../libs:/opt/x", "-L" + dir, "-Wl,--no-as-needed",
			"-l:libdep.so.1", "-lm", "-lz"},
		"rpath.so": {"-shared", "-fPIC", "-Wl,--disable-new-dtags", "-Wl,-rpath,/opt/old", "-L" + dir, "-Wl,--no-as-needed", "-l:libdep.so.1"},
		"pie":      {"-fPIE", "-pie", "-L" + dir, "-Wl,--no-as-needed", "-l:libdep.so.1"},
		"nopie":    {"-no-pie"},
		"static":   {"-static"},
	}
	out := map[string]string{}
	for _, name := range []string{"libdep.so.1", "runpath.so", "rpath.so", "pie", "nopie", "static"} {
		target := filepath.Join(dir, name)
		args := append([]string{"-o", target, src}, builds[name]...)
		if err := ccErr(args...); err != nil {
			if name == "static" {
				continue // no libc.a here: the others cover the reader
			}
			return nil, err
		}
		out[name] = target
	}
	return out, nil
})

// cleanups run after all tests: what is built once for many.
var cleanups []func()

func TestMain(m *testing.M) {
	code := m.Run()
	for _, c := range cleanups {
		c()
	}
	os.Exit(code)
}

// builtObjects returns the gcc-built objects by name.
func builtObjects(t testing.TB) map[string]string {
	t.Helper()
	objs, err := objects()
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// debugELF reads what readObject reads, with the standard library's
// section-based reader: the reference for well-formed objects.
func debugELF(t *testing.T, name string) (needed, rpath, runpath []string, interp string) {
	f, err := elf.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	needed, _ = f.ImportedLibraries()
	rpath, _ = f.DynString(elf.DT_RPATH)
	runpath, _ = f.DynString(elf.DT_RUNPATH)
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			data := make([]byte, p.Filesz)
			p.ReadAt(data, 0)
			interp = strings.TrimRight(string(data), "\x00")
		}
	}
	return
}

func parseFile(t testing.TB, name string) (*object, error) {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return parseObject(&budget{r: bytes.NewReader(data), size: int64(len(data)), left: maxObject})
}

// On real objects, gcc's and the system's, the program-header reader
// finds what debug/elf finds through the sections.
func TestReadObjectAgreesWithDebugELF(t *testing.T) {
	names := []string{}
	for _, p := range builtObjects(t) {
		names = append(names, p)
	}
	for _, sys := range []string{"/usr/bin/python3.11", "/bin/true", "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libc.so.6"} {
		if _, err := os.Stat(sys); err == nil {
			names = append(names, sys)
		}
	}
	for _, name := range names {
		o, err := parseFile(t, name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		needed, rpath, runpath, interp := debugELF(t, name)
		if !slices.Equal(o.needed, needed) || !slices.Equal(o.rpath, rpath) || !slices.Equal(o.runpath, runpath) || o.interp != interp {
			t.Errorf("%s: needed %q rpath %q runpath %q interp %q; debug/elf: %q %q %q %q", name, o.needed, o.rpath, o.runpath, o.interp, needed, rpath, runpath, interp)
		}
	}
	objs := builtObjects(t)
	o, err := readObject(objs["runpath.so"])
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(objs["runpath.so"])
	if want := []string{filepath.Join(filepath.Dir(dir), "libs"), "/opt/x"}; !slices.Equal(o.runpath, want) {
		t.Errorf("runpath %q, want %q ($ORIGIN expanded)", o.runpath, want)
	}
	if !slices.Contains(o.needed, "libdep.so.1") {
		t.Errorf("needed %q", o.needed)
	}
}

// The loader never reads section headers; an object without them is
// still read (debug/elf reads none of its dynamic strings).
func TestReadObjectWithoutSectionHeaders(t *testing.T) {
	data, _ := os.ReadFile(builtObjects(t)["runpath.so"])
	binary.LittleEndian.PutUint64(data[40:], 0) // e_shoff
	binary.LittleEndian.PutUint16(data[60:], 0) // e_shnum
	binary.LittleEndian.PutUint16(data[62:], 0) // e_shstrndx
	o, err := parseObject(&budget{r: bytes.NewReader(data), size: int64(len(data)), left: maxObject})
	if err != nil || !slices.Contains(o.needed, "libdep.so.1") {
		t.Fatalf("%v %+v", err, o)
	}
}

// patch rewrites the 64-bit field at off within the first program header
// of type typ.
func patch(t testing.TB, data []byte, typ elf.ProgType, off int, v uint64) []byte {
	t.Helper()
	data = slices.Clone(data)
	phoff := binary.LittleEndian.Uint64(data[32:])
	phnum := binary.LittleEndian.Uint16(data[56:])
	for i := range uint64(phnum) {
		p := data[phoff+i*56:]
		if elf.ProgType(binary.LittleEndian.Uint32(p)) == typ {
			binary.LittleEndian.PutUint64(p[off:], v)
			return data
		}
	}
	t.Fatalf("no %v", typ)
	return nil
}

const (
	progOffset = 8
	progFilesz = 32
)

// manyNeeded is lib with a dynamic section of n DT_NEEDED entries in
// place of its own, appended at its end.
func manyNeeded(t *testing.T, lib []byte, n int) []byte {
	dyn := make([]byte, (n+1)*16)
	for i := range n {
		binary.LittleEndian.PutUint64(dyn[i*16:], uint64(elf.DT_NEEDED))
		binary.LittleEndian.PutUint64(dyn[i*16+8:], 1)
	}
	data := patch(t, append(slices.Clone(lib), dyn...), elf.PT_DYNAMIC, progOffset, uint64(len(lib)))
	return patch(t, data, elf.PT_DYNAMIC, progFilesz, uint64(len(dyn)))
}

// Headers that claim what the file does not hold are reported as
// malformed, without a large read or allocation.
func TestMalformedObjects(t *testing.T) {
	objs := builtObjects(t)
	pie, _ := os.ReadFile(objs["pie"])
	lib, _ := os.ReadFile(objs["runpath.so"])
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"PT_INTERP of 2^62 bytes", patch(t, pie, elf.PT_INTERP, progFilesz, 1<<62), "interpreter's name (PT_INTERP) claims 4611686018427387904 bytes"},
		{"PT_INTERP past the end", patch(t, pie, elf.PT_INTERP, progOffset, 1<<40), "PT_INTERP) points past the end"},
		{"PT_DYNAMIC of 3 GiB", patch(t, lib, elf.PT_DYNAMIC, progFilesz, 3<<30), "dynamic section (PT_DYNAMIC) claims 3221225472 bytes"},
		{"PT_DYNAMIC past the end", patch(t, lib, elf.PT_DYNAMIC, progOffset, uint64(len(lib))-8), "PT_DYNAMIC) points past the end"},
		{"2,000 DT_NEEDED", manyNeeded(t, lib, 2000), "it names 2000 libraries it needs (DT_NEEDED), over the 1024 nixld reads"},
		{"cut short", lib[:40], "ELF header is cut short"},
		{"program headers past the end", lib[:100], "program headers points past the end"},
	} {
		_, err := parseObject(&budget{r: bytes.NewReader(tc.data), size: int64(len(tc.data)), left: maxObject})
		var me *malformedError
		if !errors.As(err, &me) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want malformed ... %q", tc.name, err, tc.want)
		}
	}
	// A name in the string table longer than PATH_MAX, or without its NUL.
	table := strings.Repeat("a", 9000) + "\x00" + "libok.so.1\x00" + "unterminated"
	o := &object{strsz: uint64(len(table))}
	b := &budget{r: strings.NewReader(table), size: int64(len(table)), left: maxObject}
	if _, err := o.str(b, 0); err == nil || !strings.Contains(err.Error(), "longer than 4096 bytes") {
		t.Errorf("long name: %v", err)
	}
	if s, err := o.str(b, 9001); s != "libok.so.1" || err != nil {
		t.Errorf("name: %q %v", s, err)
	}
	if _, err := o.str(b, 9012); err == nil || !strings.Contains(err.Error(), "runs past the end of its string table") {
		t.Errorf("unterminated: %v", err)
	}
	if _, err := parseObject(&budget{r: strings.NewReader("#!/bin/sh\n"), size: 10, left: maxObject}); !errors.Is(err, errNotELF) {
		t.Errorf("script: %v", err)
	}
}

// isPython knows an ELF Python, linked to libpython (pyenv's) or with
// the C API built in (Debian's), from other executables.
func TestIsPython(t *testing.T) {
	for _, p := range []string{"/usr/bin/python3.11", realPython(t)} {
		if !isPython(p) {
			t.Errorf("%s is a Python", p)
		}
	}
	for _, p := range []string{builtObjects(t)["pie"], "/bin/true", builtObjects(t)["runpath.so"]} {
		if isPython(p) {
			t.Errorf("%s is no Python", p)
		}
	}
}

// FuzzReadObject feeds the reader mutations of real objects: it must
// return, within its read budget, for any bytes.
func FuzzReadObject(f *testing.F) {
	for _, name := range []string{"runpath.so", "rpath.so", "pie", "nopie", "static", "libdep.so.1"} {
		if p := builtObjects(f)[name]; p != "" {
			data, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Add([]byte(elf.ELFMAG))
	f.Fuzz(func(t *testing.T, data []byte) {
		b := &budget{r: bytes.NewReader(data), size: int64(len(data)), left: maxObject}
		o, err := parseObject(b)
		if b.left < 0 {
			t.Fatalf("read past its budget: %d", b.left)
		}
		if err != nil {
			return
		}
		for _, s := range slices.Concat(o.needed, o.rpath, o.runpath, []string{o.interp}) {
			if len(s) > maxName || strings.Contains(s, "\x00") {
				t.Fatalf("name of %d bytes: %q", len(s), s)
			}
		}
	})
}
