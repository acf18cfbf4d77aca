package doctor

// What the loader reads of a shared object: its dependencies, its search
// paths and its interpreter. Only the ELF headers and the dynamic section
// are read, never the code.

import (
	"debug/elf"
	"os"
	"path/filepath"
	"strings"
)

type object struct {
	path    string
	needed  []string
	rpath   []string // DT_RPATH, which the loader ignores where DT_RUNPATH is set
	runpath []string
	interp  string
}

// isELF reports whether name starts with the ELF magic, cheaply.
func isELF(name string) bool {
	f, err := os.Open(name)
	if err != nil {
		return false
	}
	defer f.Close()
	var magic [4]byte
	n, _ := f.Read(magic[:])
	return n == 4 && string(magic[:]) == elf.ELFMAG
}

func readObject(name string) (*object, error) {
	f, err := elf.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	o := &object{path: name}
	o.needed, _ = f.ImportedLibraries()
	origin := name
	if real, err := filepath.EvalSymlinks(name); err == nil {
		origin = real
	}
	origin = filepath.Dir(origin)
	for _, tag := range []elf.DynTag{elf.DT_RPATH, elf.DT_RUNPATH} {
		values, _ := f.DynString(tag)
		var dirs []string
		for _, v := range values {
			for _, dir := range strings.Split(v, ":") {
				dir = strings.NewReplacer("${ORIGIN}", origin, "$ORIGIN", origin).Replace(dir)
				if filepath.IsAbs(dir) {
					dirs = append(dirs, filepath.Clean(dir))
				}
			}
		}
		if tag == elf.DT_RPATH {
			o.rpath = dirs
		} else {
			o.runpath = dirs
		}
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			data := make([]byte, p.Filesz)
			if _, err := p.ReadAt(data, 0); err == nil {
				o.interp = strings.TrimRight(string(data), "\x00")
			}
		}
	}
	return o, nil
}

// searchPath is where the loader looks for o's dependencies, in its order:
// DT_RPATH (only without DT_RUNPATH), LD_LIBRARY_PATH, DT_RUNPATH, then
// the loader's defaults.
func (o *object) searchPath(ldLibraryPath, defaults []string) []string {
	var dirs []string
	if len(o.runpath) == 0 {
		dirs = append(dirs, o.rpath...)
	}
	dirs = append(dirs, ldLibraryPath...)
	dirs = append(dirs, o.runpath...)
	return append(dirs, defaults...)
}
