# The real nixpkgs lib, for the Nix tests: nixpkgsLib is its lib/
# directory (from ../shared/nix-real or <nixpkgs/lib>, found by the tests'
# nixLibs). With hmModules, Home Manager's modules/ directory, it is
# extended with Home Manager's lib.hm, as Home Manager's own evaluation is.
#
# One change, on Nix older than 2.14 only (Debian's is 2.8): that Nix has
# no builtins.readFileType, which lib.filesystem.pathType, and so
# lib.fileset, calls. There a path's type comes from builtins.readDir of
# its parent, which is how lib found it before 2.14.
{
  nixpkgsLib,
  hmModules ? null,
}:
let
  real = import nixpkgsLib;
  pathType =
    path: if dirOf path == path then "directory" else (builtins.readDir (dirOf path)).${baseNameOf path};
  lib =
    if builtins ? readFileType then
      real
    else
      real.extend (final: prev: { filesystem = prev.filesystem // { inherit pathType; }; });
in
if hmModules == null then lib else import "${hmModules}/lib/stdlib-extended.nix" lib
