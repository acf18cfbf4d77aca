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
    if [[ ${_nixld_pwd-} != "${PWD}" ]]; then
      if [[ -n ${_nixld_config-} ]] && _nixld_moved; then
        :
      else
        _nixld_config=
        if [[ -n ${_NIXLD_STATE-} ]] || _nixld_find; then
          # shellcheck disable=SC2312 # nixld prints nothing on stdout when it fails, and says why on stderr.
          \builtin eval "$({{.Self}} export bash)"
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
  # Whether $PWD or a directory above it holds a regular .nixld.toml,
  # found as nixld finds it (logical path, symlinks followed), with
  # builtins only: a cd outside projects forks nothing. The nearest goes
  # to _nixld_found. A long path (over 1,000 characters, which may be
  # 4,000 bytes) is left to nixld, which knows its byte length: it may
  # hold one, which is none the hook can name.
  _nixld_find() {
    # Quoted: through \builtin, local is no declaration, and would split it.
    \builtin local __nixld_dir="${PWD%/}"
    _nixld_found=
    ((${#__nixld_dir} < 1000)) || \builtin return 0
    while [[ -n ${__nixld_dir} ]]; do
      if [[ -f ${__nixld_dir}/.nixld.toml ]]; then
        _nixld_found=${__nixld_dir}/.nixld.toml
        \builtin return 0
      fi
      __nixld_dir=${__nixld_dir%/*}
    done
    [[ -f /.nixld.toml ]] && _nixld_found=/.nixld.toml
  }
  # Follows a cd with the project nixld entered (_nixld_config and the
  # rest, which nixld export gave) without nixld, where that needs none
  # (see shells.Fast):
  # within the project nothing is to be done while the nearest
  # .nixld.toml is still its own, it and its trust record read back as
  # entering read them, and PATH is as entering left it; out of any
  # project, with the files as they were and every variable nixld tracks
  # as entering left it, leaving is what nixld computed then. Anything
  # else (an edit, allow, deny, a nearer .nixld.toml, PATH changed, or out
  # of the project another tracked variable) fails, and nixld runs.
  # shellcheck disable=SC2154 # nixld export sets _nixld_entered_path
  _nixld_moved() {
    if _nixld_find; then
      [[ ${_nixld_found} == "${_nixld_config}" && ${PATH-} == "${_nixld_entered_path}" ]] && _nixld_unchanged
    elif _nixld_same && _nixld_unchanged; then
      _nixld_leave
      if [[ -n ${_nixld_left} && -z ${NIXLD_QUIET-} ]]; then
        \builtin printf '%s\n' "${_nixld_left}" >&2
      fi
      _nixld_config=
    else
      \builtin return 1
    fi
  }
  # Whether the project's .nixld.toml is still a readable regular file (no
  # symlink, whose target may change) and it and its trust record read
  # back as entering read them, byte for byte. read stops at a NUL, which
  # neither holds, with status 0, and at one character past the most nixld
  # keeps. Both are readable regular files first, so no read fails aloud.
  # shellcheck disable=SC2154 # nixld export sets them
  _nixld_unchanged() {
    \builtin local __nixld_text
    [[ -f ${_nixld_config} && -r ${_nixld_config} && ! -L ${_nixld_config} &&
      -f ${_nixld_record} && -r ${_nixld_record} ]] || \builtin return 1
    IFS= \builtin read -r -d '' -n 65537 __nixld_text <"${_nixld_config}" && \builtin return 1
    [[ ${__nixld_text} == "${_nixld_content}" ]] || \builtin return 1
    __nixld_text=
    IFS= \builtin read -r -d '' -n 65537 __nixld_text <"${_nixld_record}" && \builtin return 1
    [[ ${__nixld_text} == "${_nixld_trust}" ]]
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
