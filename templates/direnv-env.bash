watch_file {{.Config}}
# nixld puts its shims first on PATH, or right after an activated venv's bin.
export PATH={{.Path}}
export LD_LIBRARY_PATH={{.LD}}
# Tools that create venvs (virtualenv, poetry, uv) pick the project's shim.
{{- range .Steer}}
export {{.Name}}={{.Value}}
{{- end}}
