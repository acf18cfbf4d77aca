# nixld hook for zsh: eval "$(nixld hook zsh)" in ~/.zshrc.
# Runs nixld only on a prompt whose directory changed, and then only
# where a project is: outside projects, and within or out of one it
# entered, a cd runs nixld only when something it depends on changed.
# Past the first test each function runs with zsh's own options
# (emulate -L zsh), whatever the user set: ksh_arrays, sh_word_split,
# warn_create_global, even emulate sh. zsh itself restores $? between
# precmd functions, and err_exit never sees a failure, since the hook
# returns 0.
#
# fish, nu and elvish, which parse all of this before running any of it,
# stop at the next line, and show it.
# shellcheck disable=SC2194,SC2249 # a constant word, for those parsers alone
case x in x) : 'nixld: this hook is for zsh. fish: nixld hook fish | source; elvish: eval (nixld hook elvish | slurp); nu: see nixld hook --help' ;; esac
# bash parses the if before it runs it: in another shell the hook
# installs nothing and says which line to use.
# shellcheck disable=SC2292 # a test any sh-like shell runs
if [ -z "${ZSH_VERSION-}" ]; then
  # shellcheck disable=SC2016 # a command to type, not to run
  if [ -n "${BASH_VERSION-}" ]; then
    \printf '%s\n' 'nixld: this is nixld'\''s hook for zsh, but this shell is bash: use eval "$(nixld hook bash)" in ~/.bashrc' >&2
  else
    \printf '%s\n' 'nixld: this is nixld'\''s hook for zsh, but this shell is not zsh: see nixld hook --help' >&2
  fi
