{{/* What nixld export adds for fish's hook (see shells.Fast). */ -}}
# The project nixld entered, kept by the hook (never exported) so that a
# cd within it or out of it runs no nixld: the .nixld.toml the hook's walk
# finds (its directory, and where that is in the walk), its content, the
# trust record and its content, as they must read back, PATH as entering
# left it (as the export above set it, or as nixld found it: it may be
# long, and is not given twice), and the line leaving shows.
set -g _nixld_config {{.Config}}
set -g _nixld_dir {{.Dir}}
set -g _nixld_depth {{.Depth}}
set -g _nixld_content {{.Content}}
set -g _nixld_record {{.Record}}
set -g _nixld_trust {{.Trust}}
set -g _nixld_entered_path "$PATH"
set -g _nixld_left {{.Left}}
# Whether the variables nixld tracks are as entering left them (an unset
# one as empty, which nixld's leave treats alike).
function _nixld_same --description 'nixld: are the variables as entering left them?'
    test {{range $i, $op := .Same}}{{if $i}} -a {{end}}x"${{$op.Name}}" = {{$op.Value}}{{end}}
end
# What leaving does to them, computed by nixld while entering: valid while
# _nixld_same holds.
function _nixld_leave --description 'nixld: leave the project'
{{.Leave -}}
end
