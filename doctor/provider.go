package doctor

// Which nixpkgs attribute provides a missing soname, asked in order:
// nixld's own table (exact names, then version families), the user's own
// Nix store (a store path <hash>-<name>-<version>/lib/<soname> already
// on the machine), nix-index's nix-locate where it is on PATH, and
// otherwise the nix-locate command for the user to run.

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/nixld/nixld/hook"
	"github.com/nixld/nixld/nixpkgs"
)

// Where an attribute came from, as the JSON's "source" says it.
const (
	sourceTable     = "table"
	sourceStore     = "store"
	sourceNixLocate = "nix-locate"
)

// Bounds on the slower sources.
var (
	storeDeadline     = 5 * time.Second  // listing the store and looking in each lib/
	maxLibEntries     = 100000           // names read of one store path's lib/
	nixLocateDeadline = 30 * time.Second // every nix-locate run together
	maxNixLocateOut   = 1 << 20
)

// provider is the answer for one soname.
type provider struct {
	attr   string
	source string
	guess  bool
	found  string // the store file, or nix-locate's store path
	// asked lists the sources that had no answer, for the hint.
	asked []string
}

// locateCommand is the nix-locate command that names a soname's package.
func locateCommand(soname string) string {
	return "nix-locate --top-level --whole-name --at-root /lib/" + soname
}

// hint is the one line for a missing soname; shown is its name as
// printed.
func (p provider) hint(shown string) string {
	add := fmt.Sprintf("add %s to packages in .nixld.toml, or to programs.nix-ld.libraries", p.attr)
	switch {
	case p.source == sourceTable:
		return add
	case p.source == sourceStore && p.guess:
		return fmt.Sprintf("your store has it in %s; its attribute is probably %s (a guess from that name): check, then %s", p.found, p.attr, add)
	case p.source == sourceStore:
		return fmt.Sprintf("your store has it in %s, from %s: %s", p.found, p.attr, add)
	case p.source == sourceNixLocate:
		return fmt.Sprintf("nix-locate finds it in %s, from %s: %s", p.found, p.attr, add)
	}
	asked := strings.Join(p.asked, ", ")
	if n := len(p.asked); n > 1 {
		asked = strings.Join(p.asked[:n-1], ", ") + " or " + p.asked[n-1]
	}
	return fmt.Sprintf("not in %s; nix-index can name the package: %s", asked, locateCommand(shown))
}

// Lookups remembers the answer for each soname across the runs of one
// command (doctor --fix checks again after fixing), so that nix-locate
// is asked once. A Check without one asks afresh.
type Lookups struct {
	mu      sync.Mutex
	answers map[string]provider
}

// NewLookups is an empty memory of answers.
func NewLookups() *Lookups { return &Lookups{answers: map[string]provider{}} }

// providers answers for one report.
type providers struct {
	store     string
	nixLocate string // its path, or ""
	env       hook.Env
	progress  io.Writer
	report    *Report
	show      func(string) string
	memory    *Lookups
}

func newProviders(c Check, r *Report) *providers {
	p := &providers{store: hook.StoreDir(), env: c.Env, progress: c.Progress, report: r, show: c.Dirs.Show, memory: c.Lookups}
	if found, err := lookPath("nix-locate", c.Env["PATH"]); err == nil {
		p.nixLocate = found
	}
	return p
}

// lookPath finds an executable on path; relative entries are skipped.
func lookPath(name, path string) (string, error) {
	for _, dir := range filepath.SplitList(path) {
		if !filepath.IsAbs(dir) {
			continue
		}
		cand := filepath.Join(dir, name)
		if fi, err := os.Stat(cand); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return cand, nil
		}
	}
	return "", os.ErrNotExist
}

// lookup answers for each soname, asking each source only about what the
// ones before it did not know.
func (p *providers) lookup(sonames []string) map[string]provider {
	if p.memory == nil {
		return p.ask(sonames)
	}
	p.memory.mu.Lock()
	defer p.memory.mu.Unlock()
	var unknown []string
	for _, s := range sonames {
		if _, ok := p.memory.answers[s]; !ok {
			unknown = append(unknown, s)
		}
	}
	for s, a := range p.ask(unknown) {
		p.memory.answers[s] = a
	}
	out := map[string]provider{}
	for _, s := range sonames {
		out[s] = p.memory.answers[s]
	}
	return out
}

