package doctor

// What the loader reads of a shared object: its dependencies, its search
// paths and its interpreter, found as the loader finds them, through the
// program headers (PT_DYNAMIC, PT_INTERP, PT_LOAD), never the section
// headers, which a loader ignores and a stripped object may lack.
//
// debug/elf reads whole sections (all of .dynstr, tens of megabytes in a
// big library) and only through the section headers, so the headers are
// decoded here, with its constants, and every length a header claims is
// checked against the file's real size and a cap before anything is
// read or allocated: a patched header is reported as malformed, never
// followed.

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// Caps on what one object's headers may claim. Real objects stay far
// below each: a few program headers, a dynamic section of some dozens of
// entries, names shorter than PATH_MAX.
const (
	maxPhdrs   = 64 << 10 // the kernel refuses more program headers than fit in 64 KiB
	maxDynamic = 1 << 20
	maxName    = 4096 // PATH_MAX: a soname, RPATH or interpreter path
	maxNeeded  = 1024 // DT_NEEDED entries: a real object has some dozens
)

type object struct {
	path    string
	class   elf.Class
	machine elf.Machine
	needed  []string
	rpath   []string // DT_RPATH, which the loader ignores where DT_RUNPATH is set
	runpath []string
	interp  string // PT_INTERP: the loader an executable names
	// strtab is the dynamic string table's offset and size in the file.
	strtab, strsz uint64
}

// malformedError is an ELF file the loader would reject or misread.
type malformedError struct{ reason string }

func (e *malformedError) Error() string { return "malformed ELF: " + e.reason }

func malformed(format string, args ...any) error {
	return &malformedError{fmt.Sprintf(format, args...)}
}

// errNotELF is a file without the ELF magic.
var errNotELF = errors.New("not an ELF file")

// isELF reports whether name is a regular file starting with the ELF
// magic; a FIFO or a device is never opened for reading.
func isELF(name string) bool {
	f, _, err := openRegular(name)
	if err != nil {
		return false
	}
	defer f.Close()
	var magic [4]byte
	_, err = io.ReadFull(f, magic[:])
	return err == nil && string(magic[:]) == elf.ELFMAG
}

