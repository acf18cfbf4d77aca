# nixld hook for zsh: eval "$(nixld hook zsh)" in ~/.zshrc.
# Runs nixld only on a prompt whose directory changed. Each function runs
# with zsh's own options (emulate -L zsh), whatever the user set:
# ksh_arrays, sh_word_split, warn_create_global, even emulate sh. zsh
# itself restores $? between precmd functions, and err_exit never sees a
# failure, since the hook returns 0.
_nixld_hook() {
  \builtin emulate -L zsh
  if [[ ${_nixld_pwd-} != "${PWD}" ]]; then
    \builtin typeset -g _nixld_pwd=${PWD}
    \builtin eval "$({{.Self}} export zsh)"
  fi
  \builtin return 0
}
# Re-evaluate the directory after any nixld command (allow, deny, init...).
nixld() {
  \builtin emulate -L zsh
  {{.Self}} "$@"
  \builtin local __nixld_status=$?
  \builtin typeset -g _nixld_pwd=
  \builtin return "${__nixld_status}"
}
_nixld_install() {
  \builtin emulate -L zsh
  \builtin unset _nixld_pwd
  \builtin typeset -ga precmd_functions
  if ((! ${precmd_functions[(Ie)_nixld_hook]})); then
    precmd_functions=(_nixld_hook "${precmd_functions[@]}")
  fi
}
_nixld_install
\builtin unfunction _nixld_install
