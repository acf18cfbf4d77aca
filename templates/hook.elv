# nixld hook for elvish, in ~/.config/elvish/rc.elv:
#   eval (nixld hook elvish | slurp)
# Runs nixld only on a prompt whose directory changed, and outside
# projects not even then.
use path
use str

var _nixld_pwd = ''
var _nixld_path = ''
# The directory and PATH the last prompt saw, as the one key of a map. A
# prompt only looks the key up: in elvish a comparison captures output,
# which costs more than all the rest of a prompt here.
var _nixld_seen = [&]

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
      # elvish shows a Go error as <unknown message>.
      echo 'nixld: '(str:trim-suffix (str:trim-prefix (to-string $e[reason]) '<unknown ') '>') >&2
    }
  }
}

# Whether $pwd or a directory above it holds a regular .nixld.toml, found
# as nixld finds it (symlinks followed), with builtins only: a cd outside
# projects forks nothing. A long path (over 1,000 bytes) is left to nixld,
# which says whether it is too long.
fn _nixld_find {
  # Slicing fails for a path under 1,000 bytes; unlike a comparison it
  # captures no output.
  var long = $false
  try {
    var _ = $pwd[1000..]
    set long = $true
  } catch {
  }
  if $long {
    put $true
    return
  }
  # Every ancestor's .nixld.toml, nearest first, built without output
  # captures, of which each costs elvish more than a stat.
  var dir = ''
  var configs = [/.nixld.toml]
  var parts = [(str:split / $pwd)]
  for part $parts[1..] {
    set dir = $dir/$part
    set configs = [$dir/.nixld.toml $@configs]
  }
  for config $configs {
    if (path:is-regular &follow-symlink $config) {
      put $true
      return
    }
  }
  put $false
}

fn _nixld_hook {
  if (not-eq $_nixld_pwd $pwd) {
    set _nixld_pwd = $pwd
    if (or (not-eq $E:_NIXLD_STATE '') (_nixld_find)) {
      _nixld_export
    }
  } elif (and (eq $E:_NIXLD_STATE '') (not-eq $_nixld_path $E:PATH)) {
    # No project here, and PATH changed: a left project's shims may be
    # back. nixld takes them out; at most once per change of PATH. Those
    # of direnv's `use nixld` ($E:_NIXLD_DIRENV) stay: direnv takes them
    # out itself.
    set _nixld_path = $E:PATH
    if (str:contains (str:replace $E:_NIXLD_DIRENV '' $E:PATH) /nixld/shims/) {
      _nixld_export
    }
  }
  set _nixld_seen = [&$E:PWD"\x00"$E:PATH=$true]
}

# Re-evaluate the directory after any nixld command (allow, deny, init...);
# NIXLD_HOOK tells nixld doctor that this shell has the hook.
fn nixld {|@args|
  tmp E:NIXLD_HOOK = elvish
  try {
    {{.Self}} $@args
  } finally {
    set _nixld_pwd = ''
    set _nixld_seen = [&]
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
set edit:before-readline = [(each {|hook| if (not (_nixld_ours $hook)) { put $hook } } $edit:before-readline) {||
    try {
      var _ = $_nixld_seen[$E:PWD"\x00"$E:PATH]
    } catch {
      _nixld_hook
    }
  }]
edit:add-var nixld~ $nixld~
