// The doctor command's wiring; the checks are in package doctor.
package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/nixld/nixld/doctor"
	"github.com/nixld/nixld/hook"
	"github.com/spf13/cobra"
)

// exitError ends nixld with a status and, where it has one, a message.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// usageError is err as bad usage: exit status 2, for every command.
func usageError(err error) error { return &exitError{2, err.Error()} }

func doctorCmd() *cobra.Command {
	var asJSON, fix, packages bool
	cmd := &cobra.Command{
		Use:   "doctor [DIR]",
		Short: "Check that the project's venvs will find every library they need, and name the packages for what is missing",
		Long: `Reads every shared object in the venvs of the project at or above DIR (its
own tree, nested projects left out, and its venvs in poetry's and pipenv's
directories) and looks each library it needs up as the interpreter's
loader will, started through nixld's shims: the library path they set,
the object's RUNPATH (a wheel's bundled libraries), the interpreter's own
libraries and its loader's defaults. It names the nixpkgs package for
each missing library (from nixld's table, your Nix store, or nix-locate),
with the fix for this project and for the whole system, and checks
nix-ld's directory, its variables, the hook, trust and the shims: those a
profile switched under, and (running python3's and each venv's once)
those that start Python under another name than theirs, as a launcher
such as pyenv's shims does.
Outside a project it checks the environment only.

--fix relinks the venvs of an allowed project to its shims, writing them
first if need be (none yet, or a profile switched under them), and never
to a shim that starts Python under another name; it changes nothing
outside a venv's own directory.
With --packages it also adds the packages it found to .nixld.toml,
which then needs 'nixld allow' again.

Exit status: 0 when all is well, 1 when something needs fixing, 2 on bad usage.`,
		Example: `  nixld doctor                 # the project here
  nixld doctor --json ~/src/app
  nixld doctor --fix --packages`,
		Args: func(cmd *cobra.Command, args []string) error {
			if err := maxOneDir(cmd, args); err != nil {
				return usageError(err)
			}
			if packages && !fix {
				return usageError(errors.New("doctor: --packages goes with --fix"))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			check, err := doctorCheck(dirArg(args))
			if err != nil {
				return err
			}
			lookups := doctor.NewLookups()
			check.Progress, check.Lookups = cmd.ErrOrStderr(), lookups
			r := doctor.Run(check)
			if fix {
				for _, line := range doctor.Fix(check, r, packages) {
					fmt.Fprintln(cmd.ErrOrStderr(), line)
				}
				// The fix may have edited .nixld.toml: look again.
				if check, err = doctorCheck(dirArg(args)); err != nil {
					return err
				}
				check.Progress, check.Lookups = cmd.ErrOrStderr(), lookups
				r = doctor.Run(check)
			}
			out := r.Text(check.Dirs.Show)
			if asJSON {
				out = r.JSON()
			}
			if _, err := io.WriteString(cmd.OutOrStdout(), out); err != nil {
				return err
			}
			if !r.OK() {
				return &exitError{code: 1}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON (its keys are in the README)")
	cmd.Flags().BoolVar(&fix, "fix", false, "relink the project's venvs to the shim for their Python, writing the shims if need be")
	cmd.Flags().BoolVar(&packages, "packages", false, "with --fix, add the packages found for missing libraries to .nixld.toml")
	return cmd
}

// doctorCheck is the one place doctor decides what it checks for DIR:
// the project whose .nixld.toml is at or above it, or, with none, the
// environment alone.
func doctorCheck(arg string) (doctor.Check, error) {
	dirs, env, err := setup()
	if err != nil {
		return doctor.Check{}, usageError(err)
	}
	root, err := hook.ResolveArg(arg)
	if err != nil {
		return doctor.Check{}, usageError(err)
	}
	check := doctor.Check{Dirs: dirs, Env: env, Root: root}
	p, err := hook.Find(root)
	if err != nil {
		return check, usageError(err)
	}
	// As `use nixld` chooses: an .envrc that uses nixld below a
	// .nixld.toml nixld did not allow is its own project, the file above
	// being someone else's.
	if dir := hook.FindDirenv(root); dir != "" && p != nil && dir != p.Dir && strings.HasPrefix(dir, p.Dir+"/") && dirs.TrustOf(p) != hook.Allowed {
		p = nil
	}
	if p != nil {
		check.Root, check.Project = p.Dir, p
		if check.Config, err = hook.ParseConfig(p, dirs.Home); err != nil {
			return check, fmt.Errorf("%s: %v", dirs.Show(p.Config()), err)
		}
		check.PackagesBuilt = dirs.CachedPackages(p, check.Config, env)
	} else if dir := hook.FindDirenv(root); dir != "" {
		// A project direnv manages, with the defaults and direnv's trust.
		if check.Project, err = hook.DirenvProject(dir); err != nil {
			return check, err
		}
		check.Root, check.Direnv, check.Config, check.PackagesBuilt = dir, true, hook.DefaultConfig, true
		check.DirenvAllowed, check.DirenvErr = hook.DirenvAllowed(dir)
	}
	return check, nil
}
