package hook

// Shims: rendering and writing each project's wrapper scripts, the
// prefix links a python3.withPackages interpreter needs, and the records
// beside them (which project, when a shim last ran).

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nixld/nixld/launch"
	"github.com/nixld/nixld/shells"
	"github.com/nixld/nixld/templates"
)

// Shim is one wrapper script: Name in the shim directory runs Target,
// under the shim's own name where Argv0, else under Target's (a venv's
// interpreter, see inVenv). Launch is how Target starts.
type Shim struct {
	Name   string
	Target string
	Argv0  bool
	Launch launch.Program
}

// stands reports whether s stands in for its versioned shim (python3 for
// python3.11): a venv made through it should link to the versioned one,
// which keeps its Python whatever python3 means in another shell.
func (s Shim) stands() bool {
	v := s.Launch.Version
	return v != "" && v != s.Name && s.Argv0
}

// ShimSet is what WriteShims left in a project's shim directory.
type ShimSet struct {
	Bin     string
	Shims   []Shim
	Missing []string // programs the config names but PATH lacks
}

// Names lists the wrapped programs.
func (s *ShimSet) Names() []string {
	names := make([]string, len(s.Shims))
	for i, sh := range s.Shims {
		names[i] = sh.Name
	}
	return names
}

// ShimRoot holds one directory per project: NAME-HASH/bin, its shims,
// beside the records nixld keeps for it.
func (d Dirs) ShimRoot() string { return filepath.Join(d.State, "shims") }

