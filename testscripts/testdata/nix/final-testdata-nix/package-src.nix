# The files nix/package.nix's source holds, as a build would copy them:
# the package's src.filter (lib.fileset's, from the real lib), applied from
# src.origSrc down as builtins.path applies it. Paths are relative to the
# repository, directories end in /. TestPackageSources runs it:
#   nix-instantiate --eval --strict --json package-src.nix \
#     --argstr nixpkgsLib DIR --argstr repo DIR
{ nixpkgsLib, repo }:
let
  lib = import ./lib.nix { inherit nixpkgsLib; };
  # Only src is read, so nothing else needs to stand for nixpkgs.
  inherit
    (import "${repo}/nix/package.nix" {
      inherit lib;
      stdenv = { };
      buildPackages = { };
      buildGoModule = args: args;
      installShellFiles = null;
      versionCheckHook = null;
    })
    src
    ;
  walk =
    dir: rel:
    lib.concatLists (
      lib.mapAttrsToList (
        name: type:
        let
          path = "${dir}/${name}";
        in
        if !(src.filter path type) then
          [ ]
        else if type == "directory" then
          [ "${rel}${name}/" ] ++ walk path "${rel}${name}/"
        else
          [ "${rel}${name}" ]
      ) (builtins.readDir dir)
    );
in
walk (toString src.origSrc) ""
