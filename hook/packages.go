package hook

// A project's nix packages, realised where it is entered: under a
// deadline, said before nix starts, stopped cleanly by Ctrl-C, and not
// tried again after a failure until the config, the nixpkgs source or the
// user (nixld packages) asks.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/nixld/nixld/nixpkgs"
)

const (
	// BuildTimeoutVar sets how long entering a project may build its
	// packages: a Go duration ("30s", "2m") or seconds; 0 builds none
	// on entry, leaving them to nixld packages.
	BuildTimeoutVar = "NIXLD_BUILD_TIMEOUT"
	// DefaultBuildTimeout is that deadline where the variable is unset:
	// time for a cached or substituted package, not for a compiler.
	DefaultBuildTimeout = 10 * time.Second
)

// BuildNotes is where entering says, before nix starts, what it builds:
// stderr, which a hook leaves on the terminal while it waits.
var BuildNotes io.Writer = os.Stderr

// ErrInterrupted ends a command whose package build the user stopped
// (nixld exec): where a shell enters, the project is entered without them.
var ErrInterrupted = errors.New("interrupted")

// packagesNote is withPackages' note; interrupted says the user stopped
// the build.
type packagesNote struct {
	msg         string
	interrupted bool
}

func (n *packagesNote) Error() string { return n.msg }

// interrupted reports whether err, from withPackages, says that the user
// stopped the build.
func interrupted(err error) bool {
	var n *packagesNote
	return errors.As(err, &n) && n.interrupted
}

// packageDir holds p's package roots, cache, build log and lock: beside
// its shims, so that nixld gc removes them together.
func (d Dirs) packageDir(p *Project) string { return filepath.Dir(d.ShimDir(p)) }

// PackageRequest is how p's packages are built: their GC roots, cache and
// build log live beside its shims, keyed by the config's content.
func (d Dirs) PackageRequest(p *Project, cfg *Config, env Env) nixpkgs.Request {
	return nixpkgs.Request{
		Dir: d.packageDir(p), Key: p.Hash, Packages: cfg.Packages,
		Nixpkgs: cfg.Nixpkgs, Project: p.Real, Env: env.Environ(),
	}
}

// buildTimeout is the deadline for building packages on entry (see
// BuildTimeoutVar), and a note where the variable is not one.
// maxBuildTimeout is the longest deadline NIXLD_BUILD_TIMEOUT sets: a
// day; a longer one is taken for a mistake.
const maxBuildTimeout = 24 * time.Hour

