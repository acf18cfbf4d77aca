# nixld hook for bash: eval "$(nixld hook bash)" in ~/.bashrc.
# Runs nixld only on a prompt whose directory changed. It keeps $? for the
# prompt commands after it and is safe under set -u and set -e.
_nixld_hook() {
  \builtin local __nixld_status=$?
  if [[ ${_nixld_pwd-} != "${PWD}" ]]; then
    _nixld_pwd=${PWD}
    # shellcheck disable=SC2312 # nixld prints nothing on stdout when it fails, and says why on stderr.
    \builtin eval "$({{.Self}} export bash)"
  fi
  \builtin return "${__nixld_status}"
}
# Re-evaluate the directory after any nixld command (allow, deny, init...).
nixld() {
  {{.Self}} "$@"
  \builtin local __nixld_status=$?
  _nixld_pwd=
  \builtin return "${__nixld_status}"
}
\builtin unset _nixld_pwd
# The hook returns the last command's status, for the prompt commands after
# it. "&& :" keeps that status without tripping set -e: a failure left of
# && never exits the shell.
if [[ ${PROMPT_COMMAND[*]-} != *_nixld_hook* ]]; then
  PROMPT_COMMAND="_nixld_hook && :${PROMPT_COMMAND:+;${PROMPT_COMMAND}}"
fi
