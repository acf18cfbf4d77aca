package launch

// Reading program files: ELF headers for PT_INTERP, and the bytes of a
// loader or wrapper, each bounded and opened without blocking (a program
// on PATH may be anything, a FIFO included).

import (
	"bytes"
	"debug/elf"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/nixld/nixld/internal/regular"
)

const (
	// maxProgram bounds the ELF files nixld parses the headers of.
	maxProgram = 1 << 30
	// maxInterp bounds a PT_INTERP string; the kernel itself takes at
	// most a page.
	maxInterp = 4096
	// maxScan bounds the files nixld reads whole: loaders (about 250 KiB)
	// and wrappers (tens of KiB).
	maxScan = 8 << 20
)

// readELF returns the PT_INTERP of the ELF executable name, and whether
// name is a dynamically linked one (ELF), a static one (Static) or
// something else (Other).
func readELF(name string) (interp string, kind Kind) {
	f, size, err := regular.Open(name, maxProgram)
	if err != nil {
		return "", Other
	}
	defer f.Close()
	ef, err := elf.NewFile(io.NewSectionReader(f, 0, size))
	if err != nil || (ef.Type != elf.ET_EXEC && ef.Type != elf.ET_DYN) {
		return "", Other
	}
	for _, p := range ef.Progs {
		if p.Type != elf.PT_INTERP {
			continue
		}
		if p.Filesz == 0 || p.Filesz > maxInterp {
			return "", Other
		}
		data := make([]byte, p.Filesz)
		if _, err := p.ReadAt(data, 0); err != nil {
			return "", Other
		}
		return string(bytes.TrimRight(data, "\x00")), ELF
	}
	// Without one it loads no libraries (static, or static-pie).
	return "", Static
}

// maxPython bounds how much of a program isPython reads: a CPython with
// libpython linked in is a few MiB.
const maxPython = 256 << 20

// isPython reports whether the ELF program name is CPython itself: it
// needs libpython3.X.so (a shared build, as nixpkgs' and pyenv's), or has
// libpython in it (Py_BytesMain, as Debian's).
func isPython(name string) bool {
	f, size, err := regular.Open(name, maxProgram)
	if err != nil {
		return false
	}
	defer f.Close()
	if ef, err := elf.NewFile(io.NewSectionReader(f, 0, size)); err == nil {
		needed, _ := ef.ImportedLibraries()
		for _, lib := range needed {
			if strings.HasPrefix(lib, "libpython3") {
				return true
			}
		}
	}
	return scanFor(io.NewSectionReader(f, 0, min(size, maxPython)), []byte("Py_BytesMain\x00"))
}

// scanFor reports whether r holds needle, reading it in chunks.
func scanFor(r io.Reader, needle []byte) bool {
	buf := make([]byte, 1<<20+len(needle))
	keep := 0
	for {
		n, err := io.ReadFull(r, buf[keep:])
		if bytes.Contains(buf[:keep+n], needle) {
			return true
		}
		if err != nil {
			return false
		}
		keep = copy(buf, buf[keep+n-len(needle)+1:keep+n])
	}
}

// readAll reads name whole if it is a regular file of at most limit
// bytes, or returns nil.
func readAll(name string, limit int64) []byte {
	data, _ := regular.ReadAll(name, limit)
	return data
}

// usableLoader is interp where it is a dynamic loader that can start a
// program under another name with its own library path (ld.so's --argv0,
// glibc 2.33 and later, besides --library-path); "" otherwise.
func usableLoader(interp string) string {
	if !filepath.IsAbs(interp) {
		return ""
	}
	data := readAll(interp, maxScan)
	if !bytes.Contains(data, []byte("--argv0")) || !bytes.Contains(data, []byte("--library-path")) {
		return ""
	}
	return interp
}

func isFile(name string) bool {
	fi, err := os.Stat(name)
	return err == nil && fi.Mode().IsRegular()
}
