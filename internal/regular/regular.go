// Package regular reads files that may be anything a repository, a PATH
// directory or a venv can hold: a FIFO, a device, a link to /dev/zero, a
// sparse file of many gigabytes. Each is opened without blocking and
// without becoming a controlling terminal, proved a regular file on the
// open descriptor, and read only within its real size and a cap. Where
// the caller owns the file, reading leaves its access time alone: a
// shim's tells nixld gc when it last ran.
package regular

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// NotRegularError says what a path is instead of a regular file.
type NotRegularError struct {
	Path string
	Kind string // as Kind names it: "a FIFO", "a character device", ...
}

func (e *NotRegularError) Error() string {
	return fmt.Sprintf("%s is %s, not a regular file", e.Path, e.Kind)
}

// TooLargeError says a file is larger than a reader takes.
type TooLargeError struct {
	Path  string
	Limit int64 // bytes
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s is larger than %d KiB", e.Path, e.Limit>>10)
}

// Open opens name (following symlinks) for reading and returns it with
// its size in bytes, once the open descriptor proves it a regular file of
// at most limit bytes. Errors: the open's (*fs.PathError),
// *NotRegularError, or *TooLargeError.
func Open(name string, limit int64) (*os.File, int64, error) {
	flags := syscall.O_RDONLY | syscall.O_NONBLOCK | syscall.O_NOCTTY | syscall.O_CLOEXEC
	fd, err := syscall.Open(name, flags|syscall.O_NOATIME, 0)
	if err == syscall.EPERM { // O_NOATIME is for the file's owner only
		fd, err = syscall.Open(name, flags, 0)
	}
	if err != nil {
		return nil, 0, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	f := os.NewFile(uintptr(fd), name)
	fi, err := f.Stat()
	switch {
	case err != nil:
		f.Close()
		return nil, 0, err
	case !fi.Mode().IsRegular():
		f.Close()
		return nil, 0, &NotRegularError{name, Kind(fi.Mode())}
	case fi.Size() > limit:
		f.Close()
		return nil, 0, &TooLargeError{name, limit}
	}
	return f, fi.Size(), nil
}

// ReadAll reads the regular file name whole, if it is at most limit
// bytes; errors as Open's.
func ReadAll(name string, limit int64) ([]byte, error) {
	data, _, err := ReadAllInfo(name, limit)
	return data, err
}

// ReadAllInfo is ReadAll, with what the open file's fstat(2) says once it
// is read (its mtime then dates what was read, or later).
func ReadAllInfo(name string, limit int64) ([]byte, fs.FileInfo, error) {
	f, _, err := Open(name, limit)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	// It may have grown since: read at most limit+1 to tell.
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, nil, err
	}
	if int64(len(data)) > limit {
		return nil, nil, &TooLargeError{name, limit}
	}
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	return data, fi, nil
}

// ReadHead is at most the first n bytes of the regular file name, or nil.
func ReadHead(name string, n int) []byte {
	f, _, err := Open(name, 1<<62)
	if err != nil {
		return nil
	}
	defer f.Close()
	head := make([]byte, n)
	got, _ := io.ReadFull(f, head)
	return head[:got]
}

// Kind names a mode's file type for a message: "a FIFO", "a directory".
func Kind(mode fs.FileMode) string {
	switch {
	case mode&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case mode&fs.ModeCharDevice != 0:
		return "a character device"
	case mode&fs.ModeDevice != 0:
		return "a block device"
	case mode&fs.ModeSocket != 0:
		return "a socket"
	case mode.IsDir():
		return "a directory"
	case mode&fs.ModeSymlink != 0:
		return "a symbolic link"
	case mode.IsRegular():
		return "a regular file"
	}
	return "not a plain file"
}
