package doctor

// doctor --fix: relink the project's venvs to its shims (writing the
// shims first where no shell has entered the project yet, or where a
// profile switched under them), and with
// --packages add the attributes doctor found to packages in .nixld.toml.
// It acts only for a project the user allowed, and says in one line each
// what it changed, what it left alone and why.

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/nixld/nixld/hook"
)

// Fix repairs what r found in c's project and returns one line for each
// thing it did or could not do, each starting "nixld: ". With packages,
// it adds r's attributes (not the guesses) to packages in .nixld.toml.
func Fix(c Check, r *Report, packages bool) []string {
	d := c.Dirs
	var lines []string
	say := func(format string, args ...any) { lines = append(lines, "nixld: "+fmt.Sprintf(format, args...)) }
	p := c.Project
	if p == nil {
		say("nothing fixed: no %s in %s or above", hook.ConfigName, d.Show(c.Root))
		return lines
	}
	if ok, trust := c.allowed(); !ok {
		verb := "nixld allow"
		if c.Direnv {
			verb = "direnv allow"
		}
		say("nothing fixed: %s is %s; review it, then run '%s'", d.Show(c.configName()), trust, verb)
		return lines
	}
	bin := d.ShimDir(p)
	refreshed := false
	refresh := func() {
		if refreshed {
			return
		}
		refreshed = true
		if set, err := refreshShims(c); err != nil {
			say("cannot write the shims of %s: %v", d.Show(p.Dir), err)
		} else {
			say("wrote the shims of %s: %s", d.Show(p.Dir), strings.Join(set.Names(), ", "))
		}
	}
	if len(r.Environment.StaleShims) > 0 || shimsGone(c) {
		// A profile switched under them: they run what is there now the
		// old way, with LD_LIBRARY_PATH, until they are rewritten.
		refresh()
	}
	// The shims as they are now, each run at most once: a venv is
	// linked only to a shim that starts Python under the venv's name.
	var shims *shimRuns
	for _, v := range r.Venvs {
		if v.OK {
			continue
		}
		f := found{path: string(v.Path), real: string(v.Real), tool: string(v.Tool), owned: v.owned}
		if version, _ := venvVersion(f.real); version != "" && f.owned {
			if _, err := os.Stat(filepath.Join(bin, version)); err != nil {
				// No shell has entered the project since it was made, or
				// since this Python came: write its shims now.
				refresh()
			}
			if shims == nil {
				shims = newShimRuns(c)
			}
			if s := shims.run(version); s != nil && !s.keepsName(bin) {
				say("cannot fix %s: its %s shim %s, so the venv would run outside itself; %s, then 'nixld doctor --fix'; nothing changed",
					d.Show(f.path), version, s.fault(d.Show), s.remedy(c))
				continue
			}
		}
		fx, err := fixVenv(d, f, bin)
		for _, c := range fx.changed {
			say("fixed %s: %s", d.Show(f.path), c)
		}
		for _, s := range fx.skipped {
			say("not fixed in %s: %s", d.Show(f.path), s)
		}
		if err != nil {
			say("cannot fix %s: %v", d.Show(f.path), err)
		}
	}
	if packages && c.Direnv {
		say("no packages added: %s has no %s to add them to; 'nixld init' writes one", d.Show(p.Dir), hook.ConfigName)
	} else if packages {
		lines = append(lines, addPackages(c, r)...)
	}
	return lines
}

// refreshShims writes the shims of c's project for the programs on PATH
// now: a .nixld.toml's as 'nixld shims' does, direnv's with the defaults,
// as `use nixld` does.
func refreshShims(c Check) (*hook.ShimSet, error) {
	if c.Direnv {
		return c.Dirs.WriteShims(c.Project, hook.DefaultConfig, c.Env["PATH"])
	}
	_, set, err := hook.RefreshShims(c.Dirs, c.Env, c.Project.Dir)
	return set, err
}

