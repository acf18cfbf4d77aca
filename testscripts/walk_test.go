package testscripts

// The hooks look for a .nixld.toml with shell builtins, so that a cd
// outside projects runs nothing; this checks that walk against nixld's
// own lookup, in every shell, on the awkward cases.

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/nixld/nixld/hook"
	"github.com/nixld/nixld/internal/testtools"
	"github.com/nixld/nixld/shells"
)

func TestHookWalkMatchesNixld(t *testing.T) {
	// Reachable by everyone: the walk also runs as an unprivileged user.
	root, err := os.MkdirTemp("", "nixld-walk-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(filepath.Join(root, "secret"), 0o755); os.RemoveAll(root) })
	os.Chmod(root, 0o755)
	mk := func(dir string) string {
		p := filepath.Join(root, dir)
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write := func(name string, perm os.FileMode) {
		if err := os.WriteFile(filepath.Join(root, name), nil, perm); err != nil {
			t.Fatal(err)
		}
		os.Chmod(filepath.Join(root, name), perm)
	}
	mk("none/deeper")
	mk("proj/sub/deeper")
	write("proj/.nixld.toml", 0o644)
	mk("dirconfig/.nixld.toml")
	mk("fifo/sub")
	syscall.Mkfifo(filepath.Join(root, "fifo/.nixld.toml"), 0o644)
	mk("linkconfig/sub")
	os.Symlink(filepath.Join(root, "proj/.nixld.toml"), filepath.Join(root, "linkconfig/.nixld.toml"))
	mk("dangling")
	os.Symlink(filepath.Join(root, "nowhere"), filepath.Join(root, "dangling/.nixld.toml"))
	os.Symlink(filepath.Join(root, "proj/sub"), filepath.Join(root, "none/into-proj"))
	os.Symlink(filepath.Join(root, "none"), filepath.Join(root, "proj/out-of-proj"))
	mk("secret/sub")
	write("secret/.nixld.toml", 0o000)
	os.Chmod(filepath.Join(root, "secret"), 0o711) // searchable, not readable
	long := mk("none/" + strings.Repeat(strings.Repeat("d", 200)+"/", 6))

	dirs := []string{"none", "none/deeper", "proj", "proj/sub/deeper", "dirconfig", "fifo/sub", "linkconfig/sub",
		"dangling", "none/into-proj", "proj/out-of-proj", "secret/sub"}
	for i := range dirs {
		dirs[i] = filepath.Join(root, dirs[i])
	}
	dirs = append(dirs, long)

	var asUser []string
	if os.Geteuid() == 0 {
		// Root reads everything; an unreadable ancestor needs a real user.
		asUser = []string{"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"}
	}
	hookCode := func(sh string) string {
		out, err := exec.Command(w.nixld, "hook", sh).Output()
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	// bash, zsh and fish walk inline, in the hook itself: a stand-in for
	// nixld says yes where the hook would run nixld, and stops the shell
	// (in fish, whose source an exit does not leave, says so).
	standIn := filepath.Join(root, "stand-in")
	if err := os.WriteFile(standIn, []byte("#!/bin/sh\nif [ \"$2\" = fish ]; then echo 'echo yes; set -g _walk_ran'; else echo 'echo yes; exit'; fi\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	hookWith := func(sh shells.Shell, walk string) string {
		code, err := shells.Hook(sh, standIn, hook.TrackedNames())
		if err != nil {
			t.Fatal(err)
		}
		return code + "\n" + walk + "\n"
	}
	// Each shell's walk, from the directory in $WALK_DIR.
	walk := map[string]string{
		"bash":   hookWith(shells.Bash, `cd -- "$WALK_DIR" && _nixld_hook && echo no`),
		"zsh":    hookWith(shells.Zsh, `cd -- "$WALK_DIR" && _nixld_hook && echo no`),
		"fish":   hookWith(shells.Fish, `cd $WALK_DIR; and _nixld_hook; and not set -q _walk_ran; and echo no; true`),
		"nu":     hookCode("nu") + "\ncd $env.WALK_DIR\nprint (if (_nixld_nearest) != '' { 'yes' } else { 'no' })\n",
		"elvish": shells.ElvishEditorStub + hookCode("elvish") + "\ncd $E:WALK_DIR\nif (not-eq (_nixld_nearest) '') { echo yes } else { echo no }\n",
	}
	// nu comes from npm, under a home other users may not reach.
	nu := testtools.Need(t, "nu")[0]
	data, err := os.ReadFile(nu)
	if err != nil {
		t.Fatal(err)
	}
	nu = filepath.Join(root, "nu")
	if err := os.WriteFile(nu, data, 0o755); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "HOME="+root, "XDG_DATA_HOME="+root+"/data", "XDG_STATE_HOME="+root+"/state")
	// nixld's answer: a project, or something to say (both mean the hook
	// must call it), or none, for a shell whose $PWD is pwd.
	nixldSays := func(dir, pwd string) string {
		cmd := exec.Command(w.nixld, "status")
		cmd.Args = append(asUser, w.nixld, "status")
		cmd.Path, _ = exec.LookPath(cmd.Args[0])
		cmd.Dir, cmd.Env = dir, append(env, "PWD="+pwd)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("nixld status in %s: %v\n%s", dir, err, out)
		}
		if strings.Contains(string(out), "project:    none") {
			return "no"
		}
		return "yes"
	}
	for _, dir := range dirs {
		logical := nixldSays(dir, dir)
		// elvish's cd sets $pwd and $PWD to the physical path.
		physical, err := filepath.EvalSymlinks(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, sh := range allShells {
			want := logical
			if sh == "elvish" {
				want = nixldSays(dir, physical)
			}
			args := append(append(append([]string{}, asUser...), runCode[sh]...), walk[sh])
			if sh == "nu" {
				args[len(asUser)] = nu
			}
			cmd := exec.Command(args[0], args[1:]...)
			cmd.Env = append(env, "WALK_DIR="+dir)
			got, err := cmd.CombinedOutput()
			// Past 1,000 characters a walk may leave the answer to nixld,
			// as characters are not bytes.
			if dir == long && strings.TrimSpace(string(got)) == "yes" {
				continue
			}
			if err != nil || strings.TrimSpace(string(got)) != want {
				t.Errorf("%s in %s: walk says %q (%v), nixld says %s", sh, strings.TrimPrefix(dir, root), got, err, want)
			}
		}
	}
}
