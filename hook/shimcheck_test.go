package hook

// StaleShim against real shims of real programs: it must agree with what
// the shim itself then does (start its program through the loader, or
// fall back to exporting LD_LIBRARY_PATH).

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nixld/nixld/internal/fakenix"
)

func TestStaleShim(t *testing.T) {
	w := newLaunchWorld(t)
	bin := filepath.Join(w.root, "bin")
	os.MkdirAll(bin, 0o755)
	// Each target through a link, as a profile's bin/python3.11 is.
	show2 := filepath.Join(w.root, "store", "show2")
	data, err := os.ReadFile(w.show)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(show2, data, 0o755); err != nil {
		t.Fatal(err)
	}
	store := filepath.Join(w.root, "store")
	for _, gen := range []string{"gen1", "gen2"} {
		show := map[string]string{"gen1": w.show, "gen2": show2}[gen]
		dir := filepath.Join(store, gen)
		os.MkdirAll(dir, 0o755)
		os.Symlink(show, filepath.Join(dir, "plain"))
		if err := fakenix.BinaryWrapper(filepath.Join(dir, "binwrapped"), show, "--inherit-argv0", "--set", "WRAPPED", "binary"); err != nil {
			t.Fatal(err)
		}
		if err := fakenix.Script(filepath.Join(dir, "scripted"), show, "WRAPPED=script"); err != nil {
			t.Fatal(err)
		}
		launcher := "#!/bin/sh\nexec " + show + " \"$@\"\n"
		if err := os.WriteFile(filepath.Join(dir, "launcher"), []byte(launcher), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	profile := filepath.Join(w.root, "profile")
	switchTo := func(gen string) {
		t.Helper()
		if err := ReplaceWithSymlink(profile, filepath.Join(store, gen)); err != nil {
			t.Fatal(err)
		}
	}
	switchTo("gen1")
	names := []string{"plain", "binwrapped", "scripted", "launcher"}
	p := w.project("proj", `wrap = ["`+strings.Join(names, `", "`)+`"]`+"\n", true)
	cfg, err := ParseConfig(p, w.dirs.Home)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.dirs.WriteShims(p, cfg, profile); err != nil {
		t.Fatal(err)
	}
	shimBin := w.dirs.ShimDir(p)
	// ldExported runs the shim and reports whether its program saw
	// LD_LIBRARY_PATH: what the shim's own check decided.
	ldExported := func(name string) bool {
		t.Helper()
		cmd := exec.Command(filepath.Join(shimBin, name))
		cmd.Env = []string{"PATH=/usr/bin:/bin", "NIX_LD_LIBRARY_PATH=" + w.nixLD}
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "probe=42") {
			t.Fatalf("%s: %v\n%s", name, err, out)
		}
		return !strings.Contains(string(out), "LD_LIBRARY_PATH=<unset>")
	}
	for _, name := range names {
		stamped, now, stale := StaleShim(filepath.Join(shimBin, name))
		if stale || ldExported(name) != (name == "launcher") {
			t.Errorf("%s, as written: stale %v (%s, now %s)", name, stale, stamped, now)
		}
	}

	// The profile moves on: every shim that checks its target now falls
	// back, and StaleShim says so; a launcher's never checked.
	switchTo("gen2")
	for _, name := range names[:3] {
		stamped, now, stale := StaleShim(filepath.Join(shimBin, name))
		if !stale || !ldExported(name) {
			t.Errorf("%s, switched: stale %v, exported %v", name, stale, ldExported(name))
		}
		if !strings.HasPrefix(stamped, filepath.Join(store)) || stamped == now || now == "" {
			t.Errorf("%s, switched: stamped %q, now %q", name, stamped, now)
		}
	}
	if _, _, stale := StaleShim(filepath.Join(shimBin, "launcher")); stale {
		t.Errorf("launcher, switched: stale")
	}
	// Rewritten for the programs there now, none is.
	if err := os.Remove(shimCacheFile(shimBin)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.dirs.WriteShims(p, cfg, profile); err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if _, _, stale := StaleShim(filepath.Join(shimBin, name)); stale || ldExported(name) != (name == "launcher") {
			t.Errorf("%s, rewritten: stale %v", name, stale)
		}
	}
	// Not a shim, or one that checks nothing: never stale.
	for _, name := range []string{filepath.Join(store, "gen1", "scripted"), filepath.Join(w.root, "nothing")} {
		if _, _, stale := StaleShim(name); stale {
			t.Errorf("%s: stale", name)
		}
	}
}
