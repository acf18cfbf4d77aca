// Command nixld makes pip-installed compiled Python wheels work on NixOS,
// per project. This file only wires the commands; the work is in the
// hook and shells packages.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/nixld/nixld/gc"
	"github.com/nixld/nixld/hook"
	"github.com/nixld/nixld/shells"
	"github.com/spf13/cobra"
)

func main() {
	if err := root().Execute(); err != nil {
		code := 1
		var exit *exitError
		if errors.As(err, &exit) {
			code = exit.code
		}
		if msg := err.Error(); msg != "" {
			fmt.Fprintln(os.Stderr, "nixld: "+strings.Join(strings.Fields(msg), " "))
		}
		os.Exit(code)
	}
}

func root() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "nixld",
		Short: "Per-project shims that let pip-installed Python wheels find NixOS libraries",
		Long: `nixld makes pip-installed compiled wheels (numpy, torch, ...) work on NixOS,
per project. In a directory whose .nixld.toml you allowed, the shell gets a
directory of shims first on PATH, each running the real interpreter with
$NIX_LD_LIBRARY_PATH appended to LD_LIBRARY_PATH; leaving restores PATH and
LD_LIBRARY_PATH exactly.

  eval "$(nixld hook bash)"      # ~/.bashrc   (zsh: ~/.zshrc)
  nixld hook fish | source       # ~/.config/fish/config.fish
  eval (nixld hook elvish | slurp)   # ~/.config/elvish/rc.elv
  mkdir ~/.cache/nixld; nixld hook nu | save -f ~/.cache/nixld/init.nu
  source ~/.cache/nixld/init.nu      # config.nu (see the README)
  nixld init                     # in a project: write and allow .nixld.toml`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	cmd.Version, _ = buildVersion()
	cmd.SetVersionTemplate(versionLine())
	cmd.AddCommand(hookCmd(), exportCmd(), initCmd(), trustCmd("allow"), trustCmd("deny"),
		direnvCmd(), direnvEnvCmd(), execCmd(), statusCmd(), shimsCmd(), doctorCmd(), gcCmd(), versionCmd(), manCmd())
	return cmd
}

// oneShell accepts exactly one argument naming a supported shell.
func oneShell(cmd *cobra.Command, args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("%s: name one shell: %s", cmd.Name(), shells.NameList())
	}
	_, err := shells.Get(args[0])
	return err
}

func hookCmd() *cobra.Command {
	return &cobra.Command{
		Use:       "hook bash|zsh|fish|nu|elvish",
		Short:     "Print the prompt hook to eval in the shell's rc file",
		ValidArgs: shells.Names,
		Args:      oneShell,
		RunE: func(cmd *cobra.Command, args []string) error {
			sh, _ := shells.Get(args[0])
			return printCalling(cmd, func(self string) (string, error) { return shells.Hook(sh, self, hook.TrackedNames()) })
		},
	}
}

func exportCmd() *cobra.Command {
	return &cobra.Command{
		Use:       "export bash|zsh|fish|nu|elvish",
		Short:     "Print code that moves the shell to the state for the working directory",
		ValidArgs: shells.Names,
		Args:      oneShell,
		RunE: func(cmd *cobra.Command, args []string) error {
			sh, _ := shells.Get(args[0])
			// Without its directories nixld can still leave a project.
			dirs, env, dirsErr := setup()
			r := hook.Export(dirs, dirsErr, env, workDir(env))
			for _, m := range r.Messages {
				fmt.Fprintln(cmd.ErrOrStderr(), m)
			}
			code, err := shells.HookExport(sh, r.Ops, r.Fast)
			if err != nil {
				return err
			}
			_, err = io.WriteString(cmd.OutOrStdout(), code)
			return err
		},
	}
}

func initCmd() *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "init [DIR]",
		Short: "Write DIR/.nixld.toml (default: the working directory) and allow it",
		Args:  maxOneDir,
		RunE: func(cmd *cobra.Command, args []string) error {
			dirs, env, err := setup()
			if err != nil {
				return err
			}
			p, err := hook.Init(dirs, env, dirArg(args), force)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "nixld: wrote and allowed %s\n", dirs.Show(p.Config()))
			return nil
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "overwrite an existing .nixld.toml")
	return cmd
}

