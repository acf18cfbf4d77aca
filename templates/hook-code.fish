# The code of the nixld hook for fish, which fish evaluates from a string in
# hook.fish: nothing here may hold a single quote or a backslash
# (shells.Hook checks), so that bash and zsh read that string as fish
# does. $_nixld_self is nixld.
#
# Runs nixld only on a prompt whose directory changed, and then only
# where a project is: outside projects, and within or out of one it
# entered, a cd runs nixld only when something it depends on changed.
# Keeps $status.
function _nixld_hook --on-event fish_prompt --description "nixld: per-project Python shims"
    if test "$_nixld_pwd" != "$PWD"
        set -g _nixld_pwd $PWD
        if set -q _nixld_config
            if not _nixld_moved
                set -e _nixld_config
                _nixld_export
            end
        else if test -n "$_NIXLD_STATE"
            _nixld_export
        else
            # Whether $PWD or a directory above it holds a regular
            # .nixld.toml, found as nixld finds it (logical path, symlinks
            # followed), with builtins only: a cd outside projects forks
            # nothing. Every ancestor, each built from the last with one
            # command (loops cost fish the most), then all checked at once;
            # here, as calls cost fish more than the rest. A path of 16
            # directories or more may be over 4,000 bytes: past 1,000
            # characters, it is left to nixld, which knows its byte length.
            set -l dirs ""
            for part in (string split -n / -- $PWD)
                set -a dirs $dirs[-1]/$part
            end
            if path filter -qf -- $dirs/.nixld.toml
                or begin
                    set -q dirs[17]; and string match -qr "^.{1000}" -- $PWD
                end
                _nixld_export
            end
        end
    end
    set -q _nixld_path_new; and _nixld_settle
end
# Runs nixld export and applies what it says.
function _nixld_export --description "nixld: per-project Python shims"
    # Ctrl-C during a package build is for nixld to handle (it stops the
    # build and enters without it): with a handler for SIGINT, fish does
    # not cancel this.
    function _nixld_sigint --on-signal SIGINT
    end
    $_nixld_self export fish | source
    functions -e _nixld_sigint
    # PATH as nixld left it.
    set -e _nixld_path_new
    set -g _nixld_path "$PATH"
end
# PATH was set since nixld last looked (by nixld too, which then clears
# this): a flag, as comparing PATH with a copy ($_nixld_path) at every
# prompt costs fish more; _nixld_settle compares only once it is set.
function _nixld_path_set --on-variable PATH --description "nixld: per-project Python shims"
    set -g _nixld_path_new
end
# Before each command line too: a prompt handler that ran after this one
# (that of direnv, sourced later) may have changed PATH.
function _nixld_preexec --on-event fish_preexec --description "nixld: per-project Python shims"
    set -q _nixld_path_new; and _nixld_settle
end
# PATH set since nixld last looked: at most once per change. In a
# project, the shims may have gone (the unload of direnv put back a PATH
# saved before entering, or the deactivate of a venv did): nixld puts
# them back, and otherwise does nothing. With no project here, the shims
# of a project left may be back (the same, on leaving): nixld takes them
# out. Those `use nixld` put there for direnv ($_NIXLD_DIRENV) stay:
# direnv takes them out itself.
function _nixld_settle --description "nixld: keep the shims where they belong"
    set -e _nixld_path_new
    # Set again to what nixld last looked at (by a prompt function of the
    # user, or as a local in a function that has returned): nothing new.
    test "$PATH" = "$_nixld_path"; and return 0
    set -g _nixld_path "$PATH"
    set -l others $PATH
    if set -q _NIXLD_DIRENV; and set -l i (contains -i -- $_NIXLD_DIRENV $PATH)
        set -e others[$i]
    end
    # An active state names its root; a hint alone does not.
    if string match -q -- "*root*" "$_NIXLD_STATE"; or string match -q -- "*/nixld/shims/*" $others
        $_nixld_self export fish | source
        set -e _nixld_path_new
        set -g _nixld_path "$PATH"
    end
