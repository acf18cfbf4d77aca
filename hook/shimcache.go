package hook

// The per-project record of the last entry's lookups, and the lock that
// keeps two shells entering at once from writing one project's shims
// together.

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// shimCache is what WriteShims found and wrote, under the fingerprint of
// everything that went into it, and the shim directory's stamp after the
// writing: a shim removed or added since shows in the stamp.
type shimCache struct {
	Key         string
	Stamp       string
	Shims       []Shim
	Missing     []string
	AbsentStore []string `json:",omitempty"` // see lookup.absentStore
	// Targets identifies the files the shims run, which a package manager
	// may rewrite in place (cp over it keeps the inode and the
	// directory's times): see targetsStamp.
	Targets string
}

// holds reports whether the cache answers for key and the shim directory
// as it is: nothing it depends on changed, and no store directory that
// was missing has appeared.
func (c *shimCache) holds(key, stamp string) bool {
	if c == nil || c.Key != key || c.Stamp != stamp {
		return false
	}
	for _, dir := range c.AbsentStore {
		if lexists(dir) {
			return false
		}
	}
	return c.Targets == targetsStamp(c.Shims)
}

// targetsStamp identifies the files shims run, symlinks followed: device,
// inode, modification and change times of each.
func targetsStamp(shims []Shim) string {
	var b strings.Builder
	for _, s := range shims {
		var st syscall.Stat_t
		if syscall.Stat(s.Target, &st) == nil {
			fmt.Fprintf(&b, "%d:%d:%d:%d;", st.Dev, st.Ino, st.Mtim.Nano(), st.Ctim.Nano())
		} else {
			b.WriteString("-;")
		}
	}
	return b.String()
}

// shimCacheFile lies beside the shim directory, so that it is never a shim.
func shimCacheFile(bin string) string { return filepath.Join(filepath.Dir(bin), "lookup.json") }

func readShimCache(name string) *shimCache {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil
	}
	c := &shimCache{}
	if json.Unmarshal(data, c) != nil {
		return nil
	}
	return c
}

func writeShimCache(name string, c *shimCache) {
	data, _ := json.Marshal(c)
	WriteFileAtomic(name, data, 0o644)
}

// dirStamp identifies a directory's entries: device, inode and the times
// every rename into or out of it moves.
func dirStamp(dir string) string {
	var st syscall.Stat_t
	if syscall.Stat(dir, &st) != nil {
		return ""
	}
	return fmt.Sprintf("%d:%d:%d:%d", st.Dev, st.Ino, st.Mtim.Nano(), st.Ctim.Nano())
}

// lockWait bounds how long an entry waits for another nixld writing the
// same project's shims, which takes milliseconds: a stuck one must not
// hang the prompt.
const lockWait = 2 * time.Second

// lockShims takes the project's shim lock, creating its directory.
func lockShims(bin string) (unlock func(), err error) {
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return nil, err
	}
	name := filepath.Join(filepath.Dir(bin), "lock")
	fd, err := syscall.Open(name, syscall.O_RDWR|syscall.O_CREAT|syscall.O_CLOEXEC, 0o644)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: name, Err: err}
	}
	deadline := time.Now().Add(lockWait)
	for {
		err = syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { syscall.Close(fd) }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) || time.Now().After(deadline) {
			syscall.Close(fd)
			return nil, fmt.Errorf("another nixld holds %s: %v", name, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
