# nixld direnv library: nixld direnv > ~/.config/direnv/lib/nixld.sh,
# then write `use nixld` in a project's .envrc.
# direnv's own `direnv allow` is the trust decision here; .nixld.toml is optional.
use_nixld() {
  local __nixld_code
  __nixld_code=$({{.Self}} direnv-env -- "${1:-${PWD}}") || return 1
  eval "${__nixld_code}"
}
# nixld_version AT_LEAST fails, saying so, unless nixld is at least that
# version, as direnv_version does for direnv: nixld_version 0.2 || exit 1
nixld_version() {
  {{.Self}} version "$@"
}