end
# Follows a cd with the project nixld entered (_nixld_config and the rest,
# which nixld export gave) without nixld, where that needs none: within
# the project nothing is to be done while the nearest .nixld.toml is
# still its own (in the _nixld_depth-th directory of the walk, none in
# the ones after), it and its trust record read back as entering read
# them, and PATH not set since nixld last looked; out of any project, with the
# files as they were and every variable nixld tracks as entering left it,
# leaving is what nixld computed then. Anything else (an edit, allow,
# deny, a nearer .nixld.toml, PATH changed, or out of the project another
# tracked variable) fails, and nixld runs. All in one function, as calls
# cost fish the most.
function _nixld_moved --description "nixld: follow a cd without nixld where none is needed"
    set -l leave 0
    # In the project directory itself nothing can be nearer: no walk,
    # whose command substitution costs fish the most.
    if test "$PWD" != "$_nixld_dir"
        # The walk of _nixld_hook.
        set -l dirs ""
        for part in (string split -n / -- $PWD)
            set -a dirs $dirs[-1]/$part
        end
        set -q dirs[17]; and string match -qr "^.{1000}" -- $PWD; and return 1
        if test "$dirs[$_nixld_depth]/.nixld.toml" = "$_nixld_config"
            set -e dirs[1..$_nixld_depth]
        else
            set leave 1
        end
        path filter -qf -- $dirs/.nixld.toml; and return 1
    end
    if test $leave = 0
        set -q _nixld_path_new; and return 1
    else
        _nixld_same; or return 1
    end
    # The config still a regular file (a symlink target may change), and
    # it and the trust record as entering found them: where nixld left
    # stamps that date both (see shells.Fast), each with its mtime still,
    # newer than one stamp and older than the other (test compares to the
    # nanosecond, and fails for a file that is not there); otherwise
    # reading back as entering read them, at most one byte more than nixld
    # keeps. read stops at a NUL, after which the second read must find
    # nothing. (fish cannot hold a NUL: a single one at the very end goes
    # unseen, and nixld notices it at the next entry.)
    test -f $_nixld_config; and not test -L $_nixld_config; or return 1
    if test -n "$_nixld_stamp"
        test $_nixld_config -nt $_nixld_stamp.toml.before -a $_nixld_config -ot $_nixld_stamp.toml.after
        and test $_nixld_record -nt $_nixld_stamp.allow.before -a $_nixld_record -ot $_nixld_stamp.allow.after
        or return 1
    else
        test -f $_nixld_record; or return 1
        set -l fish_read_limit 65537
        set -l text
        set -l rest
        begin
            read -z text
            test $status -lt 2; and not read -z rest
        end <$_nixld_config; and test "$text" = "$_nixld_content"; or return 1
        begin
            read -z text
            test $status -lt 2; and not read -z rest
        end <$_nixld_record; and test "$text" = "$_nixld_trust"; or return 1
    end
    test $leave = 0; and return
    _nixld_leave
    set -e _nixld_path_new
    set -g _nixld_path "$PATH"
    if test -n "$_nixld_left"; and test -z "$NIXLD_QUIET"
        echo $_nixld_left >&2
    end
    set -e _nixld_config
end
# Whatever an earlier source of this kept is gone; the next prompt looks.
set -e _nixld_config
set -g _nixld_pwd
set -g _nixld_path_new
# Re-evaluate the directory after a nixld command (allow, deny, init...)
# that succeeded, with nixld; one that failed changed nothing and said
# why, which nixld would say again. NIXLD_HOOK tells nixld doctor that
# this shell has the hook.
function nixld --wraps $_nixld_self --description "nixld: per-project Python shims"
    NIXLD_HOOK=fish $_nixld_self $argv
    or return
    set -g _nixld_pwd
    set -e _nixld_config
    return 0
end
