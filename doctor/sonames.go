// Package doctor checks a project the way the dynamic loader will see it:
// it reads every shared object in the project's venvs, resolves each
// library they need as the interpreter's loader would when started
// through nixld's shims, and names the nixpkgs package for what is
// missing. It also checks the environment nixld relies on.
package doctor

import (
	_ "embed"
	"path"
	"strings"
)

//go:embed sonames.tsv
var sonameTable string

// Attributes that are not packages.
const (
	attrGlibc = "glibc" // comes with the interpreter's own C library
	attrGPU   = "gpu"   // the driver, in /run/opengl-driver/lib
)

type sonameEntry struct{ pattern, attr string }

var sonames = parseSonames(sonameTable)

func parseSonames(table string) []sonameEntry {
	var entries []sonameEntry
	for _, line := range strings.Split(table, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		soname, attr, ok := strings.Cut(line, "\t")
		if !ok {
			panic("doctor: malformed sonames.tsv line: " + line)
		}
		entries = append(entries, sonameEntry{soname, attr})
	}
	return entries
}

// attrFor is the nixpkgs attribute that provides soname, or "": an exact
// entry first, then a version family.
func attrFor(soname string) string {
	for _, e := range sonames {
		if e.pattern == soname {
			return e.attr
		}
	}
	for _, e := range sonames {
		if ok, _ := path.Match(e.pattern, soname); ok && strings.Contains(e.pattern, "*") {
			return e.attr
		}
	}
	return ""
}
