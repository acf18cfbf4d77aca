# nixld hook for bash: eval "$(nixld hook bash)" in ~/.bashrc.
# Runs nixld only on a prompt whose directory changed, and then only
# where a project is: outside projects, and within or out of one it
# entered, a cd runs nixld only when something it depends on changed. It
# keeps $? for the prompt commands after it and is safe under set -u and
# set -e.
#
# fish, nu and elvish, which parse all of this before running any of it,
# stop at the next line, and show it.
# shellcheck disable=SC2194,SC2249 # a constant word, for those parsers alone
case x in x) : 'nixld: this hook is for bash. fish: nixld hook fish | source; elvish: eval (nixld hook elvish | slurp); nu: see nixld hook --help' ;; esac
# zsh parses it all too, and bash parses the if before it runs it: in
# another shell the hook installs nothing and says which line to use.
# shellcheck disable=SC2292 # a test any sh-like shell runs
if [ -z "${BASH_VERSION-}" ]; then
  # shellcheck disable=SC2016 # a command to type, not to run
  if [ -n "${ZSH_VERSION-}" ]; then
    \printf '%s\n' 'nixld: this is nixld'\''s hook for bash, but this shell is zsh: use eval "$(nixld hook zsh)" in ~/.zshrc' >&2
  else
    \printf '%s\n' 'nixld: this is nixld'\''s hook for bash, but this shell is not bash: see nixld hook --help' >&2
  fi
