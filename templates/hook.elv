# nixld hook for elvish, in ~/.config/elvish/rc.elv:
#   eval (nixld hook elvish | slurp)
# Runs nixld only on a prompt whose directory changed, and outside
# projects not even then.
use path
use str

var _nixld_pwd = ''
var _nixld_path = ''

# Functions come before their callers: elvish resolves names as it compiles.

# Moves the environment to nixld's state for $pwd. nixld prints data,
# {set: {NAME: value}, unset: [NAME]}, which this loads as it is. When
# nixld fails it prints nothing on stdout and says why on stderr; any
# other failure (nixld gone) is said here, in one line.
fn _nixld_export {
  try {
    var changes = ({{.Self}} export elvish | from-json)
    each {|name| unset-env $name } $changes[unset]
    keys $changes[set] | each {|name| set-env $name $changes[set][$name] }
  } catch e {
    if (not (has-key $e[reason] exit-status)) {
      echo 'nixld: '(to-string $e[reason]) >&2
    }
  }
}

# Whether $pwd or a directory above it holds a regular .nixld.toml, found
# as nixld finds it (symlinks followed), with builtins only: a cd outside
# projects forks nothing. A long path (over 1,000 bytes) is left to nixld.
fn _nixld_find {
  var dir = $pwd
  if (>= (count $dir) 1000) {
    put $true
    return
  }
  while $true {
    if (path:is-regular &follow-symlink $dir/.nixld.toml) {
      put $true
      return
    }
    if (eq $dir /) {
      put $false
      return
    }
    set dir = (path:dir $dir)
  }
}

fn _nixld_hook {
  if (not-eq $_nixld_pwd $pwd) {
    set _nixld_pwd = $pwd
    if (or (not-eq $E:_NIXLD_STATE '') (_nixld_find)) {
      _nixld_export
    }
  } elif (and (eq $E:_NIXLD_STATE '') (not-eq $_nixld_path $E:PATH)) {
    # No project here, and PATH changed: a left project's shims may be
    # back. nixld takes them out; at most once per change of PATH.
    set _nixld_path = $E:PATH
    if (str:contains $E:PATH /nixld/shims/) {
      _nixld_export
    }
  }
}

# Re-evaluate the directory after any nixld command (allow, deny, init...);
# NIXLD_HOOK tells nixld doctor that this shell has the hook.
fn nixld {|@args|
  tmp E:NIXLD_HOOK = elvish
  try {
    {{.Self}} $@args
  } finally {
    set _nixld_pwd = ''
  }
}

# Whether hook is one this file installed, from this or an earlier source.
fn _nixld_ours {|hook|
  try {
    str:contains $hook[body] _nixld_hook
  } catch {
    put $false
  }
}

# Install once, however often rc.elv evaluates this: a hook from an
# earlier evaluation, which called an older nixld perhaps, is replaced.
set edit:before-readline = [(each {|hook| if (not (_nixld_ours $hook)) { put $hook } } $edit:before-readline) {|| _nixld_hook }]
edit:add-var nixld~ $nixld~