// readObject reads the dynamic linking information of the ELF file name,
// with $ORIGIN in its search paths replaced by its real directory.
// Errors: the open's, *regular.NotRegularError, errNotELF, or *malformedError.
func readObject(name string) (*object, error) {
	f, size, err := openRegular(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	o, err := parseObject(&budget{r: f, size: size, left: maxObject})
	if err != nil {
		return nil, err
	}
	o.path = name
	origin := name
	if real, err := filepath.EvalSymlinks(name); err == nil {
		origin = real
	}
	origin = filepath.Dir(origin)
	o.rpath = searchDirs(o.rpath, origin)
	o.runpath = searchDirs(o.runpath, origin)
	return o, nil
}

// searchDirs splits DT_RPATH or DT_RUNPATH values into absolute
// directories, $ORIGIN expanded; relative entries (the working directory
// at run time) are left out.
func searchDirs(values []string, origin string) []string {
	var dirs []string
	expand := strings.NewReplacer("${ORIGIN}", origin, "$ORIGIN", origin)
	for _, v := range values {
		for _, dir := range strings.Split(v, ":") {
			if dir = expand.Replace(dir); filepath.IsAbs(dir) {
				dirs = append(dirs, filepath.Clean(dir))
			}
		}
	}
	return dirs
}

// header is the part of the ELF header the loader needs.
type header struct {
	class     elf.Class
	order     binary.ByteOrder
	typ       elf.Type
	machine   elf.Machine
	phoff     uint64
	phentsize uint64
	phnum     uint64
}

func readHeader(b *budget) (*header, error) {
	ident := make([]byte, elf.EI_NIDENT)
	if _, err := b.ReadAt(ident, 0); err != nil {
		return nil, errNotELF
	}
	if string(ident[:4]) != elf.ELFMAG {
		return nil, errNotELF
	}
	h := &header{class: elf.Class(ident[elf.EI_CLASS])}
	switch elf.Data(ident[elf.EI_DATA]) {
	case elf.ELFDATA2LSB:
		h.order = binary.LittleEndian
	case elf.ELFDATA2MSB:
		h.order = binary.BigEndian
	default:
		return nil, malformed("unknown byte order %d", ident[elf.EI_DATA])
	}
	var rest []byte
	var err error
	switch h.class {
	case elf.ELFCLASS64:
		rest, err = b.bytesAt(elf.EI_NIDENT, 64-elf.EI_NIDENT)
	case elf.ELFCLASS32:
		rest, err = b.bytesAt(elf.EI_NIDENT, 52-elf.EI_NIDENT)
	default:
		return nil, malformed("unknown class %d", ident[elf.EI_CLASS])
	}
	if err != nil {
		return nil, malformed("the ELF header is cut short")
	}
	o := h.order
	h.typ = elf.Type(o.Uint16(rest[0:]))
	h.machine = elf.Machine(o.Uint16(rest[2:]))
	if h.class == elf.ELFCLASS64 {
		h.phoff = o.Uint64(rest[16:])
		h.phentsize, h.phnum = uint64(o.Uint16(rest[38:])), uint64(o.Uint16(rest[40:]))
	} else {
		h.phoff = uint64(o.Uint32(rest[12:]))
		h.phentsize, h.phnum = uint64(o.Uint16(rest[26:])), uint64(o.Uint16(rest[28:]))
	}
	return h, nil
}

// prog is one program header.
type prog struct {
	typ                elf.ProgType
	off, vaddr, filesz uint64
}

func (h *header) progs(b *budget) ([]prog, error) {
	want := uint64(56)
	if h.class == elf.ELFCLASS32 {
		want = 32
	}
	if h.phnum == 0 {
		return nil, nil
	}
	if h.phentsize != want {
		return nil, malformed("program headers of %d bytes, not %d", h.phentsize, want)
	}
	if h.phnum*want > maxPhdrs {
		return nil, malformed("%d program headers", h.phnum)
	}
	data, err := b.bytesAt(h.phoff, h.phnum*want)
	if err != nil {
		return nil, malformed("the program headers %v", err)
	}
	o := h.order
	progs := make([]prog, h.phnum)
	for i := range progs {
		p := data[uint64(i)*want:]
		if h.class == elf.ELFCLASS64 {
			progs[i] = prog{elf.ProgType(o.Uint32(p[0:])), o.Uint64(p[8:]), o.Uint64(p[16:]), o.Uint64(p[32:])}
		} else {
			progs[i] = prog{elf.ProgType(o.Uint32(p[0:])), uint64(o.Uint32(p[4:])), uint64(o.Uint32(p[8:])), uint64(o.Uint32(p[16:]))}
		}
	}
	return progs, nil
}

// fileOffset maps a virtual address to its offset in the file through
// the PT_LOAD segment that holds it.
func fileOffset(progs []prog, addr uint64) (uint64, uint64, bool) {
	for _, p := range progs {
		if p.typ == elf.PT_LOAD && addr >= p.vaddr && addr-p.vaddr < p.filesz {
			delta := addr - p.vaddr
			return p.off + delta, p.filesz - delta, true
		}
	}
	return 0, 0, false
}

// parseObject reads an ELF executable or shared object's dynamic linking
// information from b. Search paths are returned as written (rpath and
// runpath hold the raw DT_RPATH and DT_RUNPATH strings).
func parseObject(b *budget) (*object, error) {
	h, err := readHeader(b)
	if err != nil {
		return nil, err
	}
	switch h.typ {
	case elf.ET_DYN, elf.ET_EXEC:
	default:
		return nil, malformed("it is %v, not an executable or shared object", h.typ)
	}
	progs, err := h.progs(b)
	if err != nil {
		return nil, err
	}
	o := &object{class: h.class, machine: h.machine}
	var dynamic *prog
	for i, p := range progs {
		switch p.typ {
		case elf.PT_INTERP:
			if o.interp != "" {
				continue
			}
			if p.filesz == 0 || p.filesz > maxName {
				return nil, malformed("its interpreter's name (PT_INTERP) claims %d bytes", p.filesz)
			}
			data, err := b.bytesAt(p.off, p.filesz)
			if err != nil {
				return nil, malformed("its interpreter's name (PT_INTERP) %v", err)
			}
			name, _, _ := bytes.Cut(data, []byte{0})
			o.interp = string(name)
		case elf.PT_DYNAMIC:
			if dynamic == nil {
				dynamic = &progs[i]
			}
		}
	}
	if dynamic == nil {
		return o, nil // static: it needs nothing
	}
	if dynamic.filesz > maxDynamic {
		return nil, malformed("its dynamic section (PT_DYNAMIC) claims %d bytes", dynamic.filesz)
	}
	data, err := b.bytesAt(dynamic.off, dynamic.filesz)
	if err != nil {
		return nil, malformed("its dynamic section (PT_DYNAMIC) %v", err)
	}
	entry := uint64(16)
	if h.class == elf.ELFCLASS32 {
		entry = 8
	}
	var needed, rpath, runpath []uint64
	var strtab uint64
	haveStrtab, haveStrsz := false, false
	for off := uint64(0); off+entry <= uint64(len(data)); off += entry {
		var tag elf.DynTag
		var val uint64
		if h.class == elf.ELFCLASS64 {
			tag, val = elf.DynTag(h.order.Uint64(data[off:])), h.order.Uint64(data[off+8:])
		} else {
			tag, val = elf.DynTag(int32(h.order.Uint32(data[off:]))), uint64(h.order.Uint32(data[off+4:]))
		}
		if tag == elf.DT_NULL {
			break
		}
		switch tag {
		case elf.DT_NEEDED:
			needed = append(needed, val)
		case elf.DT_RPATH:
			rpath = append(rpath, val)
		case elf.DT_RUNPATH:
			runpath = append(runpath, val)
		case elf.DT_STRTAB:
			strtab, haveStrtab = val, true
		case elf.DT_STRSZ:
			o.strsz, haveStrsz = val, true
		}
	}
	if len(needed)+len(rpath)+len(runpath) == 0 {
		return o, nil
	}
	if len(needed) > maxNeeded {
		return nil, malformed("it names %d libraries it needs (DT_NEEDED), over the %d nixld reads", len(needed), maxNeeded)
	}
	if !haveStrtab {
		return nil, malformed("its dynamic section names libraries but has no string table (DT_STRTAB)")
	}
	off, room, ok := fileOffset(progs, strtab)
	if !ok {
		return nil, malformed("its string table (DT_STRTAB) is outside every loaded segment")
	}
	if !haveStrsz || o.strsz > room {
		o.strsz = room
	}
	o.strtab = off
	for _, group := range []struct {
		offs []uint64
		to   *[]string
	}{{needed, &o.needed}, {rpath, &o.rpath}, {runpath, &o.runpath}} {
		for _, at := range group.offs {
			s, err := o.str(b, at)
			if err != nil {
				return nil, err
			}
			*group.to = append(*group.to, s)
		}
	}
	return o, nil
}

// str reads the NUL-terminated string at offset at of the dynamic string
// table, in small steps: most names are short.
func (o *object) str(b *budget, at uint64) (string, error) {
	if at >= o.strsz {
		return "", malformed("a name at %d lies past its string table's %d bytes", at, o.strsz)
	}
	var name []byte
	// Each step reads at least one byte and at most maxName+1 in all.
	for step := uint64(64); len(name) <= maxName; step = min(step*4, maxName) {
		start := at + uint64(len(name))
		n := max(1, min(step, o.strsz-start, uint64(maxName+1-len(name))))
		chunk, err := b.bytesAt(o.strtab+start, n)
		if err != nil {
			return "", malformed("a name in its string table %v", err)
		}
		if i := bytes.IndexByte(chunk, 0); i >= 0 {
			return string(append(name, chunk[:i]...)), nil
		}
		name = append(name, chunk...)
		if at+uint64(len(name)) >= o.strsz {
			return "", malformed("a name runs past the end of its string table")
		}
	}
	return "", malformed("a name in its string table is longer than %d bytes", maxName)
}

// isPython reports whether name is an ELF Python interpreter: an
// executable that needs libpython3, or exports the interpreter's entry
// point Py_BytesMain (a statically linked CPython exports its C API for
// extension modules). Its dynamic string table is read within the
// object cap.
func isPython(name string) bool {
	f, size, err := openRegular(name)
	if err != nil {
		return false
	}
	defer f.Close()
	b := &budget{r: f, size: size, left: maxObject}
	o, err := parseObject(b)
	if err != nil || o.interp == "" {
		return false
	}
	for _, soname := range o.needed {
		if strings.HasPrefix(soname, "libpython3") {
			return true
		}
	}
	if o.strsz == 0 {
		return false
	}
	table, err := b.bytesAt(o.strtab, o.strsz)
	return err == nil && bytes.Contains(table, []byte("\x00Py_BytesMain\x00"))
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
