package hook

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// State is what a shell carries in _NIXLD_STATE: what nixld added and the
// little it needs to take that out again, and which hint it last showed.
// It is exported so that a shell started inside a project can leave it
// too. It never copies a whole variable: a long PATH would push it over
// the kernel's limit for one environment string.
type State struct {
	Root      string `json:"root,omitempty"` // resolved project directory; empty when inactive
	Dir       string `json:"dir,omitempty"`  // the project directory as entered, where not Root
	Hash      string `json:"hash,omitempty"` // config content hash when entered
	Bin       string `json:"bin,omitempty"`  // shim directory put first on PATH
	PathUnset bool   `json:"path_unset,omitempty"`
	// LibVar is the variable the library directories LDAdded were
	// appended to, which LDUnset says was unset before: nix-ld's
	// variable, or LD_LIBRARY_PATH ("" in states of nixld 0.1).
	LibVar  string   `json:"lib_var,omitempty"`
	LDUnset bool     `json:"ld_unset,omitempty"`
	LDAdded []string `json:"ld_added,omitempty"`
	// Steered are the variables nixld set to steer venv-creating tools,
	// at the shim SteerPython (see steering, which gives their values).
	Steered     []string `json:"steered,omitempty"`
	SteerPython string   `json:"steer_python,omitempty"`
	Hinted      string   `json:"hinted,omitempty"` // hash of the hint last shown, so it is shown once
	// Pending says the project was entered without all its packages
	// built: once nixld packages builds them, the next export reloads.
	Pending bool `json:"pending,omitempty"`
}

// stateVersion prefixes the JSON; legacyVersion states (base64 JSON with
// copies of the old variables) are still read, so that a shell entered
// before an upgrade can leave.
const (
	stateVersion  = "2:"
	legacyVersion = "1:"
)

func (s *State) active() bool { return s != nil && s.Root != "" }

// dir is the project directory as the user entered it, for messages.
func (s *State) dir() string { return cmp.Or(s.Dir, s.Root) }

// omitSame is dir, or "" where it is the same as root.
func omitSame(dir, root string) string {
	if dir == root {
		return ""
	}
	return dir
}

// storable says why s cannot be kept in the shell, where it cannot: JSON
// holds only UTF-8 text, and a path that is not would come back altered,
// so that leaving could not take out what entering put in.
func (s *State) storable() error {
	for _, path := range append([]string{s.Root, s.Dir, s.Bin}, s.LDAdded...) {
		if !utf8.ValidString(path) {
			return fmt.Errorf("%s is not UTF-8 text, which nixld's state in the shell cannot hold", strconv.Quote(path))
		}
	}
	return nil
}

func (s *State) encode() *string {
	if s.Root == "" && s.Hinted == "" {
		return nil
	}
	data, _ := json.Marshal(s)
	v := stateVersion + string(data)
	return &v
}

func decodeState(v string) (*State, error) {
	s := &State{}
	switch {
	case strings.HasPrefix(v, stateVersion):
		if err := json.Unmarshal([]byte(v[len(stateVersion):]), s); err != nil {
			return nil, errors.New("malformed")
		}
	case strings.HasPrefix(v, legacyVersion):
		data, err := base64.RawURLEncoding.DecodeString(v[len(legacyVersion):])
		var old struct {
			State
			PathOld *string `json:"path_old"`
			LDOld   *string `json:"ld_old"`
		}
		if err != nil || json.Unmarshal(data, &old) != nil {
			return nil, errors.New("malformed")
		}
		*s = old.State
		s.PathUnset, s.LDUnset, s.Hinted = old.PathOld == nil, old.LDOld == nil, ""
	default:
		return nil, errors.New("malformed")
	}
	return s, nil
}

// vars are the variables nixld changes, by name; nil means unset.
type vars map[string]*string

// trackedNames are the variables nixld changes, in the order its exports
// change them: PATH, the library path variables, those that steer
// venv-creating tools (see steeringNames), and its own state.
// DirenvVar is read, never changed.
var trackedNames = slices.Concat([]string{"PATH", LDVar, NixLDVar, SystemNixLDVar}, steeringNames, []string{DirenvVar, StateVar})

func varsOf(env Env) vars {
	v := vars{}
	for _, name := range trackedNames {
		v[name] = env.ptr(name)
	}
	// direnv's shim directory counts only where direnv has loaded an
	// .envrc here; inherited by a shell without direnv, it is stale.
	if env["DIRENV_DIR"] == "" {
		v[DirenvVar] = nil
	}
	return v
}

// get is the value of name, "" where unset.
func (v vars) get(name string) string {
	if v[name] == nil {
		return ""
	}
	return *v[name]
}

// clone is a copy of v whose changes leave v alone.
func (v vars) clone() vars { return maps.Clone(v) }

// nixLD is the library path nix-ld uses with these variables (see NixLDPath).
func (v vars) nixLD() string {
	env := Env{}
	for _, name := range []string{NixLDVar, SystemNixLDVar} {
		if v[name] != nil {
			env[name] = *v[name]
		}
	}
	return NixLDPath(env)
}

