// Exports as data, for shells whose hooks load values rather than eval
// code (nu, elvish): {"set": {NAME: value}, "unset": [NAME], "keep": ...}.
package shells

import (
	"encoding/json"
	"strings"
)

// changes is what a hook applies: {"set": {NAME: value}, "unset": [NAME]}.
type changes struct {
	Set   map[string]any `json:"set"`
	Unset []string       `json:"unset"`
}

// keep is Fast as data. The hook takes the tracked variables from the
// shell itself, after applying the changes, by the names its own code
// gives them (see Hook).
type keep struct {
	Config  string   `json:"config"`
	Content string   `json:"content"`
	Record  string   `json:"record"`
	Trust   string   `json:"trust"`
	Leave   changes  `json:"leave"`
	Left    []string `json:"left"`
}

// dataExport renders ops, and fast under "keep" (null where nil), as
// JSON. With pathList, PATH is given as a list of its entries, as nu
// keeps it; otherwise every value is a string.
func dataExport(ops []Op, pathList bool, fast *Fast) string {
	out := struct {
		changes
		Keep *keep `json:"keep"`
	}{changes: changesOf(ops, pathList)}
	if fast != nil {
		out.Keep = &keep{Config: fast.Config, Content: fast.Content, Record: fast.Record, Trust: fast.Trust,
			Leave: changesOf(fast.Leave, pathList), Left: append([]string{}, fast.Left...)}
	}
	// Marshalling strings, lists and maps of them cannot fail.
	data, _ := json.Marshal(out)
	return string(data) + "\n"
}

func changesOf(ops []Op, pathList bool) changes {
	c := changes{Set: map[string]any{}, Unset: []string{}}
	for _, op := range ops {
		if op.Unset {
			c.Unset = append(c.Unset, op.Name)
		} else {
			c.Set[op.Name] = value(op, pathList)
		}
	}
	return c
}

// value is op's value as the hook holds it: nil where unset, PATH a list
// with pathList.
func value(op Op, pathList bool) any {
	switch {
	case op.Unset:
		return nil
	case pathList && op.Name == "PATH":
		return strings.Split(op.Value, ":")
	}
	return op.Value
}