else
  _nixld_hook() {
    if [[ ${_nixld_pwd-} != "${PWD}" ]]; then
      \builtin emulate -L zsh
      \builtin typeset -g _nixld_pwd="${PWD}"
      # The walk up from $PWD for a regular .nixld.toml, as nixld finds it
      # (logical path, symlinks followed), with builtins only: a cd
      # outside projects forks nothing, nor one within or out of the
      # project entered (_nixld_config and the rest, which nixld export
      # gave) while nothing it depends on changed. Within that project's
      # directory it stops there, at the project's own .nixld.toml, which
      # must be as entering found it (_nixld_unchanged), as PATH must be;
      # any nearer one is another project. Elsewhere it goes up to /, and
      # with none found, leaves the project if there is one (_nixld_leaving).
      # A long path (over 1,000 characters, which may be 4,000 bytes) is
      # left to nixld, which knows its byte length: it may hold a
      # .nixld.toml the walk cannot name. Inline, as a zsh function call
      # costs about what a cd outside projects does.
      \builtin local dir="${PWD%/}" run=
      # A $PWD not absolute (assigned by hand) has no / to walk up to.
      if [[ ${PWD} != /* ]] || ((${#dir} >= 1000)); then
        run=1
      elif [[ -n ${_nixld_config-} && (${PWD} == "${_nixld_root}" || ${PWD} == "${_nixld_root}"/*) ]]; then
        while [[ ${dir} != "${_nixld_root}" && ! -f ${dir}/.nixld.toml ]]; do
          dir=${dir%/*}
        done
        # _nixld_unchanged, with stamps inline.
        if [[ ${dir} != "${_nixld_root}" || ${PATH-} != "${_nixld_entered_path}" ]]; then
          run=1
        elif [[ -n ${_nixld_stamp} ]]; then
          [[ ! -L ${_nixld_config} && ${_nixld_config} -nt ${_nixld_stamp}.toml.before && ${_nixld_config} -ot ${_nixld_stamp}.toml.after &&
            ${_nixld_record} -nt ${_nixld_stamp}.allow.before && ${_nixld_record} -ot ${_nixld_stamp}.allow.after ]] || run=1
        else
          _nixld_unchanged || run=1
        fi
      else
        while [[ -n ${dir} && ! -f ${dir}/.nixld.toml ]]; do
          dir=${dir%/*}
        done
        if [[ -n ${dir} || -f /.nixld.toml || -z ${_nixld_config-} && -n ${_NIXLD_STATE-} ]]; then
          run=1
        elif [[ -n ${_nixld_config-} ]]; then
          _nixld_leaving || run=1
        fi
      fi
      if [[ -n ${run} ]]; then
        _nixld_config=
        # Ctrl-C during a package build is nixld's to handle (it stops
        # the build and enters without it): ignored until this returns,
        # as emulate -L keeps traps local.
        \builtin trap '' INT
        \builtin eval "$({{.Self}} export zsh)"
      fi
    fi
    if [[ ${_nixld_path-} != "${PATH}" ]]; then
      # PATH changed since nixld last looked; at most once per change.
      # With no project here, a venv's deactivate may have put a left
      # project's shims back, or direnv's unload did, on the way out
      # through a directory it loaded: nixld takes them out. Those of
      # direnv's `use nixld` ($_NIXLD_DIRENV) stay: direnv takes them out
      # itself. In a project (an active state names its root; a hint alone
      # does not), a deactivate may have taken the shims off: nixld puts
      # them back.
      \builtin emulate -L zsh
      if [[ -z ${_NIXLD_STATE-} && ${PATH//"${_NIXLD_DIRENV-}"/} == *"/nixld/shims/"* ]] ||
        [[ ${_NIXLD_STATE-} == *'"root":'* && ${PATH} != *"/nixld/shims/"* ]]; then
        \builtin eval "$({{.Self}} export zsh)"
      fi
      \builtin typeset -g _nixld_path="${PATH}"
    fi
    \builtin return 0
  }
  # Leaves the project entered, out of any project, without nixld where
  # that needs none: with its .nixld.toml and trust record as entering
  # found them and every variable nixld tracks as entering left it,
  # leaving is what nixld computed then (see shells.Fast). Anything else
  # (an edit, allow, deny, or another tracked variable changed) fails, and
  # nixld runs. It runs under _nixld_hook's options.
  _nixld_leaving() {
    _nixld_same && _nixld_unchanged || \builtin return 1
    _nixld_leave
    if [[ -n ${_nixld_left} && -z ${NIXLD_QUIET-} ]]; then
      \builtin printf '%s\n' "${_nixld_left}" >&2
    fi
    _nixld_config=
  }
  # Whether the project's .nixld.toml is still a regular file (no symlink,
  # whose target may change) and it and its trust record are as entering
  # found them. Where nixld left stamps that date both (see shells.Fast),
  # each still has its mtime, being newer than one stamp and older than
  # the other: any write changes a file's mtime, a removal fails both
  # tests, and allow and deny replace or remove the record. Otherwise both
  # read back as entering read them, byte for byte: one read(2) each, of
  # one byte more than nixld keeps (sysread says 5 at the end of an empty
  # file); both are readable regular files first, so no redirection of
  # stderr (an open of /dev/null each) is needed. Without zsh/system,
  # nixld runs.
  _nixld_unchanged() {
    if [[ -n ${_nixld_stamp} ]]; then
      [[ ! -L ${_nixld_config} && ${_nixld_config} -nt ${_nixld_stamp}.toml.before && ${_nixld_config} -ot ${_nixld_stamp}.toml.after &&
        ${_nixld_record} -nt ${_nixld_stamp}.allow.before && ${_nixld_record} -ot ${_nixld_stamp}.allow.after ]]
      \builtin return
    fi
    \builtin local text
    ((${+builtins[sysread]})) || \builtin return 1
    [[ -f ${_nixld_config} && -r ${_nixld_config} && ! -L ${_nixld_config} &&
      -f ${_nixld_record} && -r ${_nixld_record} ]] || \builtin return 1
    \builtin sysread -s 65537 text <"${_nixld_config}"
    (($? == 0 || $? == 5)) && [[ ${text} == "${_nixld_content}" ]] || \builtin return 1
    text=
    \builtin sysread -s 65537 text <"${_nixld_record}"
    (($? == 0 || $? == 5)) && [[ ${text} == "${_nixld_trust}" ]]
  }
  # Re-evaluate the directory after a nixld command (allow, deny,
  # init...) that succeeded, with nixld; one that failed changed nothing
  # and said why, which nixld would say again. NIXLD_HOOK tells nixld
  # doctor that this shell has the hook.
  nixld() {
    \builtin emulate -L zsh
    NIXLD_HOOK=zsh {{.Self}} "$@"
    \builtin local __nixld_status=$?
    if ((__nixld_status == 0)); then
      \builtin typeset -g _nixld_pwd= _nixld_config=
    fi
    \builtin return "${__nixld_status}"
  }
  _nixld_install() {
    \builtin emulate -L zsh
    \builtin unset _nixld_pwd _nixld_config
    \builtin zmodload -F zsh/system b:sysread 2>/dev/null
    \builtin typeset -ga precmd_functions
    if ((${precmd_functions[(Ie)_nixld_hook]} == 0)); then
      precmd_functions=(_nixld_hook "${precmd_functions[@]}")
    fi
  }
  _nixld_install
  \builtin unfunction _nixld_install
fi
