// Command nixld makes pip-installed compiled Python wheels work on NixOS,
// per project. This file only wires the commands; the work is in the
// hook and shells packages.
package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
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
the project's libraries and $NIX_LD_LIBRARY_PATH on its library path, which
its children do not inherit; leaving restores PATH and the environment
exactly.

  eval "$(nixld hook bash)"      # ~/.bashrc   (zsh: ~/.zshrc)
  nixld hook fish | source       # ~/.config/fish/config.fish
  eval (nixld hook elvish | slurp)   # ~/.config/elvish/rc.elv
  mkdir ~/.cache/nixld; nixld hook nu | save -f ~/.cache/nixld/init.nu
  source ~/.cache/nixld/init.nu      # config.nu (see the README)
  nixld init                     # in a project: write and allow .nixld.toml`,
		SilenceUsage:  true,
		SilenceErrors: true,
		// Runnable, so that an unknown command reaches Args (a usage
		// error) rather than cobra's own check.
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
				if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
					msg += "; did you mean " + strings.Join(s, " or ") + "?"
				}
				return errors.New(msg)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	cmd.Version, _ = buildVersion()
	cmd.SetVersionTemplate(versionLine())
	cmd.CompletionOptions.DisableDefaultCmd = true
	cmd.SuggestionsMinimumDistance = 2
	cmd.AddCommand(hookCmd(), exportCmd(), initCmd(), trustCmd("allow"), trustCmd("deny"), packagesCmd(),
		direnvCmd(), direnvEnvCmd(), execCmd(), statusCmd(), shimsCmd(), doctorCmd(), gcCmd(), versionCmd(),
		completionCmd(), manCmd())
	usageErrors(cmd)
	return cmd
}

// usageErrors makes every way of calling cmd or its subcommands wrongly
// (an unknown command or flag, the wrong arguments) exit 2.
func usageErrors(cmd *cobra.Command) {
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError(err) })
	var wrap func(*cobra.Command)
	wrap = func(c *cobra.Command) {
		if check := c.Args; check != nil {
			c.Args = func(c *cobra.Command, args []string) error {
				if err := check(c, args); err != nil {
					return usageError(err)
				}
				return nil
			}
		}
		for _, sub := range c.Commands() {
			wrap(sub)
		}
	}
	wrap(cmd)
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
		Use:   "hook bash|zsh|fish|nu|elvish",
		Short: "Print the prompt hook to eval in the shell's rc file",
		Example: `  eval "$(nixld hook bash)"          # in ~/.bashrc
  eval "$(nixld hook zsh)"           # in ~/.zshrc
  nixld hook fish | source           # in ~/.config/fish/config.fish
  eval (nixld hook elvish | slurp)   # in ~/.config/elvish/rc.elv
  # nu: in env.nu, then 'source ~/.cache/nixld/init.nu' in config.nu
  mkdir ~/.cache/nixld; nixld hook nu | save -f ~/.cache/nixld/init.nu`,
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
		Example:   `  nixld export bash    # what the bash hook evals on a change of directory`,
		ValidArgs: shells.Names,
		Args:      oneShell,
		RunE: func(cmd *cobra.Command, args []string) error {
			sh, _ := shells.Get(args[0])
			// Without its directories nixld can still leave a project.
			dirs, env, dirsErr := setup()
			r := hook.Export(dirs, dirsErr, env, workDir(env))
			if r.Interrupted && sh == shells.Bash {
				// bash has abandoned its prompt command on the Ctrl-C,
				// and runs it again, and so this, at once: that one
				// enters, and says why without the packages.
				return &exitError{code: 130}
			}
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
		// The shell's hook enters the project at the next prompt: a venv
		// made on init's own line would not link to the shims.
		Example: `  cd ~/src/myproject
  nixld init                 # the shell enters the project at its next prompt;
  python3 -m venv .venv      # there, python3 is the shim, which the venv links to
  # on one line, or in a script, where no prompt comes in between:
  cd ~/src/other && nixld init && nixld exec . python3 -m venv .venv`,
		Args: maxOneDir,
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
			for _, note := range hook.InitNotes(dirs, p) {
				fmt.Fprintf(cmd.ErrOrStderr(), "nixld: note: %s\n", note)
			}
			sayMissingHook(cmd, env, p.Dir)
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
	example := "  nixld allow --show ~/src/myproject   # what allowing would trust\n  nixld allow ~/src/myproject"
	if verb == "deny" {
		example = "  nixld deny ~/src/cloned-repo"
	}
	var show bool
	cmd := &cobra.Command{
		Use:     verb + " [DIR]",
		Short:   short,
		Example: example,
		Args:    maxOneDir,
		RunE: func(cmd *cobra.Command, args []string) error {
			dirs, env, err := setup()
			if err != nil {
				return err
			}
			p, err := hook.FindFrom(dirs, dirArg(args))
			if none := (*hook.NoProjectError)(nil); errors.As(err, &none) {
				none.Deny = verb == "deny"
			}
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
			if verb == "allow" {
				sayMissingHook(cmd, env, p.Dir)
			}
			return nil
		},
	}
	if verb == "allow" {
		cmd.Flags().BoolVar(&show, "show", false, "print what allowing would trust, and the config, without allowing it")
	}
	return cmd
}

func packagesCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "packages [DIR]",
		Short: "Build the packages of the project at or above DIR in the foreground, with nix's progress",
		Long: `Build the packages (packages = [...] in .nixld.toml) of the allowed project
at or above DIR with nix-build, in the foreground: nix's own progress is
shown, there is no deadline, and Ctrl-C stops it. Entering a project builds
them too, but for at most $NIXLD_BUILD_TIMEOUT (10s unless set; 0 builds
none on entry), and does not try again after a failed, stopped or
too-long build until the config or the nixpkgs source changes, or this
command asks. The shell that runs it (through the hook's nixld function)
picks them up at its next prompt, another shell in the project at its
next cd. Prints the library directories they add, one a line.`,
		Example: `  nixld packages                 # after "building portaudio took over 10s"
  nixld packages ~/src/myproject`,
		Args: maxOneDir,
		RunE: func(cmd *cobra.Command, args []string) error {
			dirs, env, err := setup()
			if err != nil {
				return err
			}
			hook.BuildNotes = cmd.ErrOrStderr()
			_, libs, err := hook.BuildPackages(dirs, env, dirArg(args), cmd.ErrOrStderr())
			if errors.Is(err, hook.ErrInterrupted) {
				return &exitError{130, err.Error()}
			} else if err != nil {
				return err
			}
			for _, lib := range libs {
				fmt.Fprintln(cmd.OutOrStdout(), lib)
			}
			return nil
		},
	}
}

func direnvCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "direnv",
		Short: "Print a direnv library defining `use nixld`, for ~/.config/direnv/lib/nixld.sh",
		Example: `  mkdir -p ~/.config/direnv/lib && nixld direnv > ~/.config/direnv/lib/nixld.sh
  echo 'use nixld' >> .envrc && direnv allow`,
		Args: takes(0, 0, ""),
		RunE: func(cmd *cobra.Command, args []string) error {
			return printCalling(cmd, shells.Direnv)
		},
	}
}

func direnvEnvCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "direnv-env DIR",
		Short:   "Print the code use_nixld evals (used by the direnv library)",
		Example: `  nixld direnv-env "$PWD"    # as 'use nixld' calls it`,
		Hidden:  true,
		Args:    takes(1, 1, "directory"),
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
		Long: `Run CMD with the environment of the project at or above DIR, which must be
allowed: its shims first on PATH and its libraries added to nix-ld's
variable, as a shell entering it would have them (LD_LIBRARY_PATH only
where the project sets export_ld_library_path).

Exit status: CMD's own; 127 when CMD is not found and 126 when it cannot
be run, as env's; 125 when nixld fails before running it (no project, not
allowed), and 2 on bad usage.`,
		Example: `  nixld exec ~/src/myproject python3 -m pytest
  nixld exec ~/src/myproject -- python3 ~/src/myproject/job.py   # from cron, say`,
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
				return usageError(errors.New("exec: usage: nixld exec [--] DIR [--] CMD [ARGS...]"))
			}
			if _, err := os.Stat(args[0]); errors.Is(err, fs.ErrNotExist) && !strings.Contains(args[0], "/") && isProgram(args[0], os.Getenv("PATH")) {
				// A command where DIR belongs: nixld exec python3 -V.
				return usageError(fmt.Errorf("exec: no directory %s here; the project's directory comes first: nixld exec . %s", args[0], strings.Join(args, " ")))
			}
			dirs, env, err := setup()
			if err != nil {
				return &exitError{125, err.Error()}
			}
			newEnv, notes, err := hook.ExecEnv(dirs, env, args[0])
			if errors.Is(err, hook.ErrInterrupted) {
				return &exitError{130, err.Error()}
			} else if err != nil {
				return &exitError{125, err.Error()}
			}
			for _, n := range notes {
				fmt.Fprintln(cmd.ErrOrStderr(), n)
			}
			prog, err := lookPath(args[1], newEnv["PATH"])
			if err != nil {
				return execFailure(args[1], err)
			}
			err = syscall.Exec(prog, args[1:], newEnv.Environ())
			if errors.Is(err, syscall.ENOEXEC) {
				// Not a binary nor a #! script: execvp, and so env, hands
				// it to the shell.
				err = syscall.Exec("/bin/sh", append([]string{"sh", prog}, args[2:]...), newEnv.Environ())
			}
			return execFailure(prog, err)
		},
	}
}

