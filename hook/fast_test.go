package hook

// What export gives the hook of the project entered: the hook's own leave
// must be nixld's, byte for byte, and there must be none where the hook
// could not tell a change.

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nixld/nixld/shells"
)

// applyOps is env with ops applied, as a shell applies an export.
func applyOps(env Env, ops []shells.Op) Env { return env.Apply(ops) }

// TestFastLeaveIsExports: in every mode and start, entering gives the
// hook the project's config as its walk names it, the config's and the
// trust record's content, the names of the variables to keep as they
// then are, and a leave that does, from there, what nixld's own export
// does on the way out: restore every variable byte for byte. Confirming the project (a cd within it
// that did run nixld) gives the same.
func TestFastLeaveIsExports(t *testing.T) {
	const unset = "\x00unset"
	for _, config := range []string{"", `libraries = ["/extra"]` + "\n", "export_ld_library_path = true\n"} {
		for _, tc := range []struct{ path, ld, nixLD, uv, direnv string }{
			{"/usr/bin:/bin", "/opt/lib", "/nix-ld", unset, unset},
			{"/usr/bin:/bin", unset, unset, unset, unset},
			{":/usr/bin::", "", "", "", unset},
			{"/usr/bin", unset, "/nix-ld", "/my/python", unset},
			{"/usr/bin", unset, "/nix-ld", unset, "/elsewhere/bin"},
		} {
			f := newFixture(t)
			p := f.project("proj", config, true)
			start := Env{"HOME": "/h", "PATH": f.bin + ":" + tc.path}
			for k, v := range map[string]string{LDVar: tc.ld, NixLDVar: tc.nixLD, "UV_PYTHON_PREFERENCE": tc.uv, DirenvVar: tc.direnv} {
				if v != unset {
					start[k] = v
				}
			}
			in, r := f.step(start, "proj/sub")
			if r.Fast == nil {
				t.Fatalf("%q %+v: entering gave the hook nothing to keep (%v)", config, tc, r.Messages)
			}
			if want := filepath.Join(f.root, "proj", ConfigName); r.Fast.Config != want {
				t.Errorf("config %q, want %q", r.Fast.Config, want)
			}
			if r.Fast.Content != string(p.Content) {
				t.Errorf("content %q, want %q", r.Fast.Content, p.Content)
			}
			if data, err := os.ReadFile(r.Fast.Record); err != nil || string(data) != r.Fast.Trust {
				t.Errorf("trust record %s holds %q (%v), want %q", r.Fast.Record, data, err, r.Fast.Trust)
			}
			if !slices.Equal(r.Fast.Tracked, trackedNames) {
				t.Errorf("tracked %q, want %q", r.Fast.Tracked, trackedNames)
			}
			if left := applyOps(in, r.Fast.Leave); !maps.Equal(left, start) {
				t.Errorf("%q %+v: the hook's leave gives\n%q\nwant\n%q", config, tc, left, start)
			}
			out, rOut := f.step(in, "elsewhere")
			if !maps.Equal(out, applyOps(in, r.Fast.Leave)) || strings.Join(rOut.Messages, "\n") != strings.Join(r.Fast.Left, "\n") {
				t.Errorf("nixld leaves to %q saying %q; the hook's leave to %q saying %q", out, rOut.Messages, applyOps(in, r.Fast.Leave), r.Fast.Left)
			}
			if rOut.Fast != nil {
				t.Errorf("leaving kept a project: %+v", rOut.Fast)
			}
			_, again := f.step(in, "proj")
			if len(again.Ops) != 0 || again.Fast == nil || !maps.Equal(applyOps(in, again.Fast.Leave), start) {
				t.Errorf("confirming the project gave %v and %+v", again.Ops, again.Fast)
			}
		}
	}
}

// TestFastWithheld: where the hook could not tell a change by content, or
// could not hold it, export gives it nothing, and every cd runs nixld as
// before.
func TestFastWithheld(t *testing.T) {
	start := func(f *fixture) Env { return Env{"HOME": "/h", "PATH": f.bin + ":/usr/bin"} }
	t.Run("not allowed", func(t *testing.T) {
		f := newFixture(t)
		f.project("proj", "", false)
		if _, r := f.step(start(f), "proj"); r.Fast != nil {
			t.Errorf("kept %+v", r.Fast)
		}
	})
	t.Run("over 64 KiB", func(t *testing.T) {
		f := newFixture(t)
		f.project("proj", strings.Repeat("# a comment that makes the file large\n", 2000), true)
		in, r := f.step(start(f), "proj")
		if r.Fast != nil || !strings.HasPrefix(in["PATH"], f.dirs.State) {
			t.Errorf("entered: %v, kept %v", strings.HasPrefix(in["PATH"], f.dirs.State), r.Fast != nil)
		}
	})
	t.Run("exactly 64 KiB", func(t *testing.T) {
		f := newFixture(t)
		f.project("proj", strings.Repeat("#", shells.MaxFastContent-1)+"\n", true)
		if _, r := f.step(start(f), "proj"); r.Fast == nil || len(r.Fast.Content) != shells.MaxFastContent {
			t.Errorf("kept %v", r.Fast != nil)
		}
	})
	t.Run("symlinked config", func(t *testing.T) {
		f := newFixture(t)
		f.write(filepath.Join(f.root, "shared.toml"), "", 0o644)
		os.MkdirAll(filepath.Join(f.root, "proj"), 0o755)
		os.Symlink(filepath.Join(f.root, "shared.toml"), filepath.Join(f.root, "proj", ConfigName))
		p, err := Load(filepath.Join(f.root, "proj"))
		if err != nil {
			t.Fatal(err)
		}
		f.dirs.Allow(p)
		in, r := f.step(start(f), "proj")
		if r.Fast != nil || !strings.HasPrefix(in["PATH"], f.dirs.State) {
			t.Errorf("entered: %v, kept %v", strings.HasPrefix(in["PATH"], f.dirs.State), r.Fast != nil)
		}
	})
	t.Run("trust record rewritten since", func(t *testing.T) {
		f := newFixture(t)
		p := f.project("proj", "", true)
		in, _ := f.step(start(f), "proj")
		// As if an allow of another content came between export's check
		// and its reading the record again.
		r := export(f.dirs, nil, in, filepath.Join(f.root, "proj"), false)
		f.write(f.dirs.record("allow", p), "0000\n", 0o644)
		if fast := f.dirs.fastPath(in, r); fast != nil {
			t.Errorf("kept a record that does not allow the config: %q", fast.Trust)
		}
	})
}

