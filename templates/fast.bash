{{/* What nixld export adds for bash's hook (see shells.Fast). */ -}}
# The project nixld entered, kept by the hook (never exported) so that a
# cd within it or out of it runs no nixld: the .nixld.toml the hook's walk
# finds and its directory (without a trailing slash), its content, the
# trust record and its content, as they must read back, or the stamps that
# date both (see shells.Fast), the variables nixld tracks as the export
# above left them (taken from the shell: a long PATH is not given twice),
# and the line leaving shows.
# shellcheck disable=SC2034 # the hook reads them
{
  _nixld_config={{.Config}}
  _nixld_root={{.Root}}
  _nixld_content={{.Content}}
  _nixld_record={{.Record}}
  _nixld_trust={{.Trust}}
  _nixld_stamp={{.Stamp}}
  _nixld_entered_path=${PATH-}
  _nixld_kept_vars=({{range $i, $v := .Same}}{{if $i}} {{end}}"${ {{- $v.Name}}-}"{{end}})
  _nixld_left={{.Left}}
}
# Whether the variables nixld tracks are as entering left them (an unset
# one as empty, which nixld's leave treats alike).
_nixld_same() {
  # test compares bytes, even under nocasematch.
  # shellcheck disable=SC2292 # on purpose, as said
  {{range $i, $v := .Same}}{{if $i}} && {{end}}\builtin test "${ {{- $v.Name}}-}" = "${_nixld_kept_vars[{{$v.At}}]}"{{end}}
}
# What leaving does to them, computed by nixld while entering: valid while
# _nixld_same holds.
_nixld_leave() {
{{.Leave -}}
}
