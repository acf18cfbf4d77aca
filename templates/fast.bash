{{/* What nixld export adds for bash's hook (see shells.Fast). */ -}}
# The project nixld entered, kept by the hook (never exported) so that a
# cd within it or out of it runs no nixld: the .nixld.toml the hook's walk
# finds, its content, the trust record and its content, as they must read
# back, PATH as entering left it (as the export above set it, or as nixld
# found it: it may be long, and is not given twice), and the line leaving
# shows.
# shellcheck disable=SC2034 # the hook reads them
{
  _nixld_config={{.Config}}
  _nixld_content={{.Content}}
  _nixld_record={{.Record}}
  _nixld_trust={{.Trust}}
  _nixld_entered_path=${PATH-}
  _nixld_left={{.Left}}
}
# Whether the variables nixld tracks are as entering left them (an unset
# one as empty, which nixld's leave treats alike).
_nixld_same() {
  [[ {{range $i, $op := .Same}}{{if $i}} && {{end}}${ {{- $op.Name}}-} == {{$op.Value}}{{end}} ]]
}
# What leaving does to them, computed by nixld while entering: valid while
# _nixld_same holds.
_nixld_leave() {
{{.Leave -}}
}