// TestFastStamps: entering a project whose config and trust record last
// changed well before nixld read them leaves stamps a microsecond either
// side of each mtime, named after the content; files whose mtimes do not
// date what was read (see TestDates) get none, and the hook compares
// content. Entering other content removes the stamps of the old.
func TestFastStamps(t *testing.T) {
	start := func(f *fixture) Env { return Env{"HOME": "/h", "PATH": f.bin + ":/usr/bin"} }
	redate := func(t *testing.T, f *fixture, p *Project, when time.Time) {
		for _, name := range []string{p.Config(), f.dirs.record("allow", p)} {
			if err := os.Chtimes(name, when, when); err != nil {
				t.Fatal(err)
			}
		}
	}
	now := time.Now()
	for _, tc := range []struct {
		what    string
		when    time.Time
		stamped bool
	}{
		{"an hour ago", now.Add(-time.Hour), true},
		{"an hour ahead", now.Add(time.Hour), false},
		// Many contents share a whole second (cp -p, tar, the nix store).
		{"a whole second an hour ago", now.Add(-time.Hour).Truncate(time.Second), false},
		{"the nix store's mtime", time.Unix(1, 0), false},
	} {
		t.Run(tc.what, func(t *testing.T) {
			f := newFixture(t)
			p := f.project("proj", "", true)
			redate(t, f, p, tc.when)
			_, r := f.step(start(f), "proj")
			if r.Fast == nil {
				t.Fatal("entering kept nothing")
			}
			if got := r.Fast.Stamp != ""; got != tc.stamped {
				t.Fatalf("stamped %v, want %v", got, tc.stamped)
			}
			if !tc.stamped {
				return
			}
			if !strings.Contains(filepath.Base(r.Fast.Stamp), p.Hash[:16]) {
				t.Errorf("stamp %s is not named after the content %s", r.Fast.Stamp, p.Hash)
			}
			for ext, file := range map[string]string{".toml": p.Config(), ".allow": r.Fast.Record} {
				fi, _ := os.Stat(file)
				for suffix, d := range map[string]time.Duration{".before": -time.Microsecond, ".after": time.Microsecond} {
					st, err := os.Stat(r.Fast.Stamp + ext + suffix)
					if err != nil || !st.ModTime().Equal(fi.ModTime().Add(d)) {
						t.Errorf("%s%s: %v (%v), want %s's mtime %v", ext, suffix, st, err, file, d)
					}
				}
			}
		})
	}
	t.Run("other content", func(t *testing.T) {
		f := newFixture(t)
		p := f.project("proj", "", true)
		redate(t, f, p, now.Add(-time.Hour))
		in, r := f.step(start(f), "proj")
		old := r.Fast.Stamp
		p = f.project("proj", "gpu = true\n", true)
		redate(t, f, p, now.Add(-time.Hour))
		_, r = f.step(in, "proj/sub")
		if r.Fast == nil || r.Fast.Stamp == "" || r.Fast.Stamp == old {
			t.Fatalf("entering other content kept %+v", r.Fast)
		}
		if left, _ := filepath.Glob(old + ".*"); len(left) > 0 {
			t.Errorf("the old content's stamps are still there: %q", left)
		}
	})
}

// TestDates: an mtime dates what a read found only well before the read
// began (100 ms), and never where it is a whole second, which a file
// system that keeps seconds, a tool that copies mtimes, or the nix store
// (1 for every file) gives to many contents.
func TestDates(t *testing.T) {
	start := time.Date(2026, 11, 29, 12, 0, 0, 500_000_000, time.UTC)
	for _, tc := range []struct {
		mtime time.Time
		want  bool
	}{
		{start.Add(-time.Hour), true},
		{start.Add(-101 * time.Millisecond), true},
		{start.Add(-99 * time.Millisecond), false},
		{start.Add(-time.Nanosecond), false},
		{start, false},
		{start.Add(time.Hour), false},
		{start.Truncate(time.Second), false},
		{start.Truncate(time.Second).Add(-time.Second), false},
		{start.Truncate(time.Second).Add(-2 * time.Second), false},
		{time.Unix(1, 0), false},
		{time.Unix(1, 1), true},
	} {
		if got := dates(tc.mtime, start); got != tc.want {
			t.Errorf("dates(%v, %v) = %v, want %v", tc.mtime, start, got, tc.want)
		}
	}
}