func trustCmd(verb string) *cobra.Command {
	short, done := "Trust the nearest .nixld.toml at or above DIR, as it is now", "allowed"
	if verb == "deny" {
		short, done = "Withdraw trust in the nearest .nixld.toml at or above DIR, and stop hinting", "denied"
	}
	var show bool
	cmd := &cobra.Command{
		Use:   verb + " [DIR]",
		Short: short,
		Args:  maxOneDir,
		RunE: func(cmd *cobra.Command, args []string) error {
			dirs, env, err := setup()
			if err != nil {
				return err
			}
			p, err := hook.FindFrom(dirs, dirArg(args))
			if err != nil {
				return err
			}
			switch {
			case show:
				_, err = io.WriteString(cmd.OutOrStdout(), hook.Review(dirs, env, p))
				return err
			case verb == "allow":
				err = dirs.AllowChecked(p)
			default:
				err = dirs.Deny(p)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "nixld: %s %s\n", done, dirs.Show(p.Config()))
			return nil
		},
	}
	if verb == "allow" {
		cmd.Flags().BoolVar(&show, "show", false, "print what allowing would trust, and the config, without allowing it")
	}
	return cmd
}

func direnvCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "direnv",
		Short: "Print a direnv library defining `use nixld`, for ~/.config/direnv/lib/nixld.sh",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return printCalling(cmd, shells.Direnv)
		},
	}
}

func direnvEnvCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "direnv-env DIR",
		Short:  "Print the code use_nixld evals (used by the direnv library)",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dirs, env, err := setup()
			if err != nil {
				return err
			}
			code, notes, err := hook.Direnv(dirs, env, args[0])
			if err != nil {
				return err
			}
			for _, n := range notes {
				fmt.Fprintln(cmd.ErrOrStderr(), n)
			}
			_, err = io.WriteString(cmd.OutOrStdout(), code)
			return err
		},
	}
}

func execCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "exec [--] DIR [--] CMD [ARGS...]",
		Short: "Run CMD with the environment of the project at or above DIR",
		// Everything after DIR belongs to CMD, flags included.
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
				return cmd.Help()
			}
			// "--" ends nixld's options before DIR, or separates DIR from CMD.
			if len(args) > 0 && args[0] == "--" {
				args = args[1:]
			}
			if len(args) > 1 && args[1] == "--" {
				args = slices.Delete(args, 1, 2)
			}
			if len(args) < 2 {
				return errors.New("exec: usage: nixld exec [--] DIR [--] CMD [ARGS...]")
			}
			dirs, env, err := setup()
			if err != nil {
				return err
			}
			newEnv, notes, err := hook.ExecEnv(dirs, env, args[0])
			if err != nil {
				return err
			}
			for _, n := range notes {
				fmt.Fprintln(cmd.ErrOrStderr(), n)
			}
			prog, err := lookPath(args[1], newEnv["PATH"])
			if err != nil {
				return err
			}
			return syscall.Exec(prog, args[1:], newEnv.Environ())
		},
	}
}

func shimsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "shims [DIR]",
		Short: "Rewrite the shims of the project at or above DIR for the programs on PATH now",
		Args:  maxOneDir,
		RunE: func(cmd *cobra.Command, args []string) error {
			dirs, env, err := setup()
			if err != nil {
				return err
			}
			p, set, err := hook.RefreshShims(dirs, env, dirArg(args))
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "nixld: shims of %s: %s\n", dirs.Show(p.Dir), strings.Join(set.Names(), ", "))
			return nil
		},
	}
}

