{{define "tracked"}}{ {{- range $i, $name := .}}{{if $i}}, {{end}}{{$name}}: $env.{{$name}}?{{end}}}{{end -}}
# nixld hook for nushell. Save it, and source it from config.nu, as zoxide
# and starship are (again after upgrading nixld, or in env.nu each time):
#   mkdir ~/.cache/nixld; nixld hook nu | save -f ~/.cache/nixld/init.nu
#   source ~/.cache/nixld/init.nu
# nixld runs only when the directory changed (an env_change hook on PWD),
# and then only where a project is: outside projects, and within or out
# of one it entered, a cd runs nixld only when something it depends on
# changed. $env.LAST_EXIT_CODE is kept.

# bash runs the next line as a command, whose name it shows, not found
# (at a prompt too, where a syntax error shows no line); nu drops the
# string. bash, fish and elvish then stop at the line after, and show it.
'nixld: this hook is for nu; for another shell, see nixld hook --help'
let _nixld_hint = ($"nixld: this hook is for nu; for another shell, see \(nixld hook --help)")

# Moves the environment to nixld's state for $env.PWD. nixld prints data,
# {set: {NAME: value}, unset: [NAME]} with PATH as a list, which this
# loads as it is: no code is built from strings. When nixld fails it
# prints nothing on stdout and says why on stderr; any other failure
# (nixld gone) is said here, in one line.
def --env _nixld_export [] {
  let status = $env.LAST_EXIT_CODE? | default 0
  let changes = try {
    run-external {{.Self}} export nu | from json
  } catch {|error|
    if $error.exit_code? == null {
      print -e $"nixld: ($error.details?.labels?.0?.text? | default $error.msg)"
    }
    null
  }
  if $changes != null {
    # Forgotten first: in nu 0.115 a hide-env after a call of another
    # def --env does not reach the caller.
    hide-env --ignore-errors _nixld_kept
    _nixld_apply $changes
    _nixld_keep $changes.keep?
  }
  # nixld failing (as it does, saying why, where it cannot enter) must not
  # show as the user's last command failing.
  $env.LAST_EXIT_CODE = $status
}

# Applies changes, {set: {NAME: value}, unset: [NAME]}: an export, or the
# leave nixld computed while entering.
def --env _nixld_apply [changes: record] {
  hide-env --ignore-errors ...$changes.unset
  load-env $changes.set
}

# Keeps what nixld gave of the project entered, {config, content, record,
# trust, leave, left}, with the variables nixld tracks as the export left
# them (same; see _nixld_moved), in $env._nixld_kept: a record, which nu
# never gives programs. Null keeps nothing.
def --env _nixld_keep [keep] {
  if $keep != null {
    $env._nixld_kept = $keep | update content { into binary } | update trust { into binary }
    | insert same {{template "tracked" .Tracked}}
  }
}

# What a cd needs, found with builtins only: 'stay' (nothing to do: no
# project here, or the one entered still holds; see _nixld_moved),
# 'leave' (as nixld computed while entering), or 'nixld'. Not a def
# --env, which costs nu more to call than all the rest: the env_change
# hooks call _nixld_hook only where there is something to do.
def _nixld_todo [] {
  let kept = $env._nixld_kept?
  if $kept != null {
    _nixld_moved $kept
  } else if ($env._NIXLD_STATE? | is-not-empty) or (_nixld_nearest) != '' {
    'nixld'
  } else {
    'stay'
  }
}

# Does what _nixld_todo said: leaves, or runs nixld where a project is or
# was active.
def --env _nixld_hook [todo: string] {
  let kept = $env._nixld_kept?
  # Forgotten first, as in _nixld_export.
  hide-env --ignore-errors _nixld_kept
  if $todo == 'leave' {
    _nixld_apply $kept.leave
    if ($env.NIXLD_QUIET? | is-empty) {
      $kept.left | each {|line| print -e $line } | ignore
    }
  } else if ($env._NIXLD_STATE? | is-not-empty) or (_nixld_nearest) != '' {
    _nixld_export
  }
}

# What a cd with the project nixld entered needs, with builtins only:
# stay within it while the nearest .nixld.toml is still its own, it and
# its trust record read back as entering read them, and PATH is as
# entering left it; leave, as nixld computed then, where there is no
# .nixld.toml at all, the files are as they were and every variable nixld
# tracks is as entering left it; anything else (an edit, allow, deny, a
# nearer .nixld.toml, PATH changed, or out of the project another tracked
# variable) needs nixld.
def _nixld_moved [kept: record] {
  let found = _nixld_nearest
  let same = if $found == $kept.config {
    $env.PATH? == $kept.same.PATH?
  } else {
    $found == '' and {{template "tracked" .Tracked}} == $kept.same
  }
  if not $same {
    return 'nixld'
  }
  # A regular file (a symlink's target may change), which reads back as
  # entering read it, as does the trust record: byte for byte, and at
  # most one byte more than nixld keeps.
  let same = ($kept.config | path type) == 'file' and (try {
    (open --raw $kept.config | take 65537) == $kept.content and (open --raw $kept.record | take 65537) == $kept.trust
  } catch { false })
  if not $same {
    return 'nixld'
  }
  if $found == '' { 'leave' } else { 'stay' }
}

