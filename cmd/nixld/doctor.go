// The doctor command's wiring; the checks are in package doctor.
package main

import (
	"fmt"
	"io"

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
	var asJSON, fix bool
	cmd := &cobra.Command{
		Use:   "doctor [DIR]",
		Short: "Check that the project's venvs will find every library they need, and name the packages for what is missing",
		Long: `Reads every shared object in the venvs of the project at or above DIR and
looks each library it needs up as the interpreter's loader will, started
through nixld's shims: the library path they set, the object's RUNPATH
(a wheel's bundled libraries), the interpreter's own libraries and its
loader's defaults. It names the nixpkgs package for each missing library,
with the fix for this project and for the whole system, and checks
nix-ld's directory, its variables, the hook, trust and the shims.

Exit status: 0 when all is well, 1 when something needs fixing, 2 on bad usage.`,
		Example: `  nixld doctor ~/src/myproject
  nixld doctor --fix          # relink venvs that bypass the shims
  nixld doctor --json | jq .missing`,
		Args: maxOneDir,
		RunE: func(cmd *cobra.Command, args []string) error {
			dirs, env, err := setup()
			if err != nil {
				return usageError(err)
			}
			root, err := hook.ResolveArg(dirArg(args))
			if err != nil {
				return usageError(err)
			}
			check := doctor.Check{Dirs: dirs, Env: env, Root: root}
			if p, err := hook.Find(root); err != nil {
				return usageError(err)
			} else if p != nil {
				check.Root, check.Project = p.Dir, p
				if check.Config, err = hook.ParseConfig(p, dirs.Home); err != nil {
					return fmt.Errorf("%s: %v", dirs.Show(p.Config()), err)
				}
				check.PackagesBuilt = dirs.CachedPackages(p, check.Config, env)
			}
			r := doctor.Run(check)
			if fix && check.Project != nil {
				for _, v := range r.Venvs {
					if v.OK {
						continue
					}
					changed, err := doctor.FixVenv(v.Path, dirs.ShimDir(check.Project))
					for _, c := range changed {
						fmt.Fprintf(cmd.ErrOrStderr(), "nixld: fixed %s: %s\n", dirs.Show(v.Path), c)
					}
					if err != nil {
						fmt.Fprintf(cmd.ErrOrStderr(), "nixld: cannot fix %s: %v\n", dirs.Show(v.Path), err)
					}
				}
				r = doctor.Run(check)
			}
			out := r.Text(dirs.Show)
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
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	cmd.Flags().BoolVar(&fix, "fix", false, "relink venvs that bypass the project's shims to the shim for their Python")
	return cmd
}
