// Package templates holds every piece of shell code nixld emits, as embedded
// files rendered with text/template. Values reach the templates already
// quoted for the target shell (see package shells); the templates never
// quote anything themselves.
package templates

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"text/template"
)

//go:embed hook.bash hook.zsh hook.fish hook-code.fish hook.nu hook.elv fast.bash fast.zsh fast.fish direnv.bash direnv-env.bash shim.bash
var files embed.FS

// parsed holds the templates parsed so far: a command parses only the one
// it renders, which keeps nixld's start-up off the prompt's path.
var parsed sync.Map

// Names lists every template, for tests that render and parse each one.
func Names() []string {
	entries, _ := files.ReadDir(".")
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	return names
}

// Render executes the named template with data.
func Render(name string, data any) (string, error) {
	t, err := get(name)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return "", fmt.Errorf("render %s: %w", name, err)
	}
	return b.String(), nil
}

// Digest identifies the named template's text, so that what was rendered
// from an older nixld's can be told apart.
func Digest(name string) string {
	src, _ := files.ReadFile(name)
	sum := sha256.Sum256(src)
	return hex.EncodeToString(sum[:8])
}

func get(name string) (*template.Template, error) {
	if t, ok := parsed.Load(name); ok {
		return t.(*template.Template), nil
	}
	src, err := files.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("render %s: no such template", name)
	}
	t, err := template.New(name).Option("missingkey=error").Parse(string(src))
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", name, err)
	}
	parsed.Store(name, t)
	return t, nil
}
