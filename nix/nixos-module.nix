# NixOS module: programs.nixld puts nixld on the system, its hook in every
# interactive bash, zsh and fish, and its library where direnv finds it.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  cfg = config.programs.nixld;
  hook = import ./hook-lines.nix (lib.getExe cfg.package);
in
{
  options.programs.nixld = {
    enable = lib.mkEnableOption "nixld, per-project shims that let pip-installed Python wheels find NixOS libraries";

    package = lib.mkPackageOption pkgs "nixld" { };

    enableBashIntegration = lib.mkOption {
      type = lib.types.bool;
      default = true;
      description = "Whether to add nixld's hook to interactive bash.";
    };

    enableZshIntegration = lib.mkOption {
      type = lib.types.bool;
      default = true;
      description = "Whether to add nixld's hook to interactive zsh.";
    };

    enableFishIntegration = lib.mkOption {
      type = lib.types.bool;
      default = true;
      description = "Whether to add nixld's hook to interactive fish.";
    };

    libraries = lib.mkOption {
      type = lib.types.listOf lib.types.package;
      default = [ ];
      example = lib.literalExpression "with pkgs; [ stdenv.cc.cc.lib zlib libGL ]";
      description = ''
        Libraries to add to nix-ld's set (programs.nix-ld.libraries), which
        nixld puts on every project's library path.
      '';
    };

    direnv.enable = lib.mkOption {
      type = lib.types.bool;
      default = config.programs.direnv.enable;
      defaultText = lib.literalExpression "config.programs.direnv.enable";
      description = "Whether to install the direnv library defining `use nixld` as /etc/direnv/lib/nixld.sh.";
    };
  };

  config = lib.mkIf cfg.enable {
    environment.systemPackages = [ cfg.package ];

    # nixld's library path is nix-ld's.
    programs.nix-ld.enable = lib.mkDefault true;
    programs.nix-ld.libraries = cfg.libraries;

    # Last, after bash.nix's, zsh.nix's and direnv's own lines, as in Home
    # Manager (hook-lines.nix says why).
    programs.bash.interactiveShellInit = lib.mkIf cfg.enableBashIntegration (
      lib.mkOrder hook.order hook.bash
    );

    programs.zsh.interactiveShellInit = lib.mkIf cfg.enableZshIntegration (
      lib.mkOrder hook.order hook.zsh
    );

    programs.fish.interactiveShellInit = lib.mkIf cfg.enableFishIntegration (
      lib.mkOrder hook.order hook.fish
    );

    environment.etc."direnv/lib/nixld.sh" = lib.mkIf cfg.direnv.enable {
      source = "${cfg.package}/share/nixld/direnvrc";
    };
  };
}
