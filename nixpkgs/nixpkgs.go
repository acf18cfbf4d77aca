// Package nixpkgs realises a project's nix packages with the user's own
// nix: the library output of each attribute, built with nix-build, kept
// alive by a GC root under nixld's state directory (as nix-direnv keeps
// its shells), and remembered by the config's content, so that entering
// the project again runs no nix at all. A build that failed, ran past its
// deadline or was interrupted is remembered too, with the nixpkgs source
// it was built from, so that it is not tried again on every entry.
package nixpkgs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"
)

// Attribute matches a nixpkgs attribute path such as xorg.libX11 or
// stdenv.cc.cc.lib.
var Attribute = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_'-]*(\.[A-Za-z_][A-Za-z0-9_'-]*)*$`)

// Request is what a project asks for.
type Request struct {
	Dir      string   // where the project's roots, cache and build log live
	Key      string   // what the result depends on: the config's content
	Packages []string // attribute paths
	// Nixpkgs is the config's nixpkgs: a path (absolute, or relative to
	// Project) or a flake reference. Empty: <nixpkgs> from NIX_PATH,
	// else the flake registry's nixpkgs.
	Nixpkgs string
	Project string
	Env     []string // the environment nix runs in
}

// Reason says why a build did not finish.
type Reason string

const (
	Failed      Reason = "failed"      // nix-build failed: nix's words are in the log
	TimedOut    Reason = "timed out"   // it ran past the deadline and was stopped
	Interrupted Reason = "interrupted" // the user stopped it (Ctrl-C), or nixld was told to stop
	NoNix       Reason = "no nix"      // nix-build is not on PATH; never remembered
	Busy        Reason = "busy"        // another nixld was building them all along; never remembered
)

// ErrInterrupted is the cause to cancel a build's context with when the
// user stops it: the build then ends Interrupted rather than Failed.
var ErrInterrupted = errors.New("interrupted")

// BuildError is a build that did not finish, now or (from LastFailure)
// before, under the same request and nixpkgs source.
type BuildError struct {
	Attrs    []string      `json:"attrs"`              // the attributes not built
	Reason   Reason        `json:"reason"`             // why they were not
	Log      string        `json:"log,omitempty"`      // where nix's words are, for Failed
	Deadline time.Duration `json:"deadline,omitempty"` // for TimedOut
}

func (e *BuildError) Error() string {
	what := strings.Join(e.Attrs, ", ")
	switch e.Reason {
	case TimedOut:
		return fmt.Sprintf("building %s took over %v", what, e.Deadline)
	case Interrupted:
		return fmt.Sprintf("building %s was interrupted", what)
	case NoNix:
		return fmt.Sprintf("cannot build %s: nix-build is not on PATH", what)
	case Busy:
		return fmt.Sprintf("another nixld is still building %s", what)
	}
	return fmt.Sprintf("cannot build %s; nix's error is in %s", what, e.Log)
}

// cache is packages.json: the library directories of a complete build.
type cache struct {
	Key  string   `json:"key"`
	Libs []string `json:"libs"`
}

// failure is failed.json: a build that did not finish, what it did build
// (Libs), and the source it was built from.
type failure struct {
	Key    string     `json:"key"`
	Source string     `json:"source"`
	Libs   []string   `json:"libs"`
	Error  BuildError `json:"error"`
}

func (r Request) cacheFile() string   { return filepath.Join(r.Dir, "packages.json") }
func (r Request) failureFile() string { return filepath.Join(r.Dir, "failed.json") }
func (r Request) lockFile() string    { return filepath.Join(r.Dir, "build.lock") }

// LogFile keeps nix's own words when a build fails.
func (r Request) LogFile() string { return filepath.Join(r.Dir, "build.log") }

func (r Request) key() string {
	sum := sha256.Sum256([]byte(r.Key + "\x00" + r.Nixpkgs + "\x00" + strings.Join(r.Packages, "\x00")))
	return hex.EncodeToString(sum[:])
}

// Cached returns the library directories of an earlier build of the same
// request, as long as they all still exist.
func (r Request) Cached() ([]string, bool) {
	var c cache
	if !readJSON(r.cacheFile(), &c) || c.Key != r.key() || !allExist(c.Libs) {
		return nil, false
	}
	return c.Libs, true
}

// LastFailure returns the build of the same request that did not finish,
// with the library directories it did build, where the nixpkgs source is
// still the one it was built from: until the config, the source or the
// user (Options.Retry) asks, it is not tried again.
func (r Request) LastFailure() (*BuildError, []string, bool) {
	var f failure
	if !readJSON(r.failureFile(), &f) || f.Key != r.key() || f.Source != r.SourceStamp() || !allExist(f.Libs) {
		return nil, nil, false
	}
	return &f.Error, f.Libs, true
}

// Options say how Realise builds.
type Options struct {
	// Retry builds even where LastFailure has the same build failing.
	Retry bool
	// Progress, where set, gets nix's own build output as it comes (the
	// foreground build of nixld packages): nix-build then stays in
	// nixld's process group, so that the terminal's Ctrl-C reaches it.
	// Unset, nix-build runs in a process group of its own, its output
	// kept for the log, and a cancelled context stops the whole group.
	Progress io.Writer
	// Deadline, where set, bounds the whole of Realise, waiting for
	// another nixld's build included; past it the build is stopped and
	// ends TimedOut.
	Deadline time.Duration
	// Starting is called once just before nix starts, with the
	// attributes it is to build.
	Starting func(attrs []string)
	// Waiting is called where another nixld is building them, before
	// waiting for it.
	Waiting func(attrs []string)
}

// Realise returns the library directories of the packages, building them
// where the cache does not already have them, under ctx: its deadline
// or its cancellation (with cause ErrInterrupted where the user stopped
// it) stops nix-build and its process group. Only one nixld builds a
// project's packages at a time; another waits for it, as long as ctx
// lets it. Where not all are built, the error is a *BuildError, and the
// directories are those of the attributes that were.
func (r Request) Realise(ctx context.Context, o Options) ([]string, error) {
	if libs, ok := r.Cached(); ok {
		return libs, nil
	}
	if err := os.MkdirAll(filepath.Join(r.Dir, "roots"), 0o755); err != nil {
		return nil, err
	}
	if o.Deadline > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Deadline)
		defer cancel()
	}
	unlock, err := lock(ctx, r.lockFile(), func() {
		if o.Waiting != nil {
			o.Waiting(r.Packages)
		}
	})
	if ctx.Err() != nil {
		e := r.stopped(ctx, r.Packages, o.Deadline)
		if e.Reason == TimedOut {
			e.Reason = Busy
		}
		return nil, e
	} else if err != nil {
		return nil, err
	}
	defer unlock()
	// Another nixld may have built them, or failed to, while this one
	// waited.
	if libs, ok := r.Cached(); ok {
		return libs, nil
	}
	if !o.Retry {
		if e, libs, ok := r.LastFailure(); ok {
			return libs, e
		}
	}
	for _, attr := range r.Packages {
		if !Attribute.MatchString(attr) {
			return nil, fmt.Errorf("packages: %q is not a nixpkgs attribute path", attr)
		}
	}
	if o.Starting != nil {
		o.Starting(r.Packages)
	}
	source, flakes := r.source()
	var libs []string
	var failed []string
	log := &buildLog{}
	for i, attr := range r.Packages {
		out, err := r.build(ctx, o.Progress, log, source, flakes, attr)
		if errors.Is(err, exec.ErrNotFound) {
			return libs, &BuildError{Attrs: r.Packages[i:], Reason: NoNix}
		}
		if err != nil && ctx.Err() != nil {
			r.writeLog(log.String())
			return libs, r.remember(libs, r.stopped(ctx, append(failed, r.Packages[i:]...), o.Deadline))
		}
		if err != nil {
			failed = append(failed, attr)
			continue
		}
		for _, path := range strings.Fields(out) {
			if lib := filepath.Join(path, "lib"); isDir(lib) {
				libs = append(libs, lib)
			}
		}
	}
	if len(failed) > 0 {
		r.writeLog(log.String())
		return libs, r.remember(libs, &BuildError{Attrs: failed, Reason: Failed, Log: r.LogFile()})
	}
	os.Remove(r.failureFile())
	if err := writeJSON(r.cacheFile(), cache{Key: r.key(), Libs: libs}); err != nil {
		return nil, err
	}
	return libs, nil
}

// stopped is the error for attrs when ctx ended the build: past its
// deadline, or interrupted.
func (r Request) stopped(ctx context.Context, attrs []string, deadline time.Duration) *BuildError {
	if errors.Is(context.Cause(ctx), context.DeadlineExceeded) {
		return &BuildError{Attrs: attrs, Reason: TimedOut, Deadline: deadline}
	}
	return &BuildError{Attrs: attrs, Reason: Interrupted}
}

// remember keeps e, with what was built, until the config, the nixpkgs
// source or the user asks for the build again.
func (r Request) remember(libs []string, e *BuildError) *BuildError {
	writeJSON(r.failureFile(), failure{Key: r.key(), Source: r.SourceStamp(), Libs: libs, Error: *e})
	return e
}

func (r Request) writeLog(text string) {
	os.WriteFile(r.LogFile(), []byte(text), 0o644)
}

// build runs nix-build for one attribute and returns what it printed (the
// store paths). Its stderr goes to log, and to progress where set.
func (r Request) build(ctx context.Context, progress io.Writer, log *buildLog, source string, flakes bool, attr string) (string, error) {
	root := filepath.Join(r.Dir, "roots", attr)
	args := []string{"--out-link", root, "--expr", expression(source, attr)}
	if progress == nil {
		args = append([]string{"--no-build-output"}, args...)
	}
	if flakes {
		args = append([]string{"--extra-experimental-features", "nix-command flakes"}, args...)
	}
	fmt.Fprintf(log, "nix-build %s\n", strings.Join(args, " "))
	cmd := exec.CommandContext(ctx, "nix-build", args...)
	cmd.Env = r.Env
	stdout := &buildLog{}
	cmd.Stdout = stdout
	cmd.Stderr = log
	if progress != nil {
		cmd.Stderr = io.MultiWriter(log, progress)
		// In the terminal's process group, nix-build has the Ctrl-C
		// already; this is for a deadline or another signal.
		cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	} else {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		// nix-build stops its builders itself on SIGTERM; what is left
		// of the group when it has not ended after WaitDelay is killed.
		cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
	}
	cmd.WaitDelay = stopGrace
	err := cmd.Run()
	if progress == nil && cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	return stdout.String(), err
}

// buildLog keeps what builds print within a bound: the first and the
// last logHalf bytes, and how much between them was left out. A build
// that prints without end fills neither memory nor the disk.
type buildLog struct {
	head, tail []byte
	dropped    int64
}

const logHalf = 512 << 10

func (l *buildLog) Write(p []byte) (int, error) {
	n := len(p)
	if room := logHalf - len(l.head); room > 0 {
		k := min(room, len(p))
		l.head, p = append(l.head, p[:k]...), p[k:]
	}
	l.tail = append(l.tail, p...)
	if over := len(l.tail) - logHalf; over > 0 {
		l.dropped += int64(over)
		l.tail = append(l.tail[:0], l.tail[over:]...)
	}
	return n, nil
}

func (l *buildLog) String() string {
	if l.dropped == 0 {
		return string(l.head) + string(l.tail)
	}
	return fmt.Sprintf("%s\n[... %d bytes left out ...]\n%s", l.head, l.dropped, l.tail)
}

// stopGrace is how long nix-build has to stop after being told to, and to
// close its output, before it is killed.
const stopGrace = 3 * time.Second

// lock takes the project's build lock, calling waiting once where
// another process holds it and then waiting while ctx lets it.
func lock(ctx context.Context, name string, waiting func()) (func(), error) {
	f, err := os.OpenFile(name, os.O_CREATE|os.O_RDWR|syscall.O_CLOEXEC, 0o644)
	if err != nil {
		return nil, err
	}
	for try := 0; ; try++ {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, err
		}
		if try == 0 {
			waiting()
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// source is the Nix expression for the package set, and whether it needs
// flakes.
func (r Request) source() (string, bool) {
	switch spec := r.Nixpkgs; {
	case spec == "":
		if r.getenv("NIX_PATH") != "" {
			return "import <nixpkgs> { }", false
		}
		return `(builtins.getFlake "nixpkgs").legacyPackages.${builtins.currentSystem}`, true
	case isPath(spec):
		path, _ := Local(spec, r.Project)
		return "import " + nixString(path) + " { }", false
	default:
		return "(builtins.getFlake " + nixString(spec) + ").legacyPackages.${builtins.currentSystem}", true
	}
}

func (r Request) getenv(name string) string {
	for _, kv := range r.Env {
		if v, ok := strings.CutPrefix(kv, name+"="); ok {
			return v
		}
	}
	return ""
}

// SourceStamp identifies, as far as this machine can see without asking
// the network, the nixpkgs source the packages are built from: the
// setting, what NIX_PATH's nixpkgs resolves to, the files of a local
// source (a store path stands for its content) and the flake
// registries. A failed build is tried again once it changes.
func (r Request) SourceStamp() string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00", r.Nixpkgs)
	if path, ok := Local(r.Nixpkgs, r.Project); ok {
		stampTree(h, path)
	} else if r.Nixpkgs == "" && r.getenv("NIX_PATH") != "" {
		nixPath := r.getenv("NIX_PATH")
		fmt.Fprintf(h, "%s\x00", nixPath)
		if path, ok := nixPathEntry(nixPath, "nixpkgs"); ok {
			stampTree(h, path)
		}
	} else {
		// A flake reference, or the registry's nixpkgs: the registries
		// say what an indirect one means.
		config := r.getenv("XDG_CONFIG_HOME")
		if !filepath.IsAbs(config) {
			config = filepath.Join(r.getenv("HOME"), ".config")
		}
		for _, reg := range []string{filepath.Join(config, "nix", "registry.json"), "/etc/nix/registry.json"} {
			if fi, err := os.Stat(reg); err == nil {
				fmt.Fprintf(h, "%s %d %d\x00", reg, fi.Size(), fi.ModTime().UnixNano())
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// nixPathEntry finds name on a NIX_PATH as Nix does: an entry name=PATH
// (or name=PATH/... for a prefix), else name inside a plain directory
// entry, the first that exists.
func nixPathEntry(nixPath, name string) (string, bool) {
	for _, entry := range strings.Split(nixPath, ":") {
		if prefix, path, ok := strings.Cut(entry, "="); ok {
			if prefix == name && filepath.IsAbs(path) {
				return path, true
			}
			continue
		}
		if cand := filepath.Join(entry, name); filepath.IsAbs(entry) && exists(cand) {
			return cand, true
		}
	}
	return "", false
}

// maxStamped bounds the files a source's stamp looks at; a tree larger
// than that (a whole nixpkgs checkout) is stamped by its first ones.
const maxStamped = 4096

// stampTree writes path's identity to w: the store path it resolves to,
// which never changes, or else each file's name, size and modification
// time, in lexical order (.git left out), of the directory it is or is in.
func stampTree(w io.Writer, path string) {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		fmt.Fprintf(w, "missing %s\x00", path)
		return
	}
	if strings.HasPrefix(real, storeDir()+"/") {
		fmt.Fprintf(w, "%s\x00", real)
		return
	}
	if fi, err := os.Stat(real); err == nil && !fi.IsDir() {
		real = filepath.Dir(real)
	}
	n := 0
	filepath.WalkDir(real, func(p string, e fs.DirEntry, err error) error {
		if n++; n > maxStamped {
			return filepath.SkipAll
		}
		if err != nil {
			return nil
		}
		if e.IsDir() && e.Name() == ".git" {
			return filepath.SkipDir
		}
		if fi, err := e.Info(); err == nil {
			fmt.Fprintf(w, "%s %v %d %d\x00", p, fi.Mode(), fi.Size(), fi.ModTime().UnixNano())
		}
		return nil
	})
}

// storeDir is the Nix store ($NIX_STORE_DIR, else /nix/store).
func storeDir() string {
	if dir := os.Getenv("NIX_STORE_DIR"); filepath.IsAbs(dir) {
		return filepath.Clean(dir)
	}
	return "/nix/store"
}

// isPath reports whether a nixpkgs setting is a path rather than a flake
// reference.
func isPath(spec string) bool {
	return strings.HasPrefix(spec, "/") || strings.HasPrefix(spec, "./") || strings.HasPrefix(spec, "../")
}

// Local is the file or directory on this machine that a nixpkgs setting
// names, absolute (a relative one is relative to project), and whether it
// names one at all: a path, or a path:, git+file: or file: flake
// reference. Its Nix code runs when packages are built from it.
func Local(spec, project string) (string, bool) {
	if !isPath(spec) {
		rest, ok := "", false
		for _, scheme := range []string{"path:", "git+file://", "git+file:", "file://", "file:"} {
			if rest, ok = strings.CutPrefix(spec, scheme); ok {
				break
			}
		}
		if !ok || rest == "" {
			return "", false
		}
		rest, _, _ = strings.Cut(rest, "?")
		rest, _, _ = strings.Cut(rest, "#")
		spec = rest
	}
	if !filepath.IsAbs(spec) {
		spec = filepath.Join(project, spec)
	}
	return filepath.Clean(spec), true
}

// Describe names, for humans, where packages come from under a nixpkgs
// setting spec in environment env (os.Environ form): the setting itself,
// or what an empty one means there.
func Describe(spec string, env []string) string {
	if spec != "" {
		return spec
	}
	if (Request{Env: env}).getenv("NIX_PATH") != "" {
		return "<nixpkgs> from NIX_PATH"
	}
	return "nixpkgs from the flake registry"
}

// expression selects attr from the package set and takes its library
// output where it has one.
func expression(source, attr string) string {
	var names []string
	for _, n := range strings.Split(attr, ".") {
		names = append(names, nixString(n))
	}
	return fmt.Sprintf("let pkgs = %s; d = builtins.foldl' (s: n: builtins.getAttr n s) pkgs [ %s ]; in d.lib or d.out or d",
		source, strings.Join(names, " "))
}

// nixString quotes s as a Nix string: backslash, quote and the "${" that
// would start an interpolation are escaped.
func nixString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "${", `\${`, "\n", `\n`, "\r", `\r`, "\t", `\t`).Replace(s) + `"`
}

// readJSON reads a small state file of nixld's own into v.
func readJSON(name string, v any) bool {
	data, err := os.ReadFile(name)
	return err == nil && json.Unmarshal(data, v) == nil
}

// writeJSON replaces name with v through a rename: a reader sees the old
// file or the new one. An error names name, not the temporary file.
func writeJSON(name string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	tmp := fmt.Sprintf("%s.%d.tmp", name, os.Getpid())
	err = os.WriteFile(tmp, data, 0o644)
	if err == nil {
		err = os.Rename(tmp, name)
	}
	if err != nil {
		os.Remove(tmp)
		var pe *fs.PathError
		var le *os.LinkError
		if errors.As(err, &pe) {
			err = pe.Err
		} else if errors.As(err, &le) {
			err = le.Err
		}
		return &fs.PathError{Op: "write", Path: name, Err: err}
	}
	return nil
}

func allExist(paths []string) bool {
	for _, p := range paths {
		if !exists(p) {
			return false
		}
	}
	return true
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}
