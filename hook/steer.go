package hook

// Steering the tools that create venvs. virtualenv's command, poetry, uv
// and pipx pick an interpreter of their own (the one they run under, or one
// they look up); inside a project these variables make it the project's
// shim, so that their venvs link to it and work from anywhere. nixld sets
// only those the user has not set, and on leaving unsets those it set
// that still hold its value.

import (
	"path/filepath"
	"slices"
)

// steeringNames are the variables nixld may set, in the order it sets them.
var steeringNames = []string{"PIPX_DEFAULT_PYTHON", "POETRY_VIRTUALENVS_PREFER_ACTIVE_PYTHON", "UV_PYTHON_PREFERENCE", "VIRTUALENV_PYTHON"}

// steeringPython is the shim the tools are pointed at, python3 or python,
// or "" where the project has neither.
func steeringPython(shims *ShimSet) string {
	names := shims.Names()
	for _, name := range []string{"python3", "python"} {
		if slices.Contains(names, name) {
			return name
		}
	}
	return ""
}

// steering is what a project sets whose shim directory is bin and whose
// tools are pointed at the shim named python.
func steering(bin, python string) map[string]string {
	if python == "" {
		return nil
	}
	python = filepath.Join(bin, python)
	return map[string]string{
		// virtualenv's command runs under its own interpreter unless told.
		"VIRTUALENV_PYTHON": python,
		// uv links a venv to sys._base_executable, which the shim keeps.
		// It looks on PATH, where the shims come first, before its own
		// managed Pythons; a version the project asks for
		// (requires-python, .python-version, -p) still decides which.
		"UV_PYTHON_PREFERENCE": "system",
		// pipx builds an app's venv with its own interpreter unless told.
		// An app installed from inside a project then runs with the
		// project's libraries; nixld gc keeps the shims it links to.
		"PIPX_DEFAULT_PYTHON": python,
		// poetry 1.x uses its own interpreter unless told to prefer
		// `python` on PATH, which the project's shims answer; poetry 2
		// does that by default.
		"POETRY_VIRTUALENVS_PREFER_ACTIVE_PYTHON": "true",
	}
}

// steer sets in v what the user left unset, and returns the names it set.
func steer(v vars, bin, python string) []string {
	var set []string
	for name, value := range steering(bin, python) {
		if v[name] == nil {
			v[name] = &value
			set = append(set, name)
		}
	}
	slices.Sort(set)
	return set
}

// unsteer unsets what s set and the user left as it was.
func unsteer(v vars, s *State) {
	values := steering(s.Bin, s.SteerPython)
	for _, name := range s.Steered {
		if cur := v[name]; cur != nil && *cur == values[name] {
			v[name] = nil
		}
	}
}
