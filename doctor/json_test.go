package doctor

// The JSON report: lossless byte strings, schema, one convention for empty values.

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nixld/nixld/hook"
)

// Paths that are not UTF-8 come back byte for byte from the JSON, so
// that a tool can open them.
func TestJSONLossless(t *testing.T) {
	f := newFixture(t)
	odd := filepath.Join(f.proj, "caf\xe9 \xff")
	if err := os.Rename(f.venv, odd); err != nil {
		t.Fatal(err)
	}
	c := f.check(t)
	empty := ""
	c.Env[hook.SystemNixLDVar] = empty
	r := Run(c)
	var back Report
	if err := json.Unmarshal([]byte(r.JSON()), &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Venvs) != 1 || string(back.Venvs[0].Path) != odd {
		t.Fatalf("venvs %+v", back.Venvs)
	}
	if _, err := os.Stat(string(back.Venvs[0].Path)); err != nil {
		t.Error(err)
	}
	for _, m := range back.Missing {
		if !strings.HasPrefix(string(m.NeededBy[0]), odd+"/") {
			t.Errorf("%s needed by %q", m.Soname, m.NeededBy)
		}
	}
	// Set and empty is not unset.
	vars := map[string]*Value{}
	for _, v := range back.Environment.Variables {
		vars[v.Name] = v.Value
	}
	if v := vars[hook.SystemNixLDVar]; v == nil || *v != "" {
		t.Errorf("%s: %v", hook.SystemNixLDVar, v)
	}
	if string(*vars[hook.NixLDVar]) != f.nixLD {
		t.Errorf("%s: %v", hook.NixLDVar, vars[hook.NixLDVar])
	}
	var raw map[string]any
	json.Unmarshal([]byte(r.JSON()), &raw)
	path := raw["venvs"].([]any)[0].(map[string]any)["path"].(map[string]any)
	if path["bytes"] == nil || path["escaped"] != `"`+odd[:len(odd)-len("caf\xe9 \xff")]+`caf\xe9 \xff"` || path["text"] != nil {
		t.Errorf("path %v", path)
	}
}

// One convention for empty values: null where a value is absent, []
// where a list is empty; never "".
func TestJSONEmptyValues(t *testing.T) {
	f := newFixture(t)
	c := f.check(t)
	c.Project = nil // outside a project: most values absent
	for _, r := range []*Report{Run(c), f.run(t)} {
		var raw any
		if err := json.Unmarshal([]byte(r.JSON()), &raw); err != nil {
			t.Fatal(err)
		}
		var walk func(path string, v any)
		walk = func(path string, v any) {
			switch v := v.(type) {
			case string:
				if v == "" && !strings.HasSuffix(path, ".value.text") {
					t.Errorf("%s is \"\"", path)
				}
			case map[string]any:
				for k, e := range v {
					walk(path+"."+k, e)
				}
			case []any:
				for _, e := range v {
					walk(path+"[]", e)
				}
			}
		}
		walk("", raw)
		m := raw.(map[string]any)
		for _, key := range []string{"venvs", "missing", "skipped", "notes", "problems"} {
			if _, ok := m[key].([]any); !ok {
				t.Errorf("%s is %v, not a list", key, m[key])
			}
		}
	}
}

// The README documents every key of the JSON form.
func TestReadmeDocumentsJSON(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	section := string(readme)
	if i := strings.Index(section, "### `nixld doctor --json`"); i >= 0 {
		section = section[i:]
	}
	value := Value("x")
	full := &Report{
		Schema: Schema, Root: "/p", Project: "/p/.nixld.toml", Trust: "allowed",
		Environment: Environment{
			LibraryPath: []Bytes{"/l"}, NixLD: []LibDir{{Path: "/l"}}, Variables: []EnvVar{{Name: "V", Value: &value}},
			Hook: "bash", DeadShims: []Shim{{Shim: "s", Target: "/t"}},
			StaleShims:    []Stale{{Shim: "s", Target: "/t", Written: "/w", Now: "/n"}},
			LauncherShims: []Launcher{{Shim: "s", Target: "/t", Executable: "/e"}},
		},
		Venvs:   []Venv{{Path: "/p/.venv", Real: "/p/.venv", Tool: "poetry", Python: "/py", Problem: "x"}},
		Skipped: []Skipped{{Path: "/p/x.so", Reason: "x"}},
		Missing: []Missing{{Soname: "libx.so.1", NeededBy: []Bytes{"/p/y.so"}, Nixpkgs: "x", Source: "store", Found: "/nix/store/x/lib/libx.so.1", Hint: "x"}},
		Fix:     Remedy{Packages: []string{"x"}, Project: "x", System: "x"},
		Notes:   []string{"x"}, Problems: []string{"x"},
	}
	var raw any
	json.Unmarshal([]byte(full.JSON()), &raw)
	keys := map[string]bool{"bytes": true, "escaped": true} // a byte string's other form
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				keys[k] = true
				walk(e)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(raw)
	for k := range keys {
		if !strings.Contains(section, "`"+k+"`") && !strings.Contains(section, `"`+k+`"`) {
			t.Errorf("the README's doctor --json section does not document %q", k)
		}
	}
}
