package hook

// Steering the tools that create venvs. virtualenv's command, poetry and
// uv pick an interpreter of their own (the one they run under, or one
// they look up); inside a project these variables make it the project's
// shim, so that their venvs link to it and work from anywhere. nixld sets
// only those the user has not set, and on leaving unsets those it set
// that still hold its value.

import (
	"path/filepath"
	"slices"
)

// steeringNames are the variables nixld may set, in the order it sets them.
var steeringNames = []string{"POETRY_VIRTUALENVS_PREFER_ACTIVE_PYTHON", "UV_PYTHON", "VIRTUALENV_PYTHON"}

// steering is what a project with these shims sets.
func steering(shims *ShimSet) map[string]string {
	names := shims.Names()
	python := ""
	for _, name := range []string{"python3", "python"} {
		if slices.Contains(names, name) {
			python = filepath.Join(shims.Bin, name)
			break
		}
	}
	if python == "" {
		return nil
	}
	return map[string]string{
		// virtualenv's command runs under its own interpreter unless told.
		"VIRTUALENV_PYTHON": python,
		// uv links a venv to sys._base_executable, which the shim keeps.
		"UV_PYTHON": python,
		// poetry 1.x uses its own interpreter unless told to prefer
		// `python` on PATH, which the project's shims answer; poetry 2
		// does that by default.
		"POETRY_VIRTUALENVS_PREFER_ACTIVE_PYTHON": "true",
	}
}

// steer sets in v what the user left unset, and returns what it set.
func steer(v *vars, shims *ShimSet) map[string]string {
	set := map[string]string{}
	for name, value := range steering(shims) {
		if v.steer[name] == nil {
			v.steer[name] = &value
			set[name] = value
		}
	}
	return set
}

// unsteer unsets what nixld set and the user left as it was.
func unsteer(v *vars, steered map[string]string) {
	for name, value := range steered {
		if cur := v.steer[name]; cur != nil && *cur == value {
			v.steer[name] = nil
		}
	}
}
