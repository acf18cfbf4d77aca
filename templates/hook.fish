# nixld hook for fish: nixld hook fish | source   in ~/.config/fish/config.fish.
# Runs nixld only on a prompt whose directory changed; keeps $status.
function _nixld_hook --on-event fish_prompt --description 'nixld: per-project Python shims'
    if test "$_nixld_pwd" != "$PWD"
        set -g _nixld_pwd $PWD
        {{.Self}} export fish | source
    end
end
# Re-evaluate the directory after any nixld command (allow, deny, init...).
function nixld --wraps {{.Self}} --description 'nixld: per-project Python shims'
    {{.Self}} $argv
    set -l __nixld_status $status
    set -g _nixld_pwd
    return $__nixld_status
end
set -g _nixld_pwd
