package doctor

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
