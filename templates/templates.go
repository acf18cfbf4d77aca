// Package templates holds every piece of shell code nixld emits, as embedded
// files rendered with text/template. Values reach the templates already
// quoted for the target shell (see package shells); the templates never
// quote anything themselves.
package templates

import (
	"embed"
	"fmt"
	"strings"
	"text/template"
)

//go:embed hook.bash hook.zsh hook.fish direnv.bash direnv-env.bash shim.bash
var files embed.FS

var all = template.Must(template.New("").Option("missingkey=error").ParseFS(files, "*"))

// Names lists every template, for tests that render and parse each one.
func Names() []string {
	var names []string
	for _, t := range all.Templates() {
		if t.Name() != "" {
			names = append(names, t.Name())
		}
	}
	return names
}

// Render executes the named template with data.
func Render(name string, data any) (string, error) {
	var b strings.Builder
	if err := all.ExecuteTemplate(&b, name, data); err != nil {
		return "", fmt.Errorf("render %s: %w", name, err)
	}
	return b.String(), nil
}