func (p *providers) ask(sonames []string) map[string]provider {
	out := map[string]provider{}
	var rest []string
	for _, soname := range sonames {
		if attr := attrFor(soname); attr != "" {
			out[soname] = provider{attr: attr, source: sourceTable}
		} else {
			rest = append(rest, soname)
			out[soname] = provider{asked: []string{"nixld's table"}}
		}
	}
	if len(rest) == 0 {
		return out
	}
	for soname, found := range p.fromStore(rest) {
		out[soname] = found
	}
	rest = slices.DeleteFunc(rest, func(s string) bool { return out[s].source != "" })
	for _, soname := range rest {
		q := out[soname]
		q.asked = append(q.asked, "your store ("+p.show(p.store)+")")
		out[soname] = q
	}
	if p.nixLocate == "" || len(rest) == 0 {
		return out
	}
	ctx, cancel := context.WithTimeout(context.Background(), nixLocateDeadline)
	defer cancel()
	for _, soname := range rest {
		if found, ok := p.fromNixLocate(ctx, soname); ok {
			out[soname] = found
		} else {
			q := out[soname]
			q.asked = append(q.asked, "nix-index's database")
			out[soname] = q
		}
	}
	return out
}

// storeName is a store path's base name: a 32-character nix-base32 hash,
// a dash, and the derivation's name.
var storeName = regexp.MustCompile(`^[0-9a-df-np-sv-z]{32}-(.+)$`)

// fromStore looks for lib/<soname> in every store path, within
// storeDeadline: each lib directory is listed once, whatever the number
// of sonames, and the deadline is checked at every store path. A soname
// with a slash names no file in a lib directory.
func (p *providers) fromStore(sonames []string) map[string]provider {
	dir, err := os.Open(p.store)
	if err != nil {
		return nil
	}
	defer dir.Close()
	wanted := map[string]bool{}
	for _, soname := range sonames {
		if soname != "" && !strings.Contains(soname, "/") && soname != "." && soname != ".." {
			wanted[soname] = true
		}
	}
	deadline := time.Now().Add(storeDeadline)
	candidates := map[string][]provider{}
	stopped := false
	for !stopped {
		entries, err := dir.ReadDir(4096)
		for _, e := range entries {
			if time.Now().After(deadline) {
				stopped = true
				break
			}
			m := storeName.FindStringSubmatch(e.Name())
			if m == nil || !e.IsDir() {
				continue
			}
			lib := filepath.Join(p.store, e.Name(), "lib")
			if fi, err := os.Lstat(lib); err != nil || !fi.IsDir() {
				continue
			}
			f, err := os.Open(lib)
			if err != nil {
				continue
			}
			names, _ := f.Readdirnames(maxLibEntries)
			f.Close()
			for _, name := range names {
				if !wanted[name] {
					continue
				}
				if attr, guess := storeAttr(m[1]); attr != "" {
					candidates[name] = append(candidates[name], provider{attr: attr, source: sourceStore, guess: guess, found: filepath.Join(lib, name)})
				}
			}
		}
		if err != nil {
			break
		}
	}
	if stopped {
		p.report.note("stopped looking through %s after %v", p.show(p.store), storeDeadline)
	}
	out := map[string]provider{}
	for soname, cands := range candidates {
		// Confident answers first, then by attribute and file, so that
		// the same store gives the same answer.
		slices.SortFunc(cands, func(a, b provider) int {
			if a.guess != b.guess {
				if a.guess {
					return 1
				}
				return -1
			}
			return cmp.Or(strings.Compare(a.attr, b.attr), strings.Compare(a.found, b.found))
		})
		out[soname] = cands[0]
	}
	return out
}

// outputs are the names of a derivation's outputs, which end a store
// path's name when not "out" (gcc-13.2.0-lib).
var outputs = []string{"lib", "dev", "bin", "out", "man", "doc", "info", "debug", "static", "devdoc", "py", "python"}

