# nixld hook for zsh: eval "$(nixld hook zsh)" in ~/.zshrc.
# Runs nixld only on a prompt whose directory changed; nounset safe. zsh
# itself restores $? between precmd functions.
_nixld_hook() {
  if [[ "${_nixld_pwd-}" != "$PWD" ]]; then
    _nixld_pwd=$PWD
    eval "$({{.Self}} export zsh)"
  fi
}
# Re-evaluate the directory after any nixld command (allow, deny, init...).
nixld() {
  {{.Self}} "$@"
  local __nixld_status=$?
  _nixld_pwd=
  return $__nixld_status
}
unset _nixld_pwd
typeset -ga precmd_functions
if (( ! ${precmd_functions[(Ie)_nixld_hook]} )); then
  precmd_functions=(_nixld_hook "${precmd_functions[@]}")
fi
