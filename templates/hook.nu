# nixld hook for nushell. Save it, and source it from config.nu, as zoxide
# and starship are (again after upgrading nixld, or in env.nu each time):
#   mkdir ~/.cache/nixld; nixld hook nu | save -f ~/.cache/nixld/init.nu
#   source ~/.cache/nixld/init.nu
# nixld runs only when the directory changed (an env_change hook on PWD),
# and outside projects not even then. $env.LAST_EXIT_CODE is kept.

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
    hide-env --ignore-errors ...$changes.unset
    load-env $changes.set
  }
  # nixld failing (as it does, saying why, where it cannot enter) must not
  # show as the user's last command failing.
  $env.LAST_EXIT_CODE = $status
}

# The env_change hook on PWD: nixld runs where a project is or was active.
def --env _nixld_hook [] {
  if ($env._NIXLD_STATE? | is-not-empty) or (_nixld_find) {
    _nixld_export
  }
}

# The env_change hook on PATH: with no project here, a venv's deactivate
# (overlay hide) may have put a left project's shims back; nixld takes
# them out. Those of direnv's `use nixld` ($env._NIXLD_DIRENV) stay:
# direnv takes them out itself.
def --env _nixld_path_hook [] {
  # to text: PATH is a list, unless the user's config made it a string.
  let others = $env.PATH | to text | str replace --all ($env._NIXLD_DIRENV? | default "\u{0}") ''
  if ($env._NIXLD_STATE? | is-empty) and ($others | str contains '/nixld/shims/') {
    _nixld_export
  }
}

# Whether $env.PWD or a directory above it holds a regular .nixld.toml,
# found as nixld finds it (symlinks followed), with builtins only: a cd
# outside projects forks nothing. A long path (over 1,000 characters,
# which may be 4,000 bytes) is left to nixld, which knows its byte length.
def _nixld_find [] {
  mut dir = $env.PWD
  if ($dir | str length) >= 1000 {
    return true
  }
  loop {
    let config = $dir | path join '.nixld.toml'
    # path exists follows symlinks; path expand resolves them for path type.
    if ($config | path exists) and ($config | path expand | path type) == 'file' {
      return true
    }
    if $dir == '/' {
      return false
    }
    $dir = $dir | path dirname
  }
}

# Re-evaluate the directory after any nixld command (allow, deny, init...),
# at the next prompt: changing $env._nixld sets off the hook watching it.
# nixld runs last, so its status is the command's. A record stays in nu:
# programs never see it. NIXLD_HOOK tells nixld doctor that this shell has
# the hook.
def --env --wrapped nixld [...args] {
  $env._nixld = {calls: (($env._nixld?.calls? | default 0) + 1)}
  with-env {NIXLD_HOOK: 'nu'} { run-external {{.Self}} ...$args }
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
_nixld_install PWD {|before, after| _nixld_hook }
_nixld_install _nixld {|before, after| _nixld_hook }
_nixld_install PATH {|before, after| _nixld_path_hook }
