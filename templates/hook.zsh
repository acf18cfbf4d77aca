# nixld hook for zsh: eval "$(nixld hook zsh)" in ~/.zshrc.
# Runs nixld only on a prompt whose directory changed, and outside projects
# not even then. Past the first test each function runs with zsh's own
# options (emulate -L zsh), whatever the user set: ksh_arrays,
# sh_word_split, warn_create_global, even emulate sh. zsh itself restores
# $? between precmd functions, and err_exit never sees a failure, since
# the hook returns 0.
_nixld_hook() {
  if [[ ${_nixld_pwd-} != "${PWD}" ]]; then
    \builtin emulate -L zsh
    \builtin typeset -g _nixld_pwd="${PWD}"
    if [[ -n ${_NIXLD_STATE-} ]] || _nixld_find; then
      # Ctrl-C during a package build is nixld's to handle (it stops the
      # build and enters without it): ignored until this returns, as
      # emulate -L keeps traps local.
      \builtin trap '' INT
      \builtin eval "$({{.Self}} export zsh)"
    fi
  elif [[ -z ${_NIXLD_STATE-} && ${_nixld_path-} != "${PATH}" ]]; then
    # No project here, and PATH changed: a venv's deactivate may have put
    # a left project's shims back. nixld takes them out; at most once per
    # change of PATH. Those of direnv's `use nixld` ($_NIXLD_DIRENV) stay:
    # direnv takes them out itself.
    \builtin emulate -L zsh
    \builtin typeset -g _nixld_path="${PATH}"
    if [[ ${PATH//"${_NIXLD_DIRENV-}"/} == *"/nixld/shims/"* ]]; then
      \builtin eval "$({{.Self}} export zsh)"
    fi
  fi
  \builtin return 0
}
# Whether $PWD or a directory above it holds a regular .nixld.toml, found
# as nixld finds it (logical path, symlinks followed), with builtins only:
# a cd outside projects forks nothing. A long path (over 1,000 characters,
# which may be 4,000 bytes) is left to nixld, which knows its byte length.
# It runs under _nixld_hook's options.
_nixld_find() {
  \builtin local dir="${PWD}"
  ((${#dir} < 1000)) || \builtin return 0
  while [[ -n ${dir} ]]; do
    [[ -f ${dir}/.nixld.toml ]] && \builtin return 0
    dir=${dir%/*}
  done
  [[ -f /.nixld.toml ]]
}
# Re-evaluate the directory after any nixld command (allow, deny, init...);
# NIXLD_HOOK tells nixld doctor that this shell has the hook.
nixld() {
  \builtin emulate -L zsh
  NIXLD_HOOK=zsh {{.Self}} "$@"
  \builtin local __nixld_status=$?
  \builtin typeset -g _nixld_pwd=
  \builtin return "${__nixld_status}"
}
_nixld_install() {
  \builtin emulate -L zsh
  \builtin unset _nixld_pwd
  \builtin typeset -ga precmd_functions
  if ((${precmd_functions[(Ie)_nixld_hook]} == 0)); then
    precmd_functions=(_nixld_hook "${precmd_functions[@]}")
  fi
}
_nixld_install
\builtin unfunction _nixld_install
