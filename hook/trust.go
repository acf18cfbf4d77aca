package hook

// Trust: the user's allow and deny decisions, kept per config path with
// the content hash they were made for.

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// Trust is what the user decided about a project's .nixld.toml.
type Trust int

const (
	NotAllowed Trust = iota // never allowed or denied
	Allowed                 // allowed with exactly this content
	Changed                 // allowed, but the content changed since
	Denied                  // denied with nixld deny
)

func (t Trust) String() string {
	return [...]string{"not allowed", "allowed", "changed since allowed", "denied"}[t]
}

// The trust store keeps one file per project config, named by the hash of
// its resolved path: allow/<hash> holds the content hash it was allowed
// with, deny/<hash> marks a denial.
func (d Dirs) record(kind string, p *Project) string {
	return filepath.Join(d.Data, kind, hashOf(filepath.Join(p.Real, ConfigName)))
}

// TrustOf reads the user's decision about p.
func (d Dirs) TrustOf(p *Project) Trust {
	if data, err := os.ReadFile(d.record("allow", p)); err == nil {
		line, _, _ := bytes.Cut(data, []byte("\n"))
		if string(line) == p.Hash {
			return Allowed
		}
		return Changed
	}
	if _, err := os.Stat(d.record("deny", p)); err == nil {
		return Denied
	}
	return NotAllowed
}

// Allow trusts p's config as it is now, replacing any earlier decision.
func (d Dirs) Allow(p *Project) error {
	rec := p.Hash + "\n" + filepath.Join(p.Real, ConfigName) + "\n"
	if err := WriteFileAtomic(d.record("allow", p), []byte(rec), 0o644); err != nil {
		return err
	}
	return removeIfExists(d.record("deny", p))
}

// Deny withdraws trust in p's config and keeps nixld quiet about it. Its
// shims stop adding the project's libraries at once.
func (d Dirs) Deny(p *Project) error {
	rec := filepath.Join(p.Real, ConfigName) + "\n"
	if err := WriteFileAtomic(d.record("deny", p), []byte(rec), 0o644); err != nil {
		return err
	}
	if err := removeIfExists(d.record("allow", p)); err != nil {
		return err
	}
	return d.scrubShims(d.ShimDir(p))
}

func removeIfExists(name string) error {
	if err := os.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
