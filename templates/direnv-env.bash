watch_file {{.Config}}
# The shims first on PATH (or right after an activated venv's bin); the
# project's libraries where nix-ld finds them (or, with
# export_ld_library_path, every program); the tools that create venvs
# pointed at the shims; and the shim directory named in _NIXLD_DIRENV, so
# that nixld's own prompt hook, where the shell has it too, leaves it.
{{- range .Exports}}
export {{.Name}}={{.Value}}
{{- end}}
