package main

// Usage errors: every command says in its own words what arguments it
// takes, and exits 2.

import (
	"errors"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// run runs nixld with args as main does, and returns its error.
func run(args ...string) error {
	cmd := root()
	cmd.SetArgs(args)
	return cmd.Execute()
}

func TestArgumentErrors(t *testing.T) {
	for args, want := range map[string]string{
		"gc extra":         `gc: takes no arguments, got "extra"`,
		"status extra":     `status: takes no arguments, got "extra"`,
		"direnv x":         `direnv: takes no arguments, got "x"`,
		"gc a b":           `gc: takes no arguments, got 2 arguments`,
		"man":              `man: takes one directory to write the man pages into, got none`,
		"man a b":          `man: takes one directory to write the man pages into, got 2 arguments`,
		"direnv-env":       `direnv-env: takes one directory, got none`,
		"version 1 2":      `version: takes at most one version (AT_LEAST, like 0.2), got 2 arguments`,
		"allow a b":        `allow: takes at most one directory, got 2 arguments`,
		"doctor a b":       `doctor: takes at most one directory, got 2 arguments`,
		"status \u202ex":   `status: takes no arguments, got "\u202ex"`,
		"stauts":           `unknown command "stauts" for "nixld"; did you mean status?`,
		"hook bash zsh":    `hook: name one shell: bash, zsh, fish, nu or elvish`,
		"completion":       `completion: name one shell: bash, zsh or fish`,
		"version 1 --frob": `unknown flag: --frob`,
	} {
		err := run(strings.Fields(args)...)
		var exit *exitError
		if !errors.As(err, &exit) || exit.code != 2 || err.Error() != want {
			t.Errorf("nixld %s: got %v, want %q, exit status 2", args, err, want)
		}
	}
}

// No command is left with cobra's words: each one's check, given too
// many arguments (and none), fails naming the command, or accepts them.
func TestEveryCommandSaysWhatItTakes(t *testing.T) {
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			walk(sub)
		}
		if !c.HasParent() || c.DisableFlagParsing {
			return // the root's is the unknown command; exec reads its own
		}
		if c.Args == nil {
			t.Errorf("%s: no Args, so cobra's legacy check takes anything", c.Name())
			return
		}
		for _, args := range [][]string{{"a", "b", "c"}, nil} {
			if err := c.Args(c, args); err != nil && !strings.HasPrefix(err.Error(), c.Name()+": ") {
				t.Errorf("%s %q: %q, not in nixld's words", c.Name(), args, err)
			}
		}
		if c.Args(c, []string{"a", "b", "c"}) == nil {
			t.Errorf("%s takes three arguments", c.Name())
		}
	}
	walk(root())
}
