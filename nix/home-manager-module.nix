# Home Manager module: programs.nixld for one user, the way Home Manager's
# own zoxide and direnv modules integrate with shells and with direnv.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  cfg = config.programs.nixld;
  hook = import ./hook-lines.nix (lib.getExe cfg.package);
  nu = hook.nu "${config.xdg.cacheHome}/nixld/init.nu";
in
{
  options.programs.nixld = {
    enable = lib.mkEnableOption "nixld, per-project shims that let pip-installed Python wheels find NixOS libraries";

    package = lib.mkPackageOption pkgs "nixld" { };

    enableBashIntegration = lib.hm.shell.mkBashIntegrationOption { inherit config; };

    enableZshIntegration = lib.hm.shell.mkZshIntegrationOption { inherit config; };

    enableFishIntegration = lib.hm.shell.mkFishIntegrationOption { inherit config; };

    enableNushellIntegration = lib.hm.shell.mkNushellIntegrationOption { inherit config; };

    direnv.enable = lib.mkOption {
      type = lib.types.bool;
      default = config.programs.direnv.enable;
      defaultText = lib.literalExpression "config.programs.direnv.enable";
      description = "Whether to install the direnv library defining `use nixld` in direnv's lib directory.";
    };
  };

  config = lib.mkIf cfg.enable {
    home.packages = [ cfg.package ];

    # Late, after other prompt hooks are set up: nixld puts its own hook
    # first in PROMPT_COMMAND and precmd_functions whenever it is sourced.
    programs.bash.initExtra = lib.mkIf cfg.enableBashIntegration (
      lib.mkOrder 2000 hook.bash
    );

    programs.zsh.initContent = lib.mkIf cfg.enableZshIntegration (
      lib.mkOrder 2000 hook.zsh
    );

    programs.fish.interactiveShellInit = lib.mkIf cfg.enableFishIntegration hook.fish;

    programs.nushell = lib.mkIf cfg.enableNushellIntegration {
      extraEnv = nu.env;
      extraConfig = nu.config;
    };

    # As nix-direnv's library: a file in direnv's lib directory.
    xdg.configFile."direnv/lib/nixld.sh" = lib.mkIf cfg.direnv.enable {
      source = "${cfg.package}/share/nixld/direnvrc";
    };
  };
}