// leave takes nixld's entries out of v: the shim directory it put first on
// PATH and the library directories it appended. Whatever else the user
// did meanwhile stays, and where nothing else happened the old values come
// back byte for byte, unset staying unset.
func leave(v vars, s *State) {
	if p := v["PATH"]; p != nil {
		v["PATH"] = without(*p, []string{s.Bin}, slices.Index, s.PathUnset)
	}
	lib := cmp.Or(s.LibVar, LDVar)
	if l := v[lib]; l != nil {
		v[lib] = without(*l, s.LDAdded, lastIndex, s.LDUnset)
	}
	unsteer(v, s)
}

// without removes one occurrence of each entry from a ':' list, the one
// find picks; a list emptied that way is unset again if it was before.
func without(list string, entries []string, find func([]string, string) int, wasUnset bool) *string {
	parts := strings.Split(list, ":")
	for _, e := range entries {
		if i := find(parts, e); i >= 0 {
			parts = slices.Delete(parts, i, i+1)
		}
	}
	if len(parts) == 0 && wasUnset {
		return nil
	}
	joined := strings.Join(parts, ":")
	return &joined
}

func lastIndex(list []string, e string) int {
	for i := len(list) - 1; i >= 0; i-- {
		if list[i] == e {
			return i
		}
	}
	return -1
}

// Activation is a project entered on top of an environment.
type Activation struct {
	Shims *ShimSet
	Path  string
	// LibVar is the variable the library path goes into (see libraryVar),
	// Lib its new value (nil where it stays unset), and LibAdded the
	// directories appended to it.
	LibVar   string
	Lib      *string
	LibAdded []string
}

// Enter writes p's shims for the programs on v's PATH and computes the new
// PATH (shim directory first) and library path variable (the nix-ld
// libraries and the config's, appended where not already there). venv is
// an activated venv ($VIRTUAL_ENV), whose bin stays first.
func (d Dirs) Enter(p *Project, cfg *Config, v vars, venv string) (*Activation, error) {
	search := ""
	if v["PATH"] != nil {
		search = *v["PATH"]
	}
	l := d.newLookup(search)
	shims, err := d.writeShims(p, cfg, l)
	if err != nil {
		return nil, err
	}
	// A shim directory already on PATH is stale: a shell started inside
	// a project without its state, or a venv's deactivate, brought it.
	// It must not be there twice, nor stay after leaving. direnv's stays,
	// unless `use nixld` put this very directory there., unless `use nixld` put this very directory there.
	keep := v.get(DirenvVar)
	if keep == shims.Bin {
		keep = ""
	}
	a := &Activation{Shims: shims, Path: withShims(l.withoutShimDirs(search, keep), shims.Bin, venv)}
	var dirs []string
	a.LibVar, dirs = libraryVar(v, cfg)
	a.Lib = v[a.LibVar]
	if len(dirs) > 0 {
		lib, added := appendLD(v[a.LibVar], dirs)
		if len(added) > 0 {
			a.Lib, a.LibAdded = &lib, added
		}
	}
	return a, nil
}

// libraryVar is where a project's library directories go in the shell,
// and which. With export_ld_library_path, nix-ld's and the config's go
// into LD_LIBRARY_PATH, which every program then searches. Otherwise the
// config's (if any) go into the variable nix-ld reads (its per-system one
// where that is set), so that the unpatched programs nix-ld runs find
// them and nothing else notices: the shims give the interpreters the
// whole library path themselves.
func libraryVar(v vars, cfg *Config) (string, []string) {
	if cfg.ExportLD {
		return LDVar, LibraryDirs(v.nixLD(), cfg)
	}
	name := NixLDVar
	if sys := v[SystemNixLDVar]; sys != nil && *sys != "" {
		name = SystemNixLDVar
	}
	if len(cfg.ExtraLibraries()) == 0 {
		return name, nil
	}
	// Where nix-ld's variable is unset or empty it uses its default,
	// which must stay once the variable is set.
	return name, LibraryDirs(v.nixLD(), cfg)
}

// withShims puts the shim directory first on PATH, or, where a venv is
// active (venv is $VIRTUAL_ENV) and its bin directory is on PATH, right
// after that: the python3 of an activated venv stays the one the user chose.
func withShims(path, bin, venv string) string {
	if path == "" {
		return bin
	}
	parts := strings.Split(path, ":")
	if venv != "" {
		if i := slices.Index(parts, filepath.Join(venv, "bin")); i >= 0 {
			return strings.Join(slices.Insert(parts, i+1, bin), ":")
		}
	}
	return bin + ":" + path
}

// LibraryDirs is what a project adds to LD_LIBRARY_PATH: nix-ld's library
// path (see NixLDPath), then the config's libraries and GPU driver
// directory. Empty and relative entries of nix-ld's path are dropped: on
// LD_LIBRARY_PATH they would mean the working directory.
func LibraryDirs(nixLD string, cfg *Config) []string {
	var dirs []string
	for _, dir := range append(strings.Split(nixLD, ":"), cfg.ExtraLibraries()...) {
		if filepath.IsAbs(dir) && !slices.Contains(dirs, dir) {
			dirs = append(dirs, dir)
		}
	}
	return dirs
}

func appendLD(ld *string, dirs []string) (string, []string) {
	var list []string
	if ld != nil && *ld != "" {
		list = strings.Split(*ld, ":")
	}
	var added []string
	for _, dir := range dirs {
		if !slices.Contains(list, dir) {
			list = append(list, dir)
			added = append(added, dir)
		}
	}
	return strings.Join(list, ":"), added
}