func buildTimeout(env Env) (time.Duration, string) {
	v, ok := env[BuildTimeoutVar]
	if !ok || v == "" {
		return DefaultBuildTimeout, ""
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 && n <= int(maxBuildTimeout/time.Second) {
		return time.Duration(n) * time.Second, ""
	}
	if t, err := time.ParseDuration(v); err == nil && t >= 0 && t <= maxBuildTimeout {
		return t, ""
	}
	return DefaultBuildTimeout, fmt.Sprintf("$%s=%q is not a duration like 30s or 2m, of at most a day; using %v", BuildTimeoutVar, v, DefaultBuildTimeout)
}

// withPackages puts the library directories of cfg's packages in
// cfg.PackageLibs: from an earlier build of the same config, or built
// with nix under the deadline of buildTimeout, or, where they are not all
// built, those that are. The error is then the one-line note saying why
// and what to run (see interrupted).
func (d Dirs) withPackages(p *Project, cfg *Config, env Env) error {
	if len(cfg.Packages) == 0 {
		return nil
	}
	req := d.PackageRequest(p, cfg, env)
	if libs, ok := req.Cached(); ok {
		cfg.PackageLibs = libs
		return nil
	}
	deadline, bad := buildTimeout(env)
	if bad != "" {
		fmt.Fprintln(BuildNotes, "nixld: "+bad)
	}
	if deadline == 0 {
		if _, libs, ok := req.LastFailure(); ok {
			cfg.PackageLibs = libs
		}
		return fmt.Errorf("not building %s (%s=0); 'nixld packages' builds %s in the foreground, with nix's progress",
			strings.Join(cfg.Packages, ", "), BuildTimeoutVar, them(cfg.Packages))
	}
	ctx, stop := interruptible()
	defer stop()
	started := false
	libs, err := req.Realise(ctx, nixpkgs.Options{Deadline: deadline,
		Starting: func(attrs []string) {
			started = true
			fmt.Fprintf(BuildNotes, "nixld: building %s with nix-build (up to %v; Ctrl-C stops it) ...\n", strings.Join(attrs, ", "), deadline)
		},
		Waiting: func(attrs []string) {
			fmt.Fprintf(BuildNotes, "nixld: waiting for another nixld building %s (up to %v) ...\n", strings.Join(attrs, ", "), deadline)
		},
	})
	cfg.PackageLibs = libs
	var be *nixpkgs.BuildError
	if !errors.As(err, &be) {
		if err != nil {
			return oneLine(d.ShowError(err))
		}
		return nil
	}
	what, it := strings.Join(be.Attrs, ", "), them(be.Attrs)
	foreground := fmt.Sprintf("'nixld packages' builds %s in the foreground, with nix's progress", it)
	switch {
	case be.Reason == nixpkgs.NoNix:
		return fmt.Errorf("cannot build %s: nix-build is not on PATH", what)
	case be.Reason == nixpkgs.Busy:
		return fmt.Errorf("another nixld is still building %s; entered without %s until it is done", what, it)
	case be.Reason == nixpkgs.Interrupted && started:
		return &packagesNote{fmt.Sprintf("stopped building %s; %s", what, foreground), true}
	case be.Reason == nixpkgs.Interrupted:
		return fmt.Errorf("not building %s, whose build was stopped; %s", what, foreground)
	case be.Reason == nixpkgs.TimedOut && started:
		return fmt.Errorf("building %s took over %v; stopped it. 'nixld packages' finishes the build in the foreground, with nix's progress", what, be.Deadline)
	case be.Reason == nixpkgs.TimedOut:
		return fmt.Errorf("not building %s, whose build took over %v; %s", what, be.Deadline, foreground)
	case started:
		return fmt.Errorf("cannot build %s; nix's error is in %s; 'nixld packages' tries again", what, d.Show(be.Log))
	default:
		return fmt.Errorf("not building %s, whose build failed (nix's error is in %s); 'nixld packages' tries again", what, d.Show(be.Log))
	}
}

// them is the pronoun for attrs.
func them(attrs []string) string {
	if len(attrs) == 1 {
		return "it"
	}
	return "them"
}

// interruptible is a context that Ctrl-C (SIGINT), SIGTERM or SIGHUP
// cancels, with cause nixpkgs.ErrInterrupted, instead of ending nixld:
// the build stops and the project is entered without it. Where the shell
// ignores SIGINT while its hook runs (as zsh's and fish's hooks have it),
// this takes it back for nixld.
func interruptible() (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		select {
		case <-sigs:
			cancel(nixpkgs.ErrInterrupted)
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel(nil)
	}
}

// CachedPackages fills cfg.PackageLibs from an earlier build, without
// running nix, and reports whether there was one.
func (d Dirs) CachedPackages(p *Project, cfg *Config, env Env) bool {
	if len(cfg.Packages) == 0 {
		return true
	}
	libs, ok := d.PackageRequest(p, cfg, env).Cached()
	cfg.PackageLibs = libs
	return ok
}

// BuildPackages builds, in the foreground, the packages of the allowed
// project at or above dir, whatever became of their last build: nix's own
// progress goes to progress, notes to BuildNotes, and only the user (with
// Ctrl-C) stops it. It returns the project and the library directories
// the packages add. A failure is remembered as one on entry is; success
// makes the next export of a shell in the project reload it with them.
// The error wraps ErrInterrupted where the user stopped the build.
func BuildPackages(d Dirs, env Env, dir string, progress io.Writer) (*Project, []string, error) {
	p, cfg, err := d.allowedProject(dir)
	if err != nil {
		return nil, nil, err
	}
	if len(cfg.Packages) == 0 {
		fmt.Fprintf(BuildNotes, "nixld: %s has no packages; nothing to build\n", d.Show(p.Config()))
		return p, nil, nil
	}
	req := d.PackageRequest(p, cfg, env)
	what := strings.Join(cfg.Packages, ", ")
	if libs, ok := req.Cached(); ok {
		fmt.Fprintf(BuildNotes, "nixld: %s already built\n", what)
		return p, libs, nil
	}
	ctx, stop := interruptible()
	defer stop()
	libs, err := req.Realise(ctx, nixpkgs.Options{Retry: true, Progress: progress,
		Starting: func(attrs []string) {
			fmt.Fprintf(BuildNotes, "nixld: building %s with nix-build ...\n", strings.Join(attrs, ", "))
		},
		Waiting: func(attrs []string) {
			fmt.Fprintf(BuildNotes, "nixld: waiting for another nixld building %s ...\n", strings.Join(attrs, ", "))
		},
	})
	var be *nixpkgs.BuildError
	switch {
	case errors.As(err, &be) && be.Reason == nixpkgs.Interrupted:
		return p, libs, fmt.Errorf("stopped building %s: %w", strings.Join(be.Attrs, ", "), ErrInterrupted)
	case errors.As(err, &be) && be.Reason == nixpkgs.Failed:
		return p, libs, fmt.Errorf("cannot build %s (nix's error is above, and in %s)", strings.Join(be.Attrs, ", "), d.Show(be.Log))
	case err != nil:
		return p, libs, oneLine(d.ShowError(err))
	}
	fmt.Fprintf(BuildNotes, "nixld: built %s\n", what)
	return p, libs, nil
}
