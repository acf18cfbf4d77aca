package hook

// The first-run hint: nixld init and allow change nothing in a shell that
// has no hook, which a newcomer cannot see. They say so, with the line to
// add for that shell.

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// HookVar is set by the hook's nixld shell function to the shell's name:
// a nixld that sees it runs in a shell with the hook.
const HookVar = "NIXLD_HOOK"

// rcLines is, per shell, what to add where for its hook.
var rcLines = map[string]string{
	"bash":   `add eval "$(nixld hook bash)" to ~/.bashrc`,
	"zsh":    `add eval "$(nixld hook zsh)" to ~/.zshrc`,
	"fish":   `add nixld hook fish | source to ~/.config/fish/config.fish`,
	"elvish": `add eval (nixld hook elvish | slurp) to ~/.config/elvish/rc.elv`,
	"nu":     `run mkdir ~/.cache/nixld; nixld hook nu | save -f ~/.cache/nixld/init.nu, add source ~/.cache/nixld/init.nu to config.nu`,
}

// MissingHook is a one-line note (without "nixld: ") for nixld init and
// allow run from an interactive shell, shell (see CallingShell), that has
// no hook: nothing happens in it until it has one. It is "" where the
// shell has the hook, is not one nixld knows, or where direnv manages the
// project in dir (its .envrc uses nixld).
func MissingHook(env Env, shell, dir string) string {
	line, known := rcLines[shell]
	if env[HookVar] != "" || !known || UsesNixld(dir) {
		return ""
	}
	return fmt.Sprintf("this %s has no nixld hook, so nothing changes in it: %s, and open a new shell", shell, line)
}

// optionWithValue are the shell options whose value is the next argument.
var optionWithValue = map[string]bool{
	"--rcfile": true, "--init-file": true, "-o": true, "+o": true, "-O": true, "+O": true,
}

// CallingShell is the name of the program that started this process when
// that is an interactive shell nixld has a hook for, or "": its parent's
// comm (see proc(5)), started with options only (a script or -c runs no
// prompt, so the hint would be noise there). The file or option name after
// bash's --rcfile and --init-file (how nix-shell starts it) and after
// -o/+o, -O/+O is an option's value, not a script.
func CallingShell() string {
	proc := "/proc/" + strconv.Itoa(os.Getppid())
	comm, err := readSmall(proc + "/comm")
	if err != nil {
		return ""
	}
	name := string(bytes.TrimSpace(comm))
	if _, ok := rcLines[name]; !ok {
		return ""
	}
	cmdline, err := readSmall(proc + "/cmdline")
	if err != nil {
		return ""
	}
	args := bytes.Split(bytes.TrimSuffix(cmdline, []byte{0}), []byte{0})
	for i := 1; i < len(args); i++ {
		arg := string(args[i])
		switch {
		case optionWithValue[arg]:
			i++
		case arg == "-c" || arg == "-command" || strings.HasPrefix(arg, "--c"):
			return ""
		case !strings.HasPrefix(arg, "-") && !strings.HasPrefix(arg, "+"):
			return ""
		}
	}
	return name
}
