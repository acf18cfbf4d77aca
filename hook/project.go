package hook

// Projects: finding the nearest .nixld.toml at or above a directory and
// reading it safely, whatever a repository made of it.

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

const (
	// maxConfig bounds what nixld reads of a .nixld.toml.
	maxConfig = 1 << 20
	// readDeadline bounds how long reading it may take: a config on a
	// hung network mount must not hang the prompt.
	readDeadline = time.Second
	// pathMax is the kernel's limit on a path passed to a system call.
	pathMax = 4096
)

// Project is a directory holding a .nixld.toml.
type Project struct {
	Dir     string // as reached from the working directory
	Real    string // Dir with symlinks resolved: the identity for trust and shims
	Content []byte
	Hash    string // sha256 of Content, hex
}

// Config is the path of the project's .nixld.toml.
func (p *Project) Config() string { return filepath.Join(p.Dir, ConfigName) }

// Find returns the project of the nearest directory at or above start that
// holds a regular .nixld.toml, or nil if there is none. A directory that
// can't be searched holds none, as for the shell's own test -f; a path the
// kernel can't take is an error rather than a silent miss.
func Find(start string) (*Project, error) {
	dir := filepath.Clean(start)
	if !filepath.IsAbs(dir) {
		return nil, fmt.Errorf("%s is not an absolute path", dir)
	}
	for {
		name := filepath.Join(dir, ConfigName)
		if len(name) >= pathMax {
			return nil, fmt.Errorf("%s is %d bytes long; nixld can't look for %s in a path longer than %d bytes", abbreviate(dir), len(dir), ConfigName, pathMax)
		}
		fi, err := os.Stat(name)
		if err == nil && fi.Mode().IsRegular() {
			return Load(dir)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return nil, nil
		}
		dir = parent
	}
}

// Load reads the project whose .nixld.toml is in dir. The file may be
// anything a cloned repository can hold, so it is opened without
// blocking, checked to be a regular file on the open descriptor, capped
// in size and read under a deadline.
func Load(dir string) (*Project, error) {
	p := &Project{Dir: dir}
	content, err := readConfig(p.Config())
	if err != nil {
		return nil, err
	}
	p.Content = content
	sum := sha256.Sum256(p.Content)
	p.Hash = hex.EncodeToString(sum[:])
	if p.Real, err = filepath.EvalSymlinks(dir); err != nil {
		return nil, err
	}
	return p, nil
}

// readConfig uses system calls directly: os.File would register a
// pollable file such as /proc/kmsg with Go's poller and wait on it, where
// a plain read with O_NONBLOCK says at once that it would block.
func readConfig(name string) ([]byte, error) {
	fd, err := syscall.Open(name, syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	switch err := syscall.Fstat(fd, &st); {
	case err != nil:
		return nil, &fs.PathError{Op: "stat", Path: name, Err: err}
	case st.Mode&syscall.S_IFMT != syscall.S_IFREG:
		return nil, fmt.Errorf("%s is not a regular file", name)
	case st.Size > maxConfig:
		return nil, fmt.Errorf("%s is larger than 1 MiB", name)
	}
	type result struct {
		data []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		var data []byte
		buf := make([]byte, 64<<10)
		for len(data) <= maxConfig {
			n, err := syscall.Read(fd, buf)
			if err == syscall.EINTR {
				continue
			}
			if err != nil || n <= 0 {
				done <- result{data, err}
				return
			}
			data = append(data, buf[:n]...)
		}
		done <- result{data, nil}
	}()
	select {
	case r := <-done:
		switch {
		case r.err == syscall.EAGAIN:
			return nil, fmt.Errorf("%s can't be read without waiting; it is not a plain file", name)
		case r.err != nil:
			return nil, fmt.Errorf("read %s: %w", name, r.err)
		case len(r.data) > maxConfig:
			return nil, fmt.Errorf("%s is larger than 1 MiB", name)
		}
		return r.data, nil
	case <-time.After(readDeadline):
		// The reader is abandoned (and its descriptor with it); nixld
		// exits soon after.
		return nil, fmt.Errorf("reading %s took over %v; giving up", name, readDeadline)
	}
}

// ResolveArg turns a directory named on the command line into an absolute
// path, read the way the kernel reads it: where the name has a "..", the
// symlinks before it are followed first, so link/.. is the link target's
// parent and not ".". Without "..", cleaning as text gives the same
// directory and keeps the name the user knows it by.
func ResolveArg(arg string) (string, error) {
	abs, err := filepath.Abs(arg)
	if err != nil {
		return "", err
	}
	if len(abs) >= pathMax {
		return "", fmt.Errorf("%s is %d bytes long, longer than the %d bytes a path may have", abbreviate(abs), len(abs), pathMax)
	}
	if slices.Contains(strings.Split(arg, "/"), "..") {
		if !filepath.IsAbs(arg) {
			wd, err := os.Getwd()
			if err != nil {
				return "", err
			}
			arg = wd + "/" + arg
		}
		if abs, err = filepath.EvalSymlinks(arg); errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("%s does not exist", filepath.Clean(arg))
		} else if err != nil {
			return "", err
		}
	}
	if _, err := os.Stat(abs); errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("%s does not exist", abs)
	}
	return abs, nil
}

// abbreviate shortens a path too long to read in a message.
func abbreviate(path string) string {
	if len(path) <= 80 {
		return path
	}
	return strings.ToValidUTF8(path[:40]+"..."+path[len(path)-37:], "?")
}

// hashOf is the hex sha256 of s: trust records and shim directories are
// named by it.
func hashOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
