package hook

// What nixld export gives the hook of the project it entered, so that the
// hook can follow a cd within the project, or out of it, by itself.

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nixld/nixld/internal/regular"
	"github.com/nixld/nixld/shells"
)

// fastPath is what the hook keeps of the project r leaves the shell in
// (see shells.Fast), or nil where the hook must run nixld on every cd as
// before: no project entered, one entered without packages not built yet
// (nixld takes them in once they are), a config that is a symlink (where it leads
// may change without the file's content doing so), one over
// shells.MaxFastContent bytes or not UTF-8 text without NUL (which not
// every shell can hold), or a trust record that no longer says the
// config, as read, is allowed.
//
// The hook's walk must find this very file again, as it names it from
// $PWD: p.Dir is found from the logical working directory, as the hook's
// walk is. Leave is computed here by export itself, for the variables as
// entering leaves them; the hook applies it only while they still are.
//
// Both files are read again here, each dated by its mtime where that
// tells (see readDated): then Stamp names stamps with those mtimes, and
// the bash, zsh and fish hooks compare mtimes rather than content.
func (d Dirs) fastPath(env Env, r Result) *shells.Fast {
	p := r.project
	if p == nil || len(p.Content) > shells.MaxFastContent || !text(p.Content) {
		return nil
	}
	if fi, err := os.Lstat(p.Config()); err != nil || !fi.Mode().IsRegular() {
		return nil
	}
	// Changed since export read it: the next cd runs nixld anyway.
	content, configTime, configDated, err := readDated(p.Config(), shells.MaxFastContent)
	if err != nil || !bytes.Equal(content, p.Content) {
		return nil
	}
	record := d.record("allow", p)
	trust, recordTime, recordDated, err := readDated(record, 1<<20)
	if line, _, _ := bytes.Cut(trust, []byte("\n")); err != nil || string(line) != p.Hash || !text(trust) {
		return nil
	}
	entered := env.Apply(r.Ops)
	// Entered without packages not built yet: each cd asks nixld, which
	// takes them in once they are (nixld packages, in another shell).
	if st, err := decodeState(entered[StateVar]); err != nil || st.Pending {
		return nil
	}
	// Leaving from where entering left the variables: what export does in
	// a directory in no project. The project is allowed, so leaving
	// touches no file; quiet or not is the hook's to say when it leaves.
	left := export(d, nil, entered, nowhere, false)
	if len(left.Problems) > 0 || len(left.Ops) == 0 || !utf8.ValidString(p.Config()) || !utf8.ValidString(record) {
		return nil
	}
	fast := &shells.Fast{Config: p.Config(), Content: string(p.Content), Record: record, Trust: string(trust),
		Tracked: TrackedNames(), Leave: left.Ops, Left: left.Messages}
	if configDated && recordDated {
		fast.Stamp = d.writeStamps(p, configTime, recordTime)
	}
	return fast
}

// readDated reads the regular file name, of at most limit bytes, and its
// mtime once read, and says whether that mtime dates what was read: the
// file was last changed well before the read began, so that any later
// change gives it another mtime. Within the same tick of the kernel's
// clock (or second, on a file system that keeps no fraction of one) a
// change may leave the mtime as it was, and stampMargin covers that.
// Errors are regular.Open's.
func readDated(name string, limit int64) (data []byte, mtime time.Time, dated bool, err error) {
	start := time.Now()
	data, fi, err := regular.ReadAllInfo(name, limit)
	if err != nil {
		return nil, time.Time{}, false, err
	}
	return data, fi.ModTime(), dates(fi.ModTime(), start), nil
}

// dates reports whether a file's mtime, as read once a read that began at
// start ended, dates what was read (see readDated). An mtime of a whole
// second never does: a file system that keeps only seconds (or two, as
// FAT and zip do) gives one, and so do tools that put a time back on a
// file (cp -p, tar, rsync -t, unzip, git archive's tarballs), and every
// file in the nix store has the same one (1): two contents with the same
// mtime are then common, where the hook must tell them apart.
func dates(mtime, start time.Time) bool {
	return mtime.Nanosecond() != 0 && mtime.Before(start.Add(-stampMargin))
}

// stampMargin is how long before a read a file must have last changed
// for its mtime to date what was read: ten ticks of the coarsest kernel
// clock (100 Hz), which file systems with nanosecond mtimes take them
// from.
const stampMargin = 100 * time.Millisecond

// writeStamps makes, beside p's shim directory, the empty files the bash,
// zsh and fish hooks compare the config's and trust record's mtimes with
// (to the nanosecond, with -nt and -ot, which in zsh and fish fail for a
// file that is not there), and returns what their names begin with, ""
// where it could not: NAME.before a microsecond before the file's mtime
// and NAME.after one after, for NAME .toml (the config) and .allow (the record). A file
// newer than one and older than the other has its mtime still. They are
// named after the content entered, so that a shell that entered other
// content finds none; writing them removes those of any other content.
func (d Dirs) writeStamps(p *Project, config, record time.Time) string {
	root := filepath.Dir(d.ShimDir(p))
	stamp := filepath.Join(root, stampPrefix+p.Hash[:16])
	entries, _ := os.ReadDir(root)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), stampPrefix) && !strings.HasPrefix(e.Name(), filepath.Base(stamp)+".") {
			os.Remove(filepath.Join(root, e.Name()))
		}
	}
	for ext, mtime := range map[string]time.Time{".toml": config, ".allow": record} {
		for suffix, t := range map[string]time.Time{".before": mtime.Add(-time.Microsecond), ".after": mtime.Add(time.Microsecond)} {
			name := stamp + ext + suffix
			if err := writeIfChanged(name, nil, 0o644); err != nil {
				return ""
			}
			// A file system that keeps coarser times than these (FAT's
			// seconds) would blur them into the mtime itself.
			if os.Chtimes(name, t, t) != nil {
				return ""
			}
			if fi, err := os.Stat(name); err != nil || !fi.ModTime().Equal(t) {
				return ""
			}
		}
	}
	return stamp
}

// stampPrefix begins the names of writeStamps' files.
const stampPrefix = "entered-"

// text reports whether b is UTF-8 without NUL bytes, which every shell's
// variables hold and its reads give back as they are.
func text(b []byte) bool {
	return utf8.Valid(b) && bytes.IndexByte(b, 0) < 0
}

// TrackedNames are the variables nixld changes (see trackedNames), which
// the nu and elvish hooks compare with what nixld left them as.
func TrackedNames() []string { return append([]string(nil), trackedNames...) }
