{
  description = "nixld: per-project shims that let pip-installed Python wheels find NixOS libraries";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs =
    { self, nixpkgs }:
    let
      # Linux only: nixld works with nix-ld on NixOS; elsewhere, macOS
      # included, wheels find their libraries without it.
      systems = [
        "x86_64-linux"
        "aarch64-linux"
      ];
      forAllSystems = f: nixpkgs.lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
      version = "0.1.0";
      rev = self.shortRev or self.dirtyShortRev or "unknown";
      nixldFor = pkgs: pkgs.callPackage ./nix/package.nix { inherit version rev; };
      # What the tests drive, for the dev shell and the checks alike.
      testTools =
        pkgs: with pkgs; [
          bashInteractive
          bash-completion
          zsh
          fish
          nushell
          elvish
          direnv
          shellcheck
          python3
          gcc
          man-db
          nix
          util-linux
          bubblewrap
          strace
          python3Packages.virtualenv
          poetry
          python3Packages.tox
          pipx
        ];
      # A module whose package defaults to this flake's build.
      withPackage =
        module:
        { lib, pkgs, ... }:
        {
          imports = [ module ];
          programs.nixld.package = lib.mkDefault self.packages.${pkgs.stdenv.hostPlatform.system}.default;
        };
    in
    {
      packages = forAllSystems (pkgs: rec {
        nixld = nixldFor pkgs;
        default = nixld;
      });

      overlays.default = final: prev: { nixld = nixldFor final; };

      nixosModules.default = withPackage ./nix/nixos-module.nix;
      # Home Manager's own name for modules; homeManagerModules, the older
      # one, stays for configurations that use it.
      homeModules.default = withPackage ./nix/home-manager-module.nix;
      homeManagerModules = self.homeModules;

      # `nix fmt`: the whole tree, as nixfmt formats it.
      formatter = forAllSystems (pkgs: pkgs.nixfmt-tree);

      devShells = forAllSystems (pkgs: {
        default = pkgs.mkShell {
          packages = [
            pkgs.go
            pkgs.gopls
          ]
          ++ testTools pkgs;
        };
      });

      checks = forAllSystems (pkgs: {
        package = self.packages.${pkgs.stdenv.hostPlatform.system}.default;
        # The Go tests, end-to-end sessions included, with nixpkgs' shells.
        tests = (nixldFor pkgs).overrideAttrs (old: {
          pname = "nixld-tests";
          doCheck = true;
          nativeCheckInputs = testTools pkgs;
          checkPhase = ''
            runHook preCheck
            export HOME=$TMPDIR
            export BASH_COMPLETION_SCRIPT=${pkgs.bash-completion}/share/bash-completion/bash_completion
            # The sandbox has no network, no git checkout, and no copy of
            # Home Manager's lib: the tests that need PyPI's wheels, a
            # checkout build, or the real module system run in
            # testscripts/test.sh instead.
            go test -count=1 -skip 'TestScripts/(wheels|nix_modules)$|TestPackageSources|TestCheckoutBuildVersion' ./...
            runHook postCheck
          '';
        });
      });
    };
}
