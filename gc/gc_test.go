package gc

// gc's view of the file system: which mounts record access times, and
// when a shim last ran.

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nixld/nixld/hook"
)

func TestRecordsAccess(t *testing.T) {
	info := filepath.Join(t.TempDir(), "mountinfo")
	os.WriteFile(info, []byte(`22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
30 22 8:2 / /home rw,noatime shared:2 - ext4 /dev/sda2 rw
31 30 8:3 / /home/me/fast\040disk rw,relatime shared:3 - ext4 /dev/sda3 rw
`), 0o644)
	for dir, want := range map[string]bool{
		"/var/lib":                 true,
		"/home/me/.local/state":    false,
		"/home/me/fast disk/state": true,
		"/home/me/fast diskette/x": false,
		"/home":                    false,
	} {
		if got := recordsAccess(dir, info); got != want {
			t.Errorf("%s: %v, want %v", dir, got, want)
		}
	}
	if recordsAccess("/", filepath.Join(t.TempDir(), "missing")) {
		t.Error("no mountinfo: it cannot tell, so false")
	}
}

// A shim that ran keeps that time when it is rewritten: the ran stamp
// holds it.
func TestLastRanSurvivesRewrite(t *testing.T) {
	root := t.TempDir()
	d := hook.Dirs{Data: filepath.Join(root, "data"), State: filepath.Join(root, "state"), Home: root}
	bin := filepath.Join(root, "sys")
	os.MkdirAll(bin, 0o755)
	os.WriteFile(filepath.Join(bin, "python3"), []byte("#!/bin/sh\n"), 0o755)
	os.MkdirAll(filepath.Join(root, "proj"), 0o755)
	os.WriteFile(filepath.Join(root, "proj", hook.ConfigName), nil, 0o644)
	p, err := hook.Load(filepath.Join(root, "proj"))
	if err != nil {
		t.Fatal(err)
	}
	set, err := d.WriteShims(p, &hook.Config{Wrap: []string{"python3"}}, bin)
	if err != nil {
		t.Fatal(err)
	}
	shimDir := filepath.Dir(set.Bin)
	if _, ran := hook.LastRan(shimDir); ran {
		t.Fatal("a shim nobody ran has run")
	}
	ran := time.Now().Add(-time.Hour).Truncate(time.Second)
	shim := filepath.Join(set.Bin, "python3")
	os.Chtimes(shim, ran, ran.Add(-time.Hour))
	if got, ok := hook.LastRan(shimDir); !ok || !got.Equal(ran) {
		t.Fatalf("LastRan %v %v, want %v", got, ok, ran)
	}
	// Another config rewrites the shim: the time it ran stays known.
	if _, err := d.WriteShims(p, &hook.Config{Wrap: []string{"python3"}, Libraries: []string{"/x"}}, bin); err != nil {
		t.Fatal(err)
	}
	if got, ok := hook.LastRan(shimDir); !ok || !got.Equal(ran) {
		t.Fatalf("after a rewrite: LastRan %v %v, want %v", got, ok, ran)
	}
}