// parseStoreName splits a derivation's name as Nix's parseDrvName does:
// the version starts at the first dash followed by something other than
// a letter. A trailing output name is taken off.
func parseStoreName(name string) (pname, version, output string) {
	parts := strings.Split(name, "-")
	i := 1
	for ; i < len(parts); i++ {
		if parts[i] != "" && !isLetter(parts[i][0]) {
			break
		}
	}
	pname = strings.Join(parts[:i], "-")
	rest := parts[i:]
	if n := len(rest); n > 1 && slices.Contains(outputs, rest[n-1]) {
		output, rest = rest[n-1], rest[:n-1]
	}
	return pname, strings.Join(rest, "-"), output
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// storeAttrs maps the package names of store paths to their nixpkgs
// attributes where the two differ.
var storeAttrs = map[string]string{
	"gcc":                  "stdenv.cc.cc.lib",
	"gfortran":             "gfortran.cc.lib",
	"fftw-double":          "fftw",
	"fftw-single":          "fftwFloat",
	"fftw-long-double":     "fftwLongDouble",
	"fftw-quad":            "fftwQuad",
	"libglvnd":             "libGL",
	"pulseaudio":           "libpulseaudio",
	"gtk+3":                "gtk3",
	"gtk+":                 "gtk2",
	"systemd-minimal":      "systemd",
	"systemd-minimal-libs": "systemd",
	"openjdk":              "jdk",
	"python3":              "python3",
	"util-linux-minimal":   "util-linux",
	"libusb":               "libusb1",
	"jack2":                "libjack2",
}

// storeAttr is the attribute for a store path's name (without its hash),
// and whether it is a guess: a name neither mapped here nor one of the
// table's attributes is taken as the attribute itself, which it usually
// is.
func storeAttr(name string) (string, bool) {
	pname, version, _ := parseStoreName(name)
	switch {
	case pname == "qtbase" && strings.HasPrefix(version, "5."):
		return "libsForQt5.qt5.qtbase", false
	case pname == "qtbase":
		return "qt6.qtbase", false
	case pname == "openssl" && strings.HasPrefix(version, "1.1"):
		return "openssl_1_1", false
	case pname == "ncurses" && strings.HasPrefix(version, "5."):
		return "ncurses5", false
	}
	if attr, ok := storeAttrs[pname]; ok {
		return attr, false
	}
	if attr, ok := tableAttrs()[pname]; ok {
		return attr, false
	}
	if !nixpkgs.Attribute.MatchString(pname) {
		return "", true
	}
	return pname, true
}

// tableAttrs maps each attribute of the soname table by its last
// component (xorg.libX11 by libX11, the name of its store paths).
var tableAttrs = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	for _, e := range sonames {
		if e.attr == attrGlibc || e.attr == attrGPU {
			continue
		}
		prefix, last, dotted := strings.Cut(e.attr, ".")
		switch {
		case !dotted:
			m[e.attr] = e.attr
		case prefix == "xorg" || prefix == "cudaPackages":
			m[last] = e.attr
		}
	}
	return m
})

// fromNixLocate asks nix-index's database which package has
// lib/<soname>: a top-level attribute where one has it, as nix-locate
// marks the others with parentheses.
func (p *providers) fromNixLocate(ctx context.Context, soname string) (provider, bool) {
	if ctx.Err() != nil {
		return provider{}, false
	}
	if p.progress != nil {
		fmt.Fprintf(p.progress, "nixld: asking nix-locate which package has /lib/%s\n", p.show(soname))
	}
	cmd := exec.CommandContext(ctx, p.nixLocate, "--at-root", "--whole-name", "/lib/"+soname)
	cmd.Env = p.env.Environ()
	var out, errOut limitedBuffer
	out.max, errOut.max = maxNixLocateOut, 4096
	cmd.Stdout, cmd.Stderr = &out, &errOut
	// In a process group of its own, so that the deadline stops what it
	// started too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	switch {
	case ctx.Err() != nil:
		p.report.note("nix-locate took over %v; stopped asking it", nixLocateDeadline)
		return provider{}, false
	case err != nil:
		line, _, _ := strings.Cut(strings.TrimSpace(errOut.String()), "\n")
		p.report.note("nix-locate failed for %s: %v %s", p.show(soname), err, p.show(line))
		return provider{}, false
	}
	type match struct {
		attr, path string
		rank       int
	}
	var matches []match
	sc := bufio.NewScanner(bytes.NewReader(out.Bytes()))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		m := match{attr: fields[0]}
		if len(fields) >= 4 {
			m.path = fields[3]
		}
		if inner, ok := strings.CutPrefix(m.attr, "("); ok {
			m.attr, m.rank = strings.TrimSuffix(inner, ")"), 2 // not top-level
		}
		m.attr = strings.TrimSuffix(m.attr, ".out")
		if m.rank == 0 && strings.Contains(m.attr, ".") {
			m.rank = 1
		}
		if nixpkgs.Attribute.MatchString(m.attr) {
			matches = append(matches, m)
		}
	}
	if len(matches) == 0 {
		return provider{}, false
	}
	best := slices.MinFunc(matches, func(a, b match) int { return cmp.Compare(a.rank, b.rank) })
	return provider{attr: best.attr, source: sourceNixLocate, found: best.path}, true
}

// limitedBuffer keeps the first max bytes written to it.
type limitedBuffer struct {
	bytes.Buffer
	max int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
