package hook

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// maxConfig bounds what nixld reads of a .nixld.toml.
const maxConfig = 1 << 20

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
// holds a .nixld.toml, or nil if there is none.
func Find(start string) (*Project, error) {
	dir := filepath.Clean(start)
	if !filepath.IsAbs(dir) {
		return nil, fmt.Errorf("%s is not an absolute path", dir)
	}
	for {
		fi, err := os.Stat(filepath.Join(dir, ConfigName))
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

// Load reads the project whose .nixld.toml is in dir.
func Load(dir string) (*Project, error) {
	p := &Project{Dir: dir}
	f, err := os.Open(p.Config())
	if err != nil {
		return nil, err
	}
	defer f.Close()
	p.Content, err = io.ReadAll(io.LimitReader(f, maxConfig+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p.Config(), err)
	}
	if len(p.Content) > maxConfig {
		return nil, fmt.Errorf("%s is larger than 1 MiB", p.Config())
	}
	sum := sha256.Sum256(p.Content)
	p.Hash = hex.EncodeToString(sum[:])
	if p.Real, err = filepath.EvalSymlinks(dir); err != nil {
		return nil, err
	}
	return p, nil
}

// hashOf is the hex sha256 of s: trust records and shim directories are
// named by it.
func hashOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
