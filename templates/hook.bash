# nixld hook for bash: eval "$(nixld hook bash)" in ~/.bashrc.
# Runs nixld only on a prompt whose directory changed, and outside projects
# not even then. It keeps $? for the prompt commands after it and is safe
# under set -u and set -e.
_nixld_hook() {
  \builtin local __nixld_status=$?
  if [[ ${_nixld_pwd-} != "${PWD}" ]]; then
    if [[ -n ${_NIXLD_STATE-} ]] || _nixld_find; then
      # shellcheck disable=SC2312 # nixld prints nothing on stdout when it fails, and says why on stderr.
      \builtin eval "$({{.Self}} export bash)"
    fi
    # Set after: where a Ctrl-C (during a package build) makes bash
    # abandon this, bash runs it again at once, and nixld then enters.
    _nixld_pwd=${PWD}
  elif [[ -z ${_NIXLD_STATE-} && ${_nixld_path-} != "${PATH}" ]]; then
    # No project here, and PATH changed: a venv's deactivate may have put
    # a left project's shims back. nixld takes them out; at most once per
    # change of PATH. Those of direnv's `use nixld` ($_NIXLD_DIRENV) stay:
    # direnv takes them out itself.
    _nixld_path=${PATH}
    if [[ ${PATH//"${_NIXLD_DIRENV-}"/} == *"/nixld/shims/"* ]]; then
      # shellcheck disable=SC2312 # as above
      \builtin eval "$({{.Self}} export bash)"
    fi
  fi
  \builtin return "${__nixld_status}"
}
# Whether $PWD or a directory above it holds a regular .nixld.toml, found
# as nixld finds it (logical path, symlinks followed), with builtins only:
# a cd outside projects forks nothing. A long path (over 1,000 characters,
# which may be 4,000 bytes) is left to nixld, which knows its byte length.
_nixld_find() {
  # Quoted: through \builtin, local is no declaration, and would split it.
  \builtin local __nixld_dir="${PWD}"
  ((${#__nixld_dir} < 1000)) || \builtin return 0
  while [[ -n ${__nixld_dir} ]]; do
    [[ -f ${__nixld_dir}/.nixld.toml ]] && \builtin return 0
    __nixld_dir=${__nixld_dir%/*}
  done
  [[ -f /.nixld.toml ]]
}
# Re-evaluate the directory after any nixld command (allow, deny, init...);
# NIXLD_HOOK tells nixld doctor that this shell has the hook.
nixld() {
  NIXLD_HOOK=bash {{.Self}} "$@"
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
