# The rc-file lines that install nixld's hook, for the NixOS and Home
# Manager modules alike. The hook they print calls nixld through the
# profile where one leads to it, so a store path here never goes stale in
# a running shell.
nixld: {
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
