# The rc-file lines that install nixld's hook, for the NixOS and Home
# Manager modules alike, and where they go among a shell's init lines. The
# hook they print calls nixld through the profile where one leads to it,
# so a store path here never goes stale in a running shell.
nixld: {
  # Each module defines its lines with lib.mkOrder order: after every plain
  # definition (1000) and every mkAfter (1500), direnv's hook included, so
  # that nixld's hook, which puts itself first in PROMPT_COMMAND and
  # precmd_functions when it is sourced, stays first there. Without an
  # order the module system puts a later module's plain lines first:
  # nixld's before direnv's and before bash.nix's own.
  order = 2000;

  bash = ''
    eval "$(${nixld} hook bash)"
  '';
  zsh = ''
    eval "$(${nixld} hook zsh)"
  '';
  fish = ''
    ${nixld} hook fish | source
  '';
  # nu sources files as it parses config.nu, so env.nu, which runs first,
  # saves the hook where config.nu sources it.
  nu = initFile: {
    env = ''
      mkdir ${dirOf initFile}
      ${nixld} hook nu | save -f ${initFile}
    '';
    config = ''
      source ${initFile}
    '';
  };
}