# The env_change hook on PATH, and a pre_execution hook. In a project,
# the shims may have gone: direnv's unload put back a PATH saved before
# entering (a pre_prompt hook, which nu runs after nixld's on PWD), or a
# venv's deactivate (overlay hide) did; nixld puts them back. With no
# project here, a left project's shims may be back (the same, on
# leaving); nixld takes them out. Those of direnv's `use nixld`
# ($env._NIXLD_DIRENV) stay: direnv takes them out itself. The
# pre_execution hook calls it only where shims are on PATH outside a
# project or missing in one: a call of a def --env costs nu more than
# those tests.
# At most once per change of PATH ($env._nixld_looked, a record, which
# programs never see): an entry nixld does not take out (another tree's
# nixld/shims) would otherwise run nixld at every command line.
def --env _nixld_path_hook [] {
  if $env.PATH == $env._nixld_looked?.path? {
    return
  }
  # to text: PATH is a list, unless the user's config made it a string.
  let text = $env.PATH | to text
  # An active state names its root; a hint alone does not.
  if ($env._NIXLD_STATE? | default '' | str contains '"root":') {
    if not ($text | str contains '/nixld/shims/') {
      _nixld_export
    }
  } else if ($text | str replace --all ($env._NIXLD_DIRENV? | default "\u{0}") '' | str contains '/nixld/shims/') {
    _nixld_export
  }
  $env._nixld_looked = {path: $env.PATH}
}

# The nearest regular .nixld.toml at or above $env.PWD, found as nixld
# finds it (symlinks followed), with builtins only: a cd outside projects
# forks nothing. '' for none. A long path (over 1,000 characters, which
# may be 4,000 bytes) is left to nixld, which knows its byte length: null.
def _nixld_nearest [] {
  mut dir = $env.PWD
  if ($dir | str length) >= 1000 {
    return null
  }
  loop {
    let config = $dir | path join '.nixld.toml'
    # path exists follows symlinks; path expand resolves them for path type.
    if ($config | path exists) and ($config | path expand | path type) == 'file' {
      return $config
    }
    if $dir == '/' {
      return ''
    }
    $dir = $dir | path dirname
  }
}

# Re-evaluate the directory after a nixld command (allow, deny, init...)
# that succeeded, at the next prompt: changing $env._nixld sets off the
# hook watching it. One that failed (nu stops the command there, quietly,
# with nixld's status) changed nothing and said why, which nixld would
# say again. A record stays in nu: programs never see it. NIXLD_HOOK
# tells nixld doctor that this shell has the hook.
def --env --wrapped nixld [...args] {
  hide-env --ignore-errors _nixld_kept
  with-env {NIXLD_HOOK: 'nu'} { run-external {{.Self}} ...$args }
  $env._nixld = {calls: (($env._nixld?.calls? | default 0) + 1)}
}

# Puts hook among the env_change hooks on the variable name, in place of
# one an earlier source of this file installed, which called an older
# nixld perhaps: installed once, however often config.nu sources this.
def --env _nixld_install [name: string, hook: closure] {
  let changes = $env.config.hooks.env_change? | default {}
  let others = $changes | get -o $name | default []
  | where {|other| ($other | describe) != closure or (view source $other) !~ '_nixld_' }
  $env.config.hooks.env_change = $changes | upsert $name ($others | append $hook)
}
_nixld_install PWD {|before, after| let todo = _nixld_todo; if $todo != 'stay' { _nixld_hook $todo } }
_nixld_install _nixld {|before, after| let todo = _nixld_todo; if $todo != 'stay' { _nixld_hook $todo } }
_nixld_install PATH {|before, after| _nixld_path_hook }
$env.config.hooks.pre_execution = ($env.config.hooks.pre_execution? | default []
  | where {|other| ($other | describe) != closure or (view source $other) !~ '_nixld_' }
  | append {||
    if $env.PATH != $env._nixld_looked?.path? and ($env.PATH | to text | str contains '/nixld/shims/') != ($env._NIXLD_STATE? | default '' | str contains '"root":') {
      _nixld_path_hook
    }
  })
hide-env --ignore-errors _nixld_kept
