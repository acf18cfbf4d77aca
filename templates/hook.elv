# nixld hook for elvish, in ~/.config/elvish/rc.elv:
#   eval (nixld hook elvish | slurp)
# Runs nixld only on a prompt whose directory changed, and then only
# where a project is: outside projects, and within or out of one it
# entered, a cd runs nixld only when something it depends on changed.

# bash, fish and nu, given this, stop at the next line (nu right after
# it), and show it.
nop &text='nixld: this hook is for elvish; for another shell, see nixld hook --help'; nop (put)
use path
use str

var _nixld_pwd = ''
# PATH as nixld last looked at it, the one key of a map (see _nixld_seen).
var _nixld_path = [&]
# The directory and PATH the last prompt saw, as the one key of a map. A
# prompt only looks the key up: in elvish a comparison captures output,
# which costs more than all the rest of a prompt here.
var _nixld_seen = [&]
# The project nixld entered, as the hook keeps it (see _nixld_keep): a
# list of at most one, which a cd outside projects loops over without a
# capture.
var _nixld_kept = []

# Functions come before their callers: elvish resolves names as it compiles.

# Applies changes, {set: {NAME: value}, unset: [NAME]}: an export, or the
# leave nixld computed while entering.
fn _nixld_apply {|changes|
  each {|name| unset-env $name } $changes[unset]
  keys $changes[set] | each {|name| set-env $name $changes[set][$name] }
}

# The variables nixld tracks, joined by NULs (which no variable holds),
# as the key _nixld_moved looks up.
fn _nixld_tracked {
  put {{range $i, $name := .Tracked}}{{if $i}}"\x00"{{end}}$E:{{$name}}{{end}}
}

# Keeps what nixld gave of the project entered, changes[keep]: {config,
# content, record, trust, leave, left}, with the variables nixld tracks,
# as the export left them, and the two files' contents each made the one
# key of a map, which _nixld_moved looks up. Null keeps nothing.
fn _nixld_keep {|changes|
  set _nixld_kept = []
  var k = $changes[keep]
  if (eq $k $nil) {
    return
  }
  var places = [&$k[config]=stay &''=leave]
  set _nixld_kept = [[&config=$k[config] &record=$k[record] &leave=$k[leave] &left=$k[left] &places=$places
      &same=[&stay=[&$E:PATH=$true] &leave=[&(_nixld_tracked)=$true]] &files=[&$k[content]"\x00"$k[trust]=$true]]]
}

# Moves the environment to nixld's state for $pwd. nixld prints data,
# {set: {NAME: value}, unset: [NAME]}, which this loads as it is. When
# nixld fails it prints nothing on stdout and says why on stderr; any
# other failure (nixld gone) is said here, in one line.
fn _nixld_export {
  try {
    var changes = ({{.Self}} export elvish | from-json)
    _nixld_apply $changes
    _nixld_keep $changes
  } catch e {
    if (not (has-key $e[reason] exit-status)) {
      # elvish shows a Go error as <unknown message>.
      echo 'nixld: '(str:trim-suffix (str:trim-prefix (to-string $e[reason]) '<unknown ') '>') >&2
    }
  }
  set _nixld_path = [&$E:PATH=$true]
}

# The nearest regular .nixld.toml at or above $pwd, found as nixld finds
# it (symlinks followed), with builtins only: a cd outside projects forks
# nothing. '' for none. A long path (over 1,000 bytes) is left to nixld,
# which says whether it is too long: $nil.
fn _nixld_nearest {
  # Slicing fails for a path under 1,000 bytes; unlike a comparison it
  # captures no output.
  var long = $false
  try {
    var _ = $pwd[1000..]
    set long = $true
  } catch {
  }
  if $long {
    put $nil
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
      # As nixld names it: in / it is built as //.nixld.toml.
      put (path:clean $config)
      return
    }
  }
  put ''
}