// ShimDir is p's shim directory: stable for the project's resolved path,
// named after it for humans and by its hash for uniqueness.
func (d Dirs) ShimDir(p *Project) string {
	base := unsafeName.ReplaceAllString(filepath.Base(p.Real), "_")
	return filepath.Join(d.ShimRoot(), base+"-"+hashOf(p.Real)[:16], "bin")
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._+-]+`)

// Isolated reports whether s gives the library path to its program alone
// (through the program's own loader), so that the programs it starts see
// LD_LIBRARY_PATH as it was; otherwise it exports LD_LIBRARY_PATH, as
// export_ld_library_path asks for every shim. Only CPython itself can be
// started so: given to a launcher (a version manager's shim), the library
// path would stop there. A static CPython needs none at all.
func (s Shim) Isolated(cfg *Config) bool {
	l := s.Launch
	switch {
	case cfg.ExportLD || !l.Python:
		return false
	case l.Kind == launch.Static:
		return true
	case l.Kind == launch.Script:
		return l.Loader != "" && l.SoleExec
	}
	return l.Loader != "" && (l.Kind == launch.ELF || l.Kind == launch.BinaryWrapper)
}

// shimData fills templates/shim.bash; every value is quoted for bash.
type shimData struct {
	Interpreter, Target, Name, Wanted, Project string
	SystemVar, DefaultLibs, Libraries          string
	// Delegate is the versioned shim a wrapper script's generic name runs.
	Delegate string
	// Argv0Path is the name the target runs under.
	Argv0Path string
	// Loader starts Exec (the ELF that Real, the target's file, runs),
	// giving the library path to it alone; "" where the target cannot be
	// started that way, or the project exports LD_LIBRARY_PATH.
	Loader, Real, Exec, LoaderArgv0 string
	// Wrapper is what a makeBinaryWrapper target does before it runs Exec,
	// as lines of bash, and Before and After the arguments it adds; Affix
	// says those lines need __nixld_affix.
	Wrapper       []string
	Before, After string
	Affix         bool
	// ScriptHook runs a makeWrapper target whose last line starts its
	// program through the loader.
	ScriptHook bool
	// TailLD exports LD_LIBRARY_PATH before the target runs as it is
	// (Source: sourced; else exec'd under Argv0Path).
	TailLD, Source, Stands bool
}

// RenderShim is the script for one shim in the shim directory bin.
func RenderShim(p *Project, cfg *Config, interp, bin string, s Shim) (string, error) {
	q := shells.Bash.Quote
	var libs strings.Builder
	for _, lib := range cfg.ExtraLibraries() {
		libs.WriteString(":" + q(lib))
	}
	l := s.Launch
	d := shimData{
		Interpreter: interp, Target: q(s.Target), Name: q(s.Name), Wanted: q(cmp.Or(l.Version, s.Name)),
		Project: q(p.Dir), SystemVar: SystemNixLDVar, DefaultLibs: q(DefaultNixLD), Libraries: libs.String(),
		Argv0Path: `"$0"`, Stands: s.stands(),
	}
	if !s.Argv0 {
		d.Argv0Path = `"${__nixld_target}"`
	}
	if s.stands() {
		versioned := q(filepath.Join(bin, l.Version))
		if l.Kind == launch.Script {
			d.Delegate = versioned
		} else {
			d.Argv0Path = versioned
		}
	}
	isolate := s.Isolated(cfg)
	switch {
	case isolate && l.Kind == launch.Static:
		// It loads no libraries, and the programs it starts get none.
	case isolate && l.Kind == launch.Script:
		d.ScriptHook, d.Loader, d.Exec = true, q(l.Loader), q(l.Exec)
	case isolate && (l.Kind == launch.ELF || l.Kind == launch.BinaryWrapper):
		d.Loader, d.Real, d.Exec, d.LoaderArgv0 = q(l.Loader), q(l.Real), q(l.Exec), d.Argv0Path
		if w := l.Wrapper; w != nil {
			d.Wrapper, d.Affix = wrapperLines(w)
			for _, a := range w.Before {
				d.Before += " " + q(a)
			}
			for _, a := range w.After {
				d.After += " " + q(a)
			}
			if !w.Inherit {
				d.LoaderArgv0 = q(w.Argv0)
			}
		}
		d.TailLD = true
	default:
		d.TailLD = true
	}
	d.Source = l.Kind == launch.Script && !d.ScriptHook
	return templates.Render("shim.bash", d)
}

// wrapperLines is what a makeBinaryWrapper wrapper does to the
// environment and working directory, as bash, and whether it uses
// __nixld_affix. Names are checked by package launch.
func wrapperLines(w *launch.Wrapper) (lines []string, affix bool) {
	q := shells.Bash.Quote
	for _, op := range w.Ops {
		switch op.Kind {
		case "set":
			lines = append(lines, "export "+op.Name+"="+q(op.Value))
		case "set-default":
			lines = append(lines, "[[ -v "+op.Name+" ]] || export "+op.Name+"="+q(op.Value))
		case "unset":
			lines = append(lines, "unset -v "+op.Name)
		case "prefix", "suffix":
			lines = append(lines, "__nixld_affix "+op.Kind+" "+op.Name+" "+q(op.Sep)+" "+q(op.Value))
			affix = true
		case "chdir":
			lines = append(lines, "cd -- "+q(op.Value)+" || exit 1")
		}
	}
	return lines, affix
}

// WriteShims brings p's shim directory up to date for the programs found
// on path: each shim is replaced atomically and only if it changed, and
// shims of programs no longer wrapped are removed. Where nothing it depends
// on changed since the last time (the PATH directories' fingerprint, the
// config, nixld's shim template), it reads no directory and writes nothing.
func (d Dirs) WriteShims(p *Project, cfg *Config, path string) (*ShimSet, error) {
	return d.writeShims(p, cfg, d.newLookup(path))
}

func (d Dirs) writeShims(p *Project, cfg *Config, l *lookup) (*ShimSet, error) {
	set := &ShimSet{Bin: d.ShimDir(p)}
	if strings.Contains(set.Bin, ":") {
		return nil, fmt.Errorf("shim directory %s contains ':' and cannot go on PATH; set XDG_STATE_HOME elsewhere", d.Show(set.Bin))
	}
	interp := l.interpreter()
	key := l.fingerprint(append([]string{p.Dir, p.Real, interp, DefaultNixLD, templates.Digest("shim.bash"),
		fmt.Sprint(cfg.Wrap == nil, cfg.ExportLD)}, append(cfg.Wrap, cfg.ExtraLibraries()...)...)...)
	cache := shimCacheFile(set.Bin)
	unlock, err := lockShims(set.Bin)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if c := readShimCache(cache); c.holds(key, dirStamp(set.Bin)) {
		set.Shims, set.Missing = c.Shims, c.Missing
		return set, nil
	}
	set.Shims, set.Missing = l.resolve(cfg)
	if err := writeProjectRecord(filepath.Dir(set.Bin), p.Real); err != nil {
		return nil, err
	}
	set.Shims = append(set.Shims, keptInterpreters(set.Bin, set.Shims)...)
	keep := map[string]bool{}
	for _, s := range set.Shims {
		code, err := RenderShim(p, cfg, interp, set.Bin, s)
		if err != nil {
			return nil, err
		}
		if err := writeScriptIfChanged(filepath.Join(set.Bin, s.Name), code); err != nil {
			return nil, err
		}
		keep[s.Name] = true
	}
	entries, err := os.ReadDir(set.Bin)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		// Dot files are other writers' temporary files.
		if !keep[e.Name()] && !strings.HasPrefix(e.Name(), ".") {
			// Another nixld may have removed it first.
			if err := removeIfExists(filepath.Join(set.Bin, e.Name())); err != nil {
				return nil, err
			}
		}
	}
	if err := writePrefixLinks(filepath.Dir(set.Bin), set.Shims); err != nil {
		return nil, err
	}
	// A cache that can't be written only costs the next entry some time.
	writeShimCache(cache, &shimCache{Key: key, Stamp: dirStamp(set.Bin), Shims: set.Shims, Missing: set.Missing,
		AbsentStore: l.absentStore(), Targets: targetsStamp(set.Shims)})
	return set, nil
}

// prefixDirs are what a Python's prefix holds besides lib/python3.X that
// Python programs look for there: headers (sysconfig's include, for
// building extensions) and data (share: Jupyter's extensions and kernels).
var prefixDirs = []string{"include", "share"}

// writePrefixLinks gives the shim directory's parent, root, the landmark
// CPython looks for above its argv[0]: root/lib/python3.X links to the
// lib/python3.X of each versioned shim's environment (see
// launch.Program.Prefix), so that a python3.withPackages interpreter run
// under its shim's name keeps its environment's packages, and a venv made
// through it (whose home is the shim directory) sees them too. root's
// include and share link to the first such environment's, as sys.prefix
// now names root. Links no shim needs any more go.
func writePrefixLinks(root string, shims []Shim) error {
	lib := filepath.Join(root, "lib")
	want := map[string]string{} // link, relative to root -> target
	first := ""
	for _, s := range shims {
		v, prefix := s.Launch.Version, s.Launch.Prefix
		if prefix == "" || s.Name != v {
			continue
		}
		want[filepath.Join("lib", v)] = filepath.Join(prefix, "lib", v)
		if first == "" {
			first = prefix
			// Debian's Python also reads lib/python3 below its prefix.
			for _, name := range append([]string{filepath.Join("lib", "python3")}, prefixDirs...) {
				if lexists(filepath.Join(prefix, name)) {
					want[name] = filepath.Join(prefix, name)
				}
			}
		}
	}
	entries, _ := os.ReadDir(lib)
	stale := slices.Clone(prefixDirs)
	for _, e := range entries {
		stale = append(stale, filepath.Join("lib", e.Name()))
	}
	for _, name := range stale {
		if _, ok := want[name]; ok {
			continue
		}
		if fi, err := os.Lstat(filepath.Join(root, name)); err == nil && fi.Mode()&os.ModeSymlink != 0 {
			if err := removeIfExists(filepath.Join(root, name)); err != nil {
				return err
			}
		}
	}
	for name, target := range want {
		link := filepath.Join(root, name)
		if cur, err := os.Readlink(link); err == nil && cur == target {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
			return err
		}
		if err := ReplaceWithSymlink(link, target); err != nil {
			return err
		}
	}
	return nil
}

// writeScriptIfChanged writes a shim that differs from the file there,
// after parsing it: a shim that does not parse is never written. Where
// the shim it replaces had run, the ran stamp beside the shim directory
// keeps that time (see LastRan).
func writeScriptIfChanged(name, code string) error {
	if unchanged(name, []byte(code), 0o755) {
		return nil
	}
	if err := shells.Bash.Validate(code); err != nil {
		return err
	}
	if ran, ok := shimRan(name); ok {
		stampRan(filepath.Join(filepath.Dir(filepath.Dir(name)), ranStamp), ran)
	}
	return WriteFileAtomic(name, []byte(code), 0o755)
}

// The files beside a project's shim directory, bin: project names the
// project, ran keeps when a shim since replaced last ran.
const (
	projectRecord = "project"
	ranStamp      = "ran"
)

// writeProjectRecord names the project real in root: its resolved path,
// then its device and inode, by which nixld gc can tell a project that
// was moved from one that is gone. Each ends in a NUL, which no path
// holds (a newline may).
func writeProjectRecord(root, real string) error {
	return writeIfChanged(filepath.Join(root, projectRecord), []byte(real+"\x00"+FileID(real)+"\x00"), 0o644)
}

// ReadProjectRecord reads the project record in root, a directory below
// the shim root: the project's resolved path and its FileID ("" where
// unknown). ok is false where root holds no record: it is nothing nixld
// wrote. nixld 0.1's records, the path and a newline, are read too.
func ReadProjectRecord(root string) (path, id string, ok bool) {
	data, err := readSmall(filepath.Join(root, projectRecord))
	if err != nil {
		return "", "", false
	}
	record := string(data)
	if !strings.Contains(record, "\x00") {
		record = strings.TrimSuffix(record, "\n") + "\x00"
	}
	path, rest, _ := strings.Cut(record, "\x00")
	id, _, _ = strings.Cut(rest, "\x00")
	return path, id, path != ""
}

// FileID identifies the directory or file at path, "" where it cannot be
// read: "DEV:INO:BTIME", its device, inode and birth time in nanoseconds
// (see statx(2)), or "DEV:INO" where the file system keeps no birth time.
// A rename keeps it; a new directory that reuses a deleted one's inode has
// another birth time.
func FileID(path string) string {
	var st unix.Statx_t
	if unix.Statx(unix.AT_FDCWD, path, 0, unix.STATX_INO|unix.STATX_BTIME, &st) != nil {
		return ""
	}
	id := fmt.Sprintf("%d:%d", unix.Mkdev(st.Dev_major, st.Dev_minor), st.Ino)
	if st.Mask&unix.STATX_BTIME != 0 {
		id += fmt.Sprintf(":%d", st.Btime.Sec*1e9+int64(st.Btime.Nsec))
	}
	return id
}

// shimRan reports when the shim name last ran: its access time, where
// that is later than its modification (a read since it was written; see
// nixld's own reads, which leave access times alone).
func shimRan(name string) (time.Time, bool) {
	var st syscall.Stat_t
	if syscall.Stat(name, &st) != nil {
		return time.Time{}, false
	}
	atime, mtime := time.Unix(st.Atim.Unix()), time.Unix(st.Mtim.Unix())
	return atime, atime.After(mtime)
}

// stampRan moves the ran stamp's time forward to t.
func stampRan(stamp string, t time.Time) {
	if fi, err := os.Stat(stamp); err == nil && !fi.ModTime().Before(t) {
		return
	}
	if f, err := os.OpenFile(stamp, os.O_WRONLY|os.O_CREATE, 0o644); err == nil {
		f.Close()
	}
	os.Chtimes(stamp, t, t)
}

// LastRan is when a shim in the project shim directory root last ran, as
// far as the file system tells (see RecordsAccess), and false where none
// has run since nixld wrote it.
func LastRan(root string) (time.Time, bool) {
	var last time.Time
	if fi, err := os.Stat(filepath.Join(root, ranStamp)); err == nil {
		last = fi.ModTime()
	}
	entries, _ := os.ReadDir(filepath.Join(root, "bin"))
	for _, e := range entries {
		if t, ok := shimRan(filepath.Join(root, "bin", e.Name())); ok && t.After(last) {
			last = t
		}
	}
	return last, !last.IsZero()
}

// scrubShims rewrites a project's shims without anything its config
// added (libraries, packages, the GPU directory): the project is no
// longer allowed, but venvs may still run through them. The next allowed
// entry writes them whole again.
func (d Dirs) scrubShims(bin string) error {
	real, _, ok := ReadProjectRecord(filepath.Dir(bin))
	if !ok {
		return nil // nothing nixld wrote
	}
	p := &Project{Dir: real, Real: real}
	interp := d.newLookup("").interpreter()
	for _, s := range shimsIn(bin) {
		code, err := RenderShim(p, DefaultConfig, interp, bin, s)
		if err != nil {
			return err
		}
		if err := writeScriptIfChanged(filepath.Join(bin, s.Name), code); err != nil {
			return err
		}
	}
	return removeIfExists(shimCacheFile(bin))
}

// keptInterpreters are the interpreter shims already in bin that this
// PATH has no program for: a venv may link to one, so it stays, running
// what it ran before (and saying so if that is gone). Shims of other
// programs no longer wrapped are removed.
func keptInterpreters(bin string, shims []Shim) []Shim {
	var kept []Shim
	for _, s := range shimsIn(bin) {
		if IsInterpreterName(s.Name) && !slices.ContainsFunc(shims, func(o Shim) bool { return o.Name == s.Name }) {
			kept = append(kept, s)
		}
	}
	return kept
}

// shimsIn reads the shims nixld wrote in bin back, with their targets.
func shimsIn(bin string) []Shim {
	entries, _ := os.ReadDir(bin)
	var shims []Shim
	for _, e := range entries {
		if target, shim := ScriptTarget(filepath.Join(bin, e.Name())); shim {
			shims = append(shims, newShim(e.Name(), target))
		}
	}
	return shims
}

func writeIfChanged(name string, data []byte, perm os.FileMode) error {
	if unchanged(name, data, perm) {
		return nil
	}
	return WriteFileAtomic(name, data, perm)
}

// unchanged reports whether name already holds data with mode perm.
func unchanged(name string, data []byte, perm os.FileMode) bool {
	old, err := readSmall(name)
	if err != nil || string(old) != string(data) {
		return false
	}
	fi, err := os.Stat(name)
	return err == nil && fi.Mode().Perm() == perm
}
