// Exports as data, for shells whose hooks load values rather than eval
// code (nu, elvish): {"set": {NAME: value}, "unset": [NAME]}.
package shells

import (
	"encoding/json"
	"strings"
)

// dataExport renders ops as JSON. With pathList, PATH is given as a list
// of its entries, as nu keeps it; otherwise every value is a string.
func dataExport(ops []Op, pathList bool) string {
	changes := struct {
		Set   map[string]any `json:"set"`
		Unset []string       `json:"unset"`
	}{Set: map[string]any{}, Unset: []string{}}
	for _, op := range ops {
		switch {
		case op.Unset:
			changes.Unset = append(changes.Unset, op.Name)
		case pathList && op.Name == "PATH":
			changes.Set[op.Name] = strings.Split(op.Value, ":")
		default:
			changes.Set[op.Name] = op.Value
		}
	}
	// Marshalling strings, lists and maps of them cannot fail.
	data, _ := json.Marshal(changes)
	return string(data) + "\n"
}
