# nixld hook for fish: nixld hook fish | source   in ~/.config/fish/config.fish.
# Runs nixld only on a prompt whose directory changed, and outside projects
# not even then. Keeps $status.
function _nixld_hook --on-event fish_prompt --description 'nixld: per-project Python shims'
    if test "$_nixld_pwd" != "$PWD"
        set -g _nixld_pwd $PWD
        if test -n "$_NIXLD_STATE"; or _nixld_find
            # Ctrl-C during a package build is nixld's to handle (it stops
            # the build and enters without it): with a handler for SIGINT,
            # fish does not cancel this.
            function _nixld_sigint --on-signal SIGINT
            end
            {{.Self}} export fish | source
            functions -e _nixld_sigint
        end
    else if test -z "$_NIXLD_STATE"; and test "$_nixld_path" != "$PATH"
        # No project here, and PATH changed: a venv's deactivate may have
        # put a left project's shims back. nixld takes them out; at most
        # once per change of PATH. Those of direnv's `use nixld`
        # ($_NIXLD_DIRENV) stay: direnv takes them out itself.
        set -g _nixld_path "$PATH"
        set -l others $PATH
        if set -q _NIXLD_DIRENV; and set -l i (contains -i -- $_NIXLD_DIRENV $PATH)
            set -e others[$i]
        end
        if string match -q -- '*/nixld/shims/*' $others
            {{.Self}} export fish | source
        end
    end
end
# Whether $PWD or a directory above it holds a regular .nixld.toml, found
# as nixld finds it (logical path, symlinks followed), with builtins only:
# a cd outside projects forks nothing. A long path (over 1,000 characters,
# which may be 4,000 bytes) is left to nixld, which knows its byte length.
function _nixld_find --description 'nixld: is there a .nixld.toml here or above?'
    # Every ancestor, each built from the last with one command (loops
    # cost fish the most), then checked all at once.
    set -l dirs ''
    for part in (string split -n / -- $PWD)
        set -a dirs $dirs[-1]/$part
    end
    path filter -qf -- $dirs/.nixld.toml; or string match -qr '^.{1000}' -- $PWD
end
# Re-evaluate the directory after any nixld command (allow, deny, init...);
# NIXLD_HOOK tells nixld doctor that this shell has the hook.
function nixld --wraps {{.Self}} --description 'nixld: per-project Python shims'
    NIXLD_HOOK=fish {{.Self}} $argv
    set -l __nixld_status $status
    set -g _nixld_pwd
    return $__nixld_status
end
set -g _nixld_pwd
