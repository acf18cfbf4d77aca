package hook

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
)

// State is what a shell carries in _NIXLD_STATE: enough to leave the
// active project exactly, and which hint it already showed. It is exported
// so that a shell started inside a project can leave it too.
type State struct {
	Root    string   `json:"root,omitempty"` // resolved project directory; empty when inactive
	Dir     string   `json:"dir,omitempty"`  // the project directory as entered, for messages
	Hash    string   `json:"hash,omitempty"` // config content hash when entered
	Bin     string   `json:"bin,omitempty"`  // shim directory put on PATH
	PathOld *string  `json:"path_old,omitempty"`
	PathNew string   `json:"path_new,omitempty"`
	LDOld   *string  `json:"ld_old,omitempty"`
	LDNew   string   `json:"ld_new,omitempty"`
	LDAdded []string `json:"ld_added,omitempty"`
	Hinted  string   `json:"hinted,omitempty"` // the hint last shown, so it is shown once
}

const stateVersion = "1:"

func (s *State) active() bool { return s != nil && s.Root != "" }

func (s *State) encode() *string {
	if s.Root == "" && s.Hinted == "" {
		return nil
	}
	data, _ := json.Marshal(s)
	v := stateVersion + base64.RawURLEncoding.EncodeToString(data)
	return &v
}

func decodeState(v string) (*State, error) {
	data, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(v, stateVersion))
	if err != nil || !strings.HasPrefix(v, stateVersion) {
		return nil, errors.New("malformed")
	}
	s := &State{}
	if err := json.Unmarshal(data, s); err != nil {
		return nil, errors.New("malformed")
	}
	return s, nil
}

// vars are the variables nixld changes; nil means unset.
type vars struct {
	path, ld, state *string
}

func varsOf(env Env) vars {
	return vars{env.ptr("PATH"), env.ptr(LDVar), env.ptr(StateVar)}
}

// leave undoes s on v. Where the shell still holds exactly what nixld set,
// the old values come back byte for byte (unset stays unset). Where the
// user changed a variable since, only nixld's own entries come out of it.
func leave(v *vars, s *State) {
	switch {
	case v.path != nil && *v.path == s.PathNew:
		v.path = s.PathOld
	case v.path != nil:
		v.path = withoutFirst(*v.path, s.Bin, s.PathOld)
	}
	switch {
	case v.ld != nil && *v.ld == s.LDNew:
		v.ld = s.LDOld
	case v.ld != nil:
		list := strings.Split(*v.ld, ":")
		for _, dir := range s.LDAdded {
			if i := slices.Index(list, dir); i >= 0 {
				list = slices.Delete(list, i, i+1)
			}
		}
		v.ld = joinOrUnset(list, s.LDOld)
	}
}

func withoutFirst(list, entry string, old *string) *string {
	parts := strings.Split(list, ":")
	if i := slices.Index(parts, entry); i >= 0 {
		parts = slices.Delete(parts, i, i+1)
	}
	return joinOrUnset(parts, old)
}

// joinOrUnset joins a list back; an emptied list is unset again if it was
// unset before nixld came.
func joinOrUnset(parts []string, old *string) *string {
	if len(parts) == 0 && old == nil {
		return nil
	}
	s := strings.Join(parts, ":")
	return &s
}

// Activation is a project entered on top of an environment.
type Activation struct {
	Shims   *ShimSet
	Path    string
	LD      string
	LDAdded []string
}

// Enter writes p's shims for the programs on path and computes the new
// PATH (shim directory first) and LD_LIBRARY_PATH (the nix-ld libraries and
// the config's, appended where not already there).
func (d Dirs) Enter(p *Project, cfg *Config, path, ld *string, nixLD *string) (*Activation, error) {
	search := ""
	if path != nil {
		search = *path
	}
	shims, err := d.WriteShims(p, cfg, search)
	if err != nil {
		return nil, err
	}
	a := &Activation{Shims: shims, Path: shims.Bin}
	if search != "" {
		a.Path += ":" + search
	}
	a.LD, a.LDAdded = appendLD(ld, LibraryDirs(nixLD, cfg))
	return a, nil
}

// LibraryDirs is what a project adds to LD_LIBRARY_PATH: $NIX_LD_LIBRARY_PATH
// (the NixOS default where it is unset or empty), then the config's.
func LibraryDirs(nixLD *string, cfg *Config) []string {
	src := DefaultNixLD
	if nixLD != nil && *nixLD != "" {
		src = *nixLD
	}
	var dirs []string
	for _, dir := range append(strings.Split(src, ":"), cfg.Libraries...) {
		if dir != "" && !slices.Contains(dirs, dir) {
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