# Where a cd with kept, the project nixld entered, goes, found with
# builtins only and left in _nixld_place: stay within the project while
# the nearest .nixld.toml is still its own, it and its trust record read
# back as entering read them, and PATH is as entering left it; leave, as
# nixld computed then, where there is no .nixld.toml at all, the files
# are as they were and every variable nixld tracks is as entering left
# it; nixld for anything else (an edit, allow, deny, a nearer
# .nixld.toml, PATH changed, or out of the project another tracked
# variable). Each test is a map lookup, which fails without capturing
# output: kept[same] is, per place, the key of the variables that place
# compares. elvish 0.19 has no os:stat to bound a read by: a regular file
# is read whole, once, before nixld (which reads at most 1 MiB) takes
# over. (read-upto, which would stop at a NUL, reads a byte a time: 1 ms
# for a commented .nixld.toml, at every cd.)
var _nixld_place = nixld
fn _nixld_moved {|kept|
  set _nixld_place = nixld
  var found = (_nixld_nearest)
  try {
    var place = $kept[places][$found]
    var _ = $kept[same][$place][[&stay=$E:PATH &leave={{range $i, $name := .Tracked}}{{if $i}}"\x00"{{end}}$E:{{$name}}{{end}}][$place]]
    if (not (path:is-regular $kept[config])) {
      fail 'not a regular file'
    }
    var _ = $kept[files][(slurp < $kept[config])"\x00"(slurp < $kept[record])]
    set _nixld_place = $place
  } catch {
  }
}

# What the hook does for each place (see _nixld_moved), looked up rather
# than compared; each but nixld's says the cd is done.
var _nixld_done = $false
var _nixld_moves = [&nixld={|kept| } &stay={|kept|
    set _nixld_kept = [$kept]
    set _nixld_done = $true
  } &leave={|kept|
    _nixld_apply $kept[leave]
    # Said unless $NIXLD_QUIET is set.
    try {
      each {|line| echo $line >&2 } [&''=$kept[left]][$E:NIXLD_QUIET]
    } catch {
    }
    set _nixld_done = $true
  }]

# PATH changed since nixld last looked: at most once per change. In a
# project, the shims may have gone (direnv's unload, in a hook after
# nixld's, put back a PATH saved before entering, or a venv's deactivate
# did): nixld puts them back, and otherwise does nothing. With no project
# here, a left project's shims may be back (the same, on leaving): nixld
# takes them out. Those of direnv's `use nixld` ($E:_NIXLD_DIRENV) stay:
# direnv takes them out itself.
fn _nixld_settle {
  set _nixld_path = [&$E:PATH=$true]
  # An active state names its root; a hint alone does not.
  if (or (str:contains $E:_NIXLD_STATE '"root":') (str:contains (str:replace $E:_NIXLD_DIRENV '' $E:PATH) /nixld/shims/)) {
    _nixld_export
  }
}

fn _nixld_hook {
  if (not-eq $_nixld_pwd $pwd) {
    set _nixld_pwd = $pwd
    set _nixld_done = $false
    for kept $_nixld_kept {
      set _nixld_kept = []
      _nixld_moved $kept
      $_nixld_moves[$_nixld_place] $kept
    }
    if $_nixld_done {
    } elif (or (not-eq $E:_NIXLD_STATE '') (not-eq (_nixld_nearest) '')) {
      _nixld_export
    }
  }
  try {
    var _ = $_nixld_path[$E:PATH]
  } catch {
    _nixld_settle
  }
  set _nixld_seen = [&$E:PWD"\x00"$E:PATH=$true]
}

# Re-evaluate the directory after a nixld command (allow, deny, init...)
# that succeeded; one that failed (an exception, which goes on) changed
# nothing and said why, which nixld would say again. NIXLD_HOOK tells
# nixld doctor that this shell has the hook.
fn nixld {|@args|
  tmp E:NIXLD_HOOK = elvish
  {{.Self}} $@args
  set _nixld_pwd = ''
  set _nixld_seen = [&]
  set _nixld_kept = []
}

# Whether hook is one this file installed, from this or an earlier source.
fn _nixld_ours {|hook|
  try {
    or (str:contains $hook[body] _nixld_hook) (str:contains $hook[body] _nixld_strays) (str:contains $hook[body] _nixld_settle)
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
# And once a command line is read, before it runs: a hook after nixld's
# (direnv's, from a later line of rc.elv) may have changed PATH. The same
# lookup first: nothing to do while PATH is as nixld's hook left it.
set edit:after-readline = [(each {|hook| if (not (_nixld_ours $hook)) { put $hook } } $edit:after-readline) {|line|
    try {
      var _ = $_nixld_seen[$E:PWD"\x00"$E:PATH]
    } catch {
      _nixld_hook
    }
  }]
edit:add-var nixld~ $nixld~
