# nixld hook for bash: eval "$(nixld hook bash)" in ~/.bashrc.
# Runs nixld only on a prompt whose directory changed; keeps $? and set -u safe.
_nixld_hook() {
  local __nixld_status=$?
  if [[ "${_nixld_pwd-}" != "$PWD" ]]; then
    _nixld_pwd=$PWD
    eval "$({{.Self}} export bash)"
  fi
  return "$__nixld_status"
}
# Re-evaluate the directory after any nixld command (allow, deny, init...).
nixld() {
  {{.Self}} "$@"
  local __nixld_status=$?
  _nixld_pwd=
  return "$__nixld_status"
}
unset _nixld_pwd
if [[ "${PROMPT_COMMAND[*]-}" != *_nixld_hook* ]]; then
  PROMPT_COMMAND="_nixld_hook${PROMPT_COMMAND:+;$PROMPT_COMMAND}"
fi
