package doctor

// Reading files a repository ships. Any of them may be a FIFO, a device,
// a link to /dev/zero, or a sparse file of many gigabytes: each is opened
// without blocking, checked to be a regular file on the open descriptor,
// and read only within its real size and a cap.

import (
	"errors"
	"io"
	"os"

	"github.com/nixld/nixld/internal/regular"
)

// Caps on what doctor reads of one file.
const (
	maxSmallFile = 1 << 20  // pyvenv.cfg, pyproject.toml, Pipfile, ld.so.conf
	maxCompare   = 1 << 30  // an interpreter compared byte for byte with its copy
	maxObject    = 16 << 20 // of one ELF object: headers, dynamic section, strings
)

// openRegular opens name (following symlinks) for reading without
// blocking, and returns it with its size once the open descriptor proves
// it a regular file (see package regular, which caps nothing here: the
// ELF reader checks every length against the size). Errors: the open's,
// or *regular.NotRegularError.
func openRegular(name string) (*os.File, int64, error) {
	return regular.Open(name, 1<<62)
}

// readSmall reads a small regular file whole: at most maxSmallFile bytes,
// a *regular.TooLargeError beyond.
func readSmall(name string) ([]byte, error) { return regular.ReadAll(name, maxSmallFile) }

// sameContent reports whether regular files a and b hold the same bytes,
// comparing at most maxCompare of them; anything else is not the same.
func sameContent(a, b string) bool {
	fa, sa, err := openRegular(a)
	if err != nil {
		return false
	}
	defer fa.Close()
	fb, sb, err := openRegular(b)
	if err != nil {
		return false
	}
	defer fb.Close()
	if sa != sb || sa > maxCompare {
		return false
	}
	bufA, bufB := make([]byte, 256<<10), make([]byte, 256<<10)
	for {
		na, errA := io.ReadFull(fa, bufA)
		nb, errB := io.ReadFull(fb, bufB)
		if na != nb || string(bufA[:na]) != string(bufB[:nb]) {
			return false
		}
		endA := errors.Is(errA, io.EOF) || errors.Is(errA, io.ErrUnexpectedEOF)
		endB := errors.Is(errB, io.EOF) || errors.Is(errB, io.ErrUnexpectedEOF)
		switch {
		case endA && endB:
			return true
		case endA != endB, errA != nil && !endA, errB != nil && !endB:
			return false
		}
	}
}

// budget is a file read within its size and a total number of bytes:
// a header that points past the end of the file, or asks for more than
// the budget, is an error rather than a long read or a huge allocation.
type budget struct {
	r    io.ReaderAt
	size int64 // the file's real size
	left int64 // bytes that may still be read
}

var (
	errPastEnd = errors.New("points past the end of the file")
	errBudget  = errors.New("asks for more data than any real object has")
)

// ReadAt reads exactly len(p) bytes at off, or fails.
func (b *budget) ReadAt(p []byte, off int64) (int, error) {
	n := int64(len(p))
	if off < 0 || off > b.size || n > b.size-off {
		return 0, errPastEnd
	}
	if n > b.left {
		return 0, errBudget
	}
	b.left -= n
	got, err := b.r.ReadAt(p, off)
	if got == len(p) {
		return got, nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		err = errPastEnd // the file shrank
	}
	return got, err
}

// bytesAt reads n bytes at off, checking n before allocating.
func (b *budget) bytesAt(off, n uint64) ([]byte, error) {
	if n > uint64(b.size) || off > uint64(b.size) {
		return nil, errPastEnd
	}
	if int64(n) > b.left {
		return nil, errBudget
	}
	buf := make([]byte, n)
	_, err := b.ReadAt(buf, int64(off))
	return buf, err
}