// addPackages appends the attributes r names with confidence to
// packages in the project's .nixld.toml, keeping the rest of the file as
// it is. The edit withdraws the file's trust, which the line says.
func addPackages(c Check, r *Report) []string {
	d, p := c.Dirs, c.Project
	var add, guessed []string
	for _, m := range r.Missing {
		attr := string(m.Nixpkgs)
		switch {
		case attr == "":
		case m.Guess:
			if !slices.Contains(guessed, attr) {
				guessed = append(guessed, attr)
			}
		case !slices.Contains(add, attr) && (c.Config == nil || !slices.Contains(c.Config.Packages, attr)):
			add = append(add, attr)
		}
	}
	var lines []string
	for _, g := range guessed {
		lines = append(lines, fmt.Sprintf("nixld: not adding %s to packages: it is a guess from a store path's name; check it, then add it yourself", g))
	}
	if len(add) == 0 {
		if len(r.Missing) > 0 && len(guessed) == 0 {
			lines = append(lines, "nixld: no package to add: doctor knows none for what is missing")
		}
		return lines
	}
	name := p.Config()
	if fi, err := os.Lstat(name); err != nil || !fi.Mode().IsRegular() {
		return append(lines, fmt.Sprintf("nixld: not editing %s: it is not a regular file in the project; add %s yourself", d.Show(name), strings.Join(add, ", ")))
	}
	edited, err := appendPackages(p.Content, add)
	if err == nil {
		err = checkEdit(p, edited, add, d.Home)
	}
	if err == nil {
		err = replaceFile(name, edited)
	}
	if err != nil {
		return append(lines, fmt.Sprintf("nixld: could not add %s to packages in %s: %v; add them yourself", strings.Join(add, ", "), d.Show(name), err))
	}
	return append(lines, fmt.Sprintf("nixld: added %s to packages in %s; the edit withdrew its trust: review it, then run 'nixld allow'", strings.Join(add, ", "), d.Show(name)))
}

// packagesKey finds a top-level packages = [ ... ] and its closing
// bracket's offset is found by appendPackages.
var packagesKey = regexp.MustCompile(`(?m)^[ \t]*packages[ \t]*=[ \t]*\[`)

// appendPackages adds attrs to the packages array of a .nixld.toml's
// text, or a packages line at its end where it has none.
func appendPackages(content []byte, attrs []string) ([]byte, error) {
	quoted := make([]string, len(attrs))
	for i, a := range attrs {
		quoted[i] = strconv.Quote(a)
	}
	text := string(content)
	loc := packagesKey.FindStringIndex(text)
	if loc == nil {
		if text != "" && !strings.HasSuffix(text, "\n") {
			text += "\n"
		}
		return []byte(text + "packages = [" + strings.Join(quoted, ", ") + "]\n"), nil
	}
	end, empty, err := arrayEnd(text, loc[1])
	if err != nil {
		return nil, err
	}
	// After the last element, or its trailing comma.
	before := strings.TrimRight(text[:end], " \t\r\n")
	sep := ", "
	switch {
	case empty:
		sep = ""
	case strings.HasSuffix(before, ","):
		sep = " "
	}
	return []byte(before + sep + strings.Join(quoted, ", ") + text[len(before):]), nil
}

// arrayEnd is the offset of the ] that closes the array whose [ ends at
// start, reading strings and comments as TOML does, and whether the
// array has no element.
func arrayEnd(text string, start int) (int, bool, error) {
	empty := true
	for i := start; i < len(text); i++ {
		switch c := text[i]; c {
		case ']':
			return i, empty, nil
		case '#':
			for i < len(text) && text[i] != '\n' {
				i++
			}
		case '"', '\'':
			empty = false
			j := i + 1
			for ; j < len(text) && text[j] != c && text[j] != '\n'; j++ {
				if c == '"' && text[j] == '\\' {
					j++
				}
			}
			if j >= len(text) || text[j] != c {
				return 0, false, fmt.Errorf("its packages array has a string nixld can't read")
			}
			i = j
		case '[':
			return 0, false, fmt.Errorf("its packages array is nested")
		case ' ', '\t', '\r', '\n', ',':
		default:
			empty = false
		}
	}
	return 0, false, fmt.Errorf("its packages array is not closed")
}

// checkEdit proves the edit did only what it should: the new text parses
// to the old config with attrs added to packages.
func checkEdit(p *hook.Project, edited []byte, attrs []string, home string) error {
	old, err := hook.ParseConfig(p, home)
	if err != nil {
		return err
	}
	q := *p
	q.Content = edited
	cfg, err := hook.ParseConfig(&q, home)
	if err != nil {
		return fmt.Errorf("the edited file would not parse: %v", err)
	}
	want := *old
	want.Packages = append(slices.Clip(old.Packages), attrs...)
	if fmt.Sprint(*cfg) != fmt.Sprint(want) {
		return fmt.Errorf("the edit would change more than packages")
	}
	return nil
}
