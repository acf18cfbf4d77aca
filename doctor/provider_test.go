package doctor

// Naming packages: the table, the store, nix-locate.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nixld/nixld/hook"
)

func TestParseStoreName(t *testing.T) {
	for name, want := range map[string][3]string{
		"fftw-double-3.3.10":    {"fftw-double", "3.3.10", ""},
		"gcc-13.2.0-lib":        {"gcc", "13.2.0", "lib"},
		"vendorcl-2.3.2":        {"vendorcl", "2.3.2", ""},
		"libX11-1.8.7":          {"libX11", "1.8.7", ""},
		"python3-3.11.9":        {"python3", "3.11.9", ""},
		"hello":                 {"hello", "", ""},
		"openssl-3.0.13-dev":    {"openssl", "3.0.13", "dev"},
		"systemd-minimal-254.6": {"systemd-minimal", "254.6", ""},
	} {
		p, v, o := parseStoreName(name)
		if [3]string{p, v, o} != want {
			t.Errorf("%s: %q %q %q, want %q", name, p, v, o, want)
		}
	}
	for name, want := range map[string]struct {
		attr  string
		guess bool
	}{
		"fftw-double-3.3.10": {"fftw", false},
		"gcc-13.2.0-lib":     {"stdenv.cc.cc.lib", false},
		"libX11-1.8.7":       {"xorg.libX11", false},
		"portaudio-190700":   {"portaudio", false},
		"qtbase-5.15.12":     {"libsForQt5.qt5.qtbase", false},
		"qtbase-6.7.2":       {"qt6.qtbase", false},
		"ocl-icd-2.3.2":      {"ocl-icd", false},
		"vendorcl-2.3.2":     {"vendorcl", true},
		"gtk+3-3.24.41":      {"gtk3", false},
	} {
		if attr, guess := storeAttr(name); attr != want.attr || guess != want.guess {
			t.Errorf("%s: %q guess=%v, want %+v", name, attr, guess, want)
		}
	}
}

// The chain: nixld's table, then the user's store, then nix-locate, then
// the command to run; each answer says where it came from.
func TestProviders(t *testing.T) {
	root := t.TempDir()
	store := filepath.Join(root, "store")
	put := func(path string) {
		os.MkdirAll(filepath.Dir(filepath.Join(store, path)), 0o755)
		os.WriteFile(filepath.Join(store, path), nil, 0o644)
	}
	put("0aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-fftw-double-3.3.10/lib/libfftw3_mpi.so.3")
	put("1bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-vendorcl-2.3.2/lib/libvendorcl.so.1")
	put("2ccccccccccccccccccccccccccccccc-vendorcl-2.3.2.drv")
	put("not-a-store-path/lib/libnone.so.1")
	put("3ddddddddddddddddddddddddddddddd-x-1/share/libnone.so.1")
	// A soname with a slash names no file in a lib directory, even where
	// joining it onto one would lead to a file.
	put("4eeeeeeeeeeeeeeeeeeeeeeeeeeeeeee-libpng-1.6/lib/x")
	put("marker")
	t.Setenv("NIX_STORE_DIR", store)
	bin := filepath.Join(root, "bin")
	os.MkdirAll(bin, 0o755)
	os.WriteFile(filepath.Join(bin, "nix-locate"), []byte(`#!/bin/sh
echo "$*" >> "$(dirname "$0")/asked"
case "$*" in
  "--at-root --whole-name /lib/libzz.so.1")
    echo '(python311Packages.zz.out)            1 r /nix/store/cccccccccccccccccccccccccccccccc-zz-1/lib/libzz.so.1'
    echo 'zlib-ng.out                           1 r /nix/store/dddddddddddddddddddddddddddddddd-zlib-ng-2/lib/libzz.so.1' ;;
  *libslow.so.1) sleep 5 ;;
  *libfail.so.1) echo 'error: no database' >&2; exit 2 ;;
esac
`), 0o755)
	var progress strings.Builder
	r := &Report{}
	c := Check{Dirs: hook.Dirs{Home: "/nonexistent"}, Env: hook.Env{"PATH": bin + ":/usr/bin:/bin"}, Progress: &progress}
	got := newProviders(c, r).lookup([]string{"libz.so.1", "libfftw3_mpi.so.3", "libvendorcl.so.1", "libzz.so.1", "libnone.so.1", "libfail.so.1", "../../marker"})
	if g := got["../../marker"]; g.source == sourceStore {
		t.Errorf("../../marker found in the store: %+v", g)
	}
	for soname, want := range map[string]provider{
		"libz.so.1":         {attr: "zlib", source: sourceTable},
		"libfftw3_mpi.so.3": {attr: "fftw", source: sourceStore, found: filepath.Join(store, "0aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-fftw-double-3.3.10/lib/libfftw3_mpi.so.3")},
		"libvendorcl.so.1":  {attr: "vendorcl", source: sourceStore, guess: true, found: filepath.Join(store, "1bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-vendorcl-2.3.2/lib/libvendorcl.so.1")},
		"libzz.so.1":        {attr: "zlib-ng", source: sourceNixLocate, found: "/nix/store/dddddddddddddddddddddddddddddddd-zlib-ng-2/lib/libzz.so.1"},
	} {
		g := got[soname]
		if g.attr != want.attr || g.source != want.source || g.guess != want.guess || g.found != want.found {
			t.Errorf("%s: %+v, want %+v", soname, g, want)
		}
	}
	none := got["libnone.so.1"]
	if none.source != "" || none.hint("libnone.so.1") != "not in nixld's table, your store ("+store+") or nix-index's database; nix-index can name the package: nix-locate --top-level --whole-name --at-root /lib/libnone.so.1" {
		t.Errorf("libnone: %+v: %s", none, none.hint("libnone.so.1"))
	}
	if !strings.Contains(progress.String(), "nixld: asking nix-locate which package has /lib/libzz.so.1\n") {
		t.Errorf("progress %q", progress.String())
	}
	if len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "nix-locate failed for libfail.so.1: exit status 2 error: no database") {
		t.Errorf("notes %q", r.Notes)
	}
	// Without nix-locate on PATH, the hint gives the command to run.
	c.Env["PATH"] = "/usr/bin:/bin"
	if h := newProviders(c, r).lookup([]string{"libnone.so.1"})["libnone.so.1"].hint("libnone.so.1"); !strings.HasPrefix(h, "not in nixld's table or your store (") {
		t.Errorf("hint %q", h)
	}
	// One command asks nix-locate once per soname, however often it runs.
	c.Env["PATH"] = bin + ":/usr/bin:/bin"
	os.Remove(filepath.Join(bin, "asked"))
	memory := NewLookups()
	c.Lookups = memory
	for range 2 {
		newProviders(c, r).lookup([]string{"libzz.so.1"})
	}
	if asked, _ := os.ReadFile(filepath.Join(bin, "asked")); strings.Count(string(asked), "\n") != 1 {
		t.Errorf("nix-locate asked %q", asked)
	}
	// nix-locate runs under a deadline.
	defer func(d time.Duration) { nixLocateDeadline = d }(nixLocateDeadline)
	nixLocateDeadline = 100 * time.Millisecond
	r.Notes = nil
	c.Lookups = nil
	hangGuard(t, "nix-locate past its deadline", func() { newProviders(c, r).lookup([]string{"libslow.so.1"}) })
	if len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "nix-locate took over 100ms") {
		t.Errorf("notes %q", r.Notes)
	}
}
