package hook

// What nixld export gives the hook of the project it entered, so that the
// hook can follow a cd within the project, or out of it, by itself.

import (
	"bytes"
	"os"
	"unicode/utf8"

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
func (d Dirs) fastPath(env Env, r Result) *shells.Fast {
	p := r.project
	if p == nil || len(p.Content) > shells.MaxFastContent || !text(p.Content) {
		return nil
	}
	if fi, err := os.Lstat(p.Config()); err != nil || !fi.Mode().IsRegular() {
		return nil
	}
	record := d.record("allow", p)
	trust, err := readSmall(record)
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
	return &shells.Fast{Config: p.Config(), Content: string(p.Content), Record: record, Trust: string(trust),
		Tracked: TrackedNames(), Leave: left.Ops, Left: left.Messages}
}

// text reports whether b is UTF-8 without NUL bytes, which every shell's
// variables hold and its reads give back as they are.
func text(b []byte) bool {
	return utf8.Valid(b) && bytes.IndexByte(b, 0) < 0
}

// TrackedNames are the variables nixld changes (see trackedNames), which
// the nu and elvish hooks compare with what nixld left them as.
func TrackedNames() []string { return append([]string(nil), trackedNames...) }
