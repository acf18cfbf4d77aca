{{/* What nixld export adds for fish's hook (see shells.Fast). */ -}}
# The project nixld entered, kept by the hook (never exported) so that a
# cd within it or out of it runs no nixld: the .nixld.toml the hook's walk
# finds (its directory, and where that is in the walk), its content, the
# trust record and its content, as they must read back (or the stamps
# that date both: see shells.Fast), the variables
# nixld tracks as the export above left them (taken from the shell: a
# long PATH is not given twice), and the line leaving shows.
set -g _nixld_config {{.Config}}
set -g _nixld_dir {{.Dir}}
set -g _nixld_depth {{.Depth}}
set -g _nixld_content {{.Content}}
set -g _nixld_record {{.Record}}
set -g _nixld_trust {{.Trust}}
set -g _nixld_stamp {{.Stamp}}
set -g _nixld_kept_vars{{range .Same}} "${{.Name}}"{{end}}
set -g _nixld_left {{.Left}}
# Whether the variables nixld tracks are as entering left them (an unset
# one as empty, which nixld's leave treats alike).
function _nixld_same --description 'nixld: are the variables as entering left them?'
    test {{range $i, $v := .Same}}{{if $i}} -a {{end}}x"${{$v.Name}}" = x"$_nixld_kept_vars[{{$v.At}}]"{{end}}
end
# What leaving does to them, computed by nixld while entering: valid while
# _nixld_same holds.
function _nixld_leave --description 'nixld: leave the project'
{{.Leave -}}
end
