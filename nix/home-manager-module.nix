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
    # nixld is for nix-ld's Linux: on macOS, wheels find their libraries
    # without it, and the flake builds no package there.
    assertions = [
      (lib.hm.assertions.assertPlatform "programs.nixld" pkgs lib.platforms.linux)
    ];

    home.packages = [ cfg.package ];

    # Last, after the user's own lines and direnv's (hook-lines.nix says why).
    programs.bash.initExtra = lib.mkIf cfg.enableBashIntegration (
      lib.mkOrder hook.order hook.bash
    );

    programs.zsh.initContent = lib.mkIf cfg.enableZshIntegration (
      lib.mkOrder hook.order hook.zsh
    );

    programs.fish.interactiveShellInit = lib.mkIf cfg.enableFishIntegration (
      lib.mkOrder hook.order hook.fish
    );

    # After the user's own config.nu lines too, which may set
    # $env.config.hooks afresh.
    programs.nushell = lib.mkIf cfg.enableNushellIntegration {
      extraEnv = lib.mkOrder hook.order nu.env;
      extraConfig = lib.mkOrder hook.order nu.config;
    };

    # As nix-direnv's library: a file in direnv's lib directory.
    xdg.configFile."direnv/lib/nixld.sh" = lib.mkIf cfg.direnv.enable {
      source = "${cfg.package}/share/nixld/direnvrc";
    };
  };
}
