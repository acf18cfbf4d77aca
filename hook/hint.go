package hook

// The first-run hint: nixld init and allow change nothing in a shell that
// has no hook, which a newcomer cannot see. They say so, with the line to
// add for that shell.

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
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

// CallingShell is the name of the program that started this process when
// that is an interactive shell nixld has a hook for, or "": its parent's
// comm (see proc(5)), started with options only (a script or -c runs no
// prompt, so the hint would be noise there).
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
	for _, arg := range args[1:] {
		if !bytes.HasPrefix(arg, []byte("-")) || bytes.Equal(arg, []byte("-c")) || bytes.HasPrefix(arg, []byte("--c")) || bytes.Equal(arg, []byte("-command")) {
			return ""
		}
	}
	return name
}
