// The version, completion and man commands: what packagers and direnv's
// minimum-version idiom need.
package main

import (
	"fmt"
	"os"
	"regexp"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// Set by the build: -ldflags "-X main.version=0.2.0 -X main.commit=abc1234".
// Unset, they come from the module and VCS information Go records.
var (
	version = ""
	commit  = ""
)

// sourceVersion is the version this source tree is, as flake.nix says
// (TestSourceVersion keeps them in step). A build from a checkout is a
// development build of it: Go stamps such a build with a pseudo-version
// (0.0.0-20261129134500-abcdef123456) that says nothing of the source.
const sourceVersion = "0.1.0"

// pseudoVersion matches the versions Go gives a build from a checkout:
// vX.Y.Z-[pre.]0.TIMESTAMP-COMMIT or vX.Y.Z-TIMESTAMP-COMMIT, maybe
// +dirty.
var pseudoVersion = regexp.MustCompile(`^v?[0-9]+\.[0-9]+\.[0-9]+-(?:[0-9A-Za-z.]*\.)?[0-9]{14}-[0-9a-f]{12}(?:\+dirty)?$`)

// buildVersion is the version and commit, stamped or recorded.
func buildVersion() (string, string) {
	v, c := version, commit
	if info, ok := debug.ReadBuildInfo(); ok {
		if mv := info.Main.Version; v == "" && mv != "" && mv != "(devel)" && !pseudoVersion.MatchString(mv) {
			v = strings.TrimPrefix(mv, "v")
		}
		for _, s := range info.Settings {
			switch {
			case c == "" && s.Key == "vcs.revision":
				c = s.Value[:min(len(s.Value), 12)]
			case s.Key == "vcs.modified" && s.Value == "true" && commit == "":
				c += "-dirty"
			}
		}
	}
	if v == "" {
		v = sourceVersion + "-dev"
	}
	if c == "" {
		c = "unknown"
	}
	return v, c
}

func versionLine() string {
	v, c := buildVersion()
	return fmt.Sprintf("nixld %s (commit %s, %s)\n", v, c, runtime.Version())
}

func versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version [AT_LEAST]",
		Short: "Print the version; with AT_LEAST, fail unless nixld is at least that version",
		Long: `Print nixld's version, commit and Go version. With AT_LEAST, print nothing
and exit 1, saying so in one line, unless nixld is at least that version.
A build from a checkout is a development build of the version its source
says (0.1.0-dev counts as 0.1.0).`,
		Example: `  nixld version
  nixld version 0.1 || echo 'nixld is too old'
  nixld_version 0.1 || exit 1    # in an .envrc, as direnv's direnv_version`,
		Args: takes(0, 1, "version (AT_LEAST, like 0.2)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				_, err := fmt.Fprint(cmd.OutOrStdout(), versionLine())
				return err
			}
			have, _ := buildVersion()
			older, err := olderThan(have, args[0])
			if err != nil {
				return usageError(err)
			}
			if older {
				return fmt.Errorf("nixld %s is older than %s; update it", have, args[0])
			}
			return nil
		},
	}
}

// olderThan compares dotted versions numerically, each up to its first
// '-' or '+' (0.1.0-dev and 0.1.0+dirty are 0.1.0). A version nixld
// cannot read counts as older: the guard fails closed.
func olderThan(have, want string) (bool, error) {
	w, err := versionParts(want)
	if err != nil {
		return false, fmt.Errorf("version: %q is not a version like 0.2 or 1.0.3", want)
	}
	h, err := versionParts(have)
	if err != nil {
		return true, nil
	}
	for i := range max(len(h), len(w)) {
		a, b := part(h, i), part(w, i)
		if a != b {
			return a < b, nil
		}
	}
	return false, nil
}

func versionParts(v string) ([]int, error) {
	v = strings.TrimPrefix(v, "v")
	if i := strings.IndexAny(v, "-+"); i >= 0 {
		v = v[:i]
	}
	var parts []int
	for _, s := range strings.Split(v, ".") {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("not a version")
		}
		parts = append(parts, n)
	}
	return parts, nil
}

func part(p []int, i int) int {
	if i < len(p) {
		return p[i]
	}
	return 0
}

// completionCmd prints completions for the shells nixld has a hook for;
// cobra's own command would offer PowerShell too.
func completionCmd() *cobra.Command {
	var noDesc bool
	cmd := &cobra.Command{
		Use:       "completion bash|zsh|fish",
		Short:     "Print the shell completion script for bash, zsh or fish (the package installs them)",
		Example:   `  source <(nixld completion bash)    # or: nixld completion fish | source`,
		ValidArgs: []string{"bash", "zsh", "fish"},
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 || !slices.Contains(cmd.ValidArgs, args[0]) {
				return fmt.Errorf("completion: name one shell: bash, zsh or fish")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			root, out := cmd.Root(), cmd.OutOrStdout()
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(out, !noDesc)
			case "zsh":
				if noDesc {
					return root.GenZshCompletionNoDesc(out)
				}
				return root.GenZshCompletion(out)
			default:
				return root.GenFishCompletion(out, !noDesc)
			}
		},
	}
	cmd.Flags().BoolVar(&noDesc, "no-descriptions", false, "complete without descriptions")
	return cmd
}

func manCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "man DIR",
		Short:   "Write nixld's man pages (section 1) into DIR, for packagers",
		Example: `  nixld man share/man/man1 && man -l share/man/man1/nixld.1`,
		Args:    takes(1, 1, "directory to write the man pages into"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := os.MkdirAll(args[0], 0o755); err != nil {
				return err
			}
			v, _ := buildVersion()
			header := &doc.GenManHeader{Title: "NIXLD", Section: "1", Source: "nixld " + v, Manual: "nixld manual"}
			return doc.GenManTree(cmd.Root(), header, args[0])
		},
	}
}