func gcCmd() *cobra.Command {
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "gc [--dry-run]",
		Short: "Remove the shims and package roots of projects that are gone, unless a venv may still run them",
		Long: `Remove the shim directories and package GC roots of projects that no longer
exist, or have neither a .nixld.toml nor an .envrc that uses nixld. A
venv links to its project's shims by path, so gc keeps them where a venv
it finds (in the project, a renamed project, ~/.virtualenvs, poetry's,
pipenv's and pipx's venvs) still links to them, where they ran in the last
90 days, and where the file system does not record when they ran.`,
		Example: "  nixld gc --dry-run   # what a real run would do, exactly",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			dirs, env, err := setup()
			if err != nil {
				return err
			}
			now := time.Now()
			outcomes, err := gc.Run(dirs, env, dryRun, now)
			for _, o := range outcomes {
				fmt.Fprintln(cmd.ErrOrStderr(), "nixld: "+o.Line(dirs.Show, dryRun, now))
			}
			if err == nil && !slices.ContainsFunc(outcomes, func(o gc.Outcome) bool { return o.Removed }) {
				fmt.Fprintln(cmd.ErrOrStderr(), "nixld: nothing to remove")
			}
			return err
		},
	}
	cmd.Flags().BoolVarP(&dryRun, "dry-run", "n", false, "say what would be removed, and remove nothing")
	return cmd
}

func statusCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Show the project for the working directory and this shell's state",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			dirs, env, err := setup()
			if err != nil {
				return err
			}
			_, err = io.WriteString(cmd.OutOrStdout(), hook.Status(dirs, env, workDir(env)))
			return err
		},
	}
}

func maxOneDir(cmd *cobra.Command, args []string) error {
	if len(args) > 1 {
		return fmt.Errorf("%s: takes at most one directory, got %d arguments", cmd.Name(), len(args))
	}
	return nil
}

func dirArg(args []string) string {
	if len(args) == 1 {
		return args[0]
	}
	return "."
}

func setup() (hook.Dirs, hook.Env, error) {
	env := hook.EnvFrom(os.Environ())
	dirs, err := hook.DirsFrom(env)
	return dirs, env, err
}

// workDir is the logical working directory (as $PWD has it, symlinks
// kept), falling back to $PWD and then / where it has been removed.
func workDir(env hook.Env) string {
	if wd, err := os.Getwd(); err == nil {
		return wd
	}
	if pwd := env["PWD"]; filepath.IsAbs(pwd) {
		return pwd
	}
	return "/"
}

// printCalling prints the code render makes for calling nixld at its path.
func printCalling(cmd *cobra.Command, render func(self string) (string, error)) error {
	self, err := selfPath()
	if err != nil {
		return err
	}
	code, err := render(self)
	if err != nil {
		return err
	}
	_, err = io.WriteString(cmd.OutOrStdout(), code)
	return err
}

// selfPath is the path the hooks call nixld by: as it was found on PATH,
// not resolved. A shell may live for weeks, and a Nix store path in its
// hook breaks once an upgrade and a garbage collection remove it (nixpkgs
// #404692, direnv's hook). So where nixld runs from the store, as a
// module's lib.getExe has it, and PATH has a profile whose nixld leads into
// the store too (/run/current-system/sw/bin, ~/.nix-profile/bin), the hooks
// call that stable path instead.
func selfPath() (string, error) {
	self, err := invokedAs()
	if err != nil {
		return "", err
	}
	if hook.InStore(self) {
		if found, err := exec.LookPath("nixld"); err == nil && filepath.IsAbs(found) && !hook.InStore(found) {
			if real, err := filepath.EvalSymlinks(found); err == nil && hook.InStore(real) {
				return found, nil
			}
		}
	}
	return self, nil
}

// invokedAs is nixld's own path as the caller named it.
func invokedAs() (string, error) {
	arg0 := os.Args[0]
	if !strings.Contains(arg0, "/") {
		if found, err := exec.LookPath(arg0); err == nil {
			arg0 = found
		}
	}
	if strings.Contains(arg0, "/") {
		if abs, err := filepath.Abs(arg0); err == nil {
			if fi, err := os.Stat(abs); err == nil && !fi.IsDir() {
				return abs, nil
			}
		}
	}
	return os.Executable()
}

// lookPath finds prog on path, as the shell would after entering.
func lookPath(prog, path string) (string, error) {
	if strings.Contains(prog, "/") {
		return prog, nil
	}
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		cand := filepath.Join(dir, prog)
		if fi, err := os.Stat(cand); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return cand, nil
		}
	}
	return "", fmt.Errorf("exec: %s: not found on PATH", prog)
}