else
  _nixld_hook() {
    \builtin local __nixld_status=$?
    # [[ ]], not test, at every prompt: a third of the cost. Under
    # nocasematch it misses a cd between case siblings of one length
    # (/t/proj, /t/PROJ), until the next cd.
    if [[ ${_nixld_pwd-} != "${PWD}" ]]; then
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
      # .nixld.toml the walk cannot name.
      \builtin local __nixld_dir="${PWD%/}"
      # shellcheck disable=SC2154 # nixld export sets _nixld_root and _nixld_entered_path
      if [[ ${PWD} != /* || ${#__nixld_dir} -ge 1000 ]]; then
        # A $PWD not absolute (assigned by hand) has no / to walk up to.
        _nixld_export
      elif [[ -n ${_nixld_config-} && ${PWD}/ == "${_nixld_root}"/* ]]; then
        while [[ ${__nixld_dir} != "${_nixld_root}" && ! -f ${__nixld_dir}/.nixld.toml ]]; do
          __nixld_dir=${__nixld_dir%/*}
        done
        # test compares bytes even under nocasematch, where [[ ]] would
        # take /t/PROJ for /t/proj, and the walk above may have.
        # shellcheck disable=SC2292 # on purpose, as said
        if ! \builtin test "${__nixld_dir}" = "${_nixld_root}" || ! \builtin test "${PATH-}" = "${_nixld_entered_path}" ||
          ! _nixld_unchanged; then
          _nixld_export
        fi
      else
        while [[ -n ${__nixld_dir} && ! -f ${__nixld_dir}/.nixld.toml ]]; do
          __nixld_dir=${__nixld_dir%/*}
        done
        if [[ -n ${__nixld_dir} || -f /.nixld.toml || -z ${_nixld_config-} && -n ${_NIXLD_STATE-} ]]; then
          _nixld_export
        elif [[ -n ${_nixld_config-} ]]; then
          _nixld_leaving || _nixld_export
        fi
      fi
      # Set after: where a Ctrl-C (during a package build) makes bash
      # abandon this, bash runs it again at once, and nixld then enters.
      _nixld_pwd=${PWD}
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
      if [[ -z ${_NIXLD_STATE-} && ${PATH//"${_NIXLD_DIRENV-}"/} == *"/nixld/shims/"* ]] ||
        [[ ${_NIXLD_STATE-} == *'"root":'* && ${PATH} != *"/nixld/shims/"* ]]; then
        # shellcheck disable=SC2312 # as above
        \builtin eval "$({{.Self}} export bash)"
      fi
      _nixld_path=${PATH}
    fi
    \builtin return "${__nixld_status}"
  }
  # Runs nixld export and applies what it says, forgetting the project
  # kept (the export gives it again where there is one).
  _nixld_export() {
    _nixld_config=
    # shellcheck disable=SC2312 # nixld prints nothing on stdout when it fails, and says why on stderr.
    \builtin eval "$({{.Self}} export bash)"
  }
  # Leaves the project entered, out of any project, without nixld where
  # that needs none: with its .nixld.toml and trust record as entering
  # found them and every variable nixld tracks as entering left it,
  # leaving is what nixld computed then (see shells.Fast). Anything else
  # (an edit, allow, deny, or another tracked variable changed) fails, and
  # nixld runs.
  _nixld_leaving() {
    _nixld_same && _nixld_unchanged || \builtin return 1
    _nixld_leave
    if [[ -n ${_nixld_left} && -z ${NIXLD_QUIET-} ]]; then
      \builtin printf '%s\n' "${_nixld_left}" >&2
    fi
    _nixld_config=
  }
  # Whether the project's .nixld.toml is still a regular file (no
  # symlink, whose target may change) and it and its trust record are as
  # entering found them. Where nixld left stamps that date both (see
  # shells.Fast), each still has its mtime, being newer than one stamp
  # and older than the other: any write changes a file's mtime, a removal
  # fails both tests, and allow and deny replace or remove the record.
  # Otherwise both read back as entering read them, byte for byte: read
  # stops at a NUL, which neither holds, with status 0, and at one
  # character past the most nixld keeps; both are readable regular files
  # first, so no read fails aloud.
  # shellcheck disable=SC2154 # nixld export sets them
  _nixld_unchanged() {
    if [[ -n ${_nixld_stamp} ]]; then
      [[ ! -L ${_nixld_config} && ${_nixld_config} -nt ${_nixld_stamp}.toml.before && ${_nixld_config} -ot ${_nixld_stamp}.toml.after &&
        ${_nixld_record} -nt ${_nixld_stamp}.allow.before && ${_nixld_record} -ot ${_nixld_stamp}.allow.after ]]
      \builtin return
    fi
    \builtin local __nixld_text
    [[ -f ${_nixld_config} && -r ${_nixld_config} && ! -L ${_nixld_config} &&
      -f ${_nixld_record} && -r ${_nixld_record} ]] || \builtin return 1
    IFS= \builtin read -r -d '' -n 65537 __nixld_text <"${_nixld_config}" && \builtin return 1
    # shellcheck disable=SC2292 # bytes, even under nocasematch
    \builtin test "${__nixld_text}" = "${_nixld_content}" || \builtin return 1
    __nixld_text=
    IFS= \builtin read -r -d '' -n 65537 __nixld_text <"${_nixld_record}" && \builtin return 1
    # shellcheck disable=SC2292 # as above
    \builtin test "${__nixld_text}" = "${_nixld_trust}"
  }
  # Re-evaluate the directory after a nixld command (allow, deny,
  # init...) that succeeded, with nixld; one that failed changed nothing
  # and said why, which nixld would say again. NIXLD_HOOK tells nixld
  # doctor that this shell has the hook.
  nixld() {
    NIXLD_HOOK=bash {{.Self}} "$@"
    \builtin local __nixld_status=$?
    if ((__nixld_status == 0)); then
      _nixld_pwd=
      _nixld_config=
    fi
    \builtin return "${__nixld_status}"
  }
  \builtin unset _nixld_pwd _nixld_config
  # Last, after the prompt commands already there and before none that
  # put themselves first later (direnv's does): a hook that restores PATH
  # on leaving a directory (direnv's unload, which may bring back the
  # shims of the project nixld just left) has run by then. On a line of
  # its own, so that a comment or a ';' ending the commands before it
  # cannot swallow it. The hook returns the last command's status; "&& :"
  # keeps it without tripping set -e: a failure left of && never exits
  # the shell.
  if [[ ${PROMPT_COMMAND[*]-} != *_nixld_hook* ]]; then
    PROMPT_COMMAND="${PROMPT_COMMAND:+${PROMPT_COMMAND}
}_nixld_hook && :"
  fi
fi