// execFailure is how nixld exec ends when CMD does not run, as env's
// does: 127 where it is not found (or its #! interpreter is not), 126
// where it is found but cannot be run.
func execFailure(prog string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist) && !strings.Contains(prog, "/"):
		return &exitError{127, fmt.Sprintf("exec: %s: not found on PATH", prog)}
	case errors.Is(err, fs.ErrNotExist):
		if _, serr := os.Stat(prog); serr == nil {
			return &exitError{127, fmt.Sprintf("exec: %s: its interpreter (the #! line) is not found", prog)}
		}
		return &exitError{127, fmt.Sprintf("exec: %s: no such file", prog)}
	case errors.Is(err, fs.ErrPermission):
		return &exitError{126, fmt.Sprintf("exec: %s: permission denied (not an executable file)", prog)}
	}
	return &exitError{126, fmt.Sprintf("exec: %s: %v", prog, err)}
}

func shimsCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "shims [DIR]",
		Short:   "Rewrite the shims of the project at or above DIR for the programs on PATH now",
		Example: `  nix-shell -p python312 --run 'nixld shims'   # a shim's Python was garbage-collected`,
		Args:    maxOneDir,
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
		Example: "  nixld gc --dry-run   # says exactly what a real run would do\n  nixld gc",
		Args:    takes(0, 0, ""),
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
		Example: `  cd ~/src/myproject
  nixld status               # at the next prompt, once the hook entered the project`,
		Args: takes(0, 0, ""),
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

// sayMissingHook says, after init and allow, when the shell they ran from
// has no hook (see hook.MissingHook).
func sayMissingHook(cmd *cobra.Command, env hook.Env, dir string) {
	if hint := hook.MissingHook(env, hook.CallingShell(), dir); hint != "" {
		fmt.Fprintln(cmd.ErrOrStderr(), "nixld: "+hint)
	}
}

// maxOneDir accepts an optional DIR.
var maxOneDir = takes(0, 1, "directory")

// takes checks a command's arguments, instead of cobra's validators, whose
// words are wrong here ("unknown command" for an argument) or unclear
// ("accepts 1 arg(s)"): min to max of them, each a what ("directory"),
// max 0 or 1 (no nixld command takes more). The error names the command,
// what it takes and what it got, as in
// `allow: takes at most one directory, got 2 arguments` or
// `gc: takes no arguments, got "extra"`.
func takes(min, max int, what string) cobra.PositionalArgs {
	want := "no arguments"
	switch {
	case min == 1:
		want = "one " + what
	case max == 1:
		want = "at most one " + what
	}
	return func(cmd *cobra.Command, args []string) error {
		if len(args) >= min && len(args) <= max {
			return nil
		}
		got := "none"
		switch {
		case len(args) == 1:
			got = fmt.Sprintf("%q", args[0])
		case len(args) > 1:
			got = fmt.Sprintf("%d arguments", len(args))
		}
		return fmt.Errorf("%s: takes %s, got %s", cmd.Name(), want, got)
	}
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

// isProgram reports whether lookPath finds prog on path.
func isProgram(prog, path string) bool {
	_, err := lookPath(prog, path)
	return err == nil
}

// lookPath finds prog on path, as the shell would after entering, and as
// execvp does: a name with a slash is taken as it is; otherwise the first
// executable regular file of that name on path, and where there is none,
// fs.ErrPermission if a file of that name that cannot be run was there,
// else fs.ErrNotExist.
func lookPath(prog, path string) (string, error) {
	if strings.Contains(prog, "/") {
		return prog, nil
	}
	notFound := fs.ErrNotExist
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		cand := filepath.Join(dir, prog)
		fi, err := os.Stat(cand)
		switch {
		case err != nil:
		case fi.Mode().IsRegular() && fi.Mode()&0o111 != 0:
			return cand, nil
		default:
			notFound = fs.ErrPermission
		}
	}
	return "", notFound
}
