# nixld as a Nix package: a static Go binary, with its shell completions,
# man pages, and the direnv library as share/nixld/direnvrc.
#
# Go 1.25.0 or newer: go.mod's `go` line, the oldest Go that nixld and its
# dependencies build and pass their tests with (mvdan.cc/sh v3.13, the
# first with zsh's grammar, needs 1.25). buildGoModule builds with
# GOTOOLCHAIN=local, so a nixpkgs whose `go` is older than that fails with
# "go.mod requires go >= 1.25.0"; there, pass `buildGoModule =
# buildGo125Module` (or newer) to callPackage.
{
  lib,
  stdenv,
  buildPackages,
  buildGoModule,
  installShellFiles,
  versionCheckHook,
  version ? "0.1.0",
  rev ? "unknown",
}:

buildGoModule {
  pname = "nixld";
  inherit version;

  # What the build and the tests read, and none of what builds leave
  # behind (`go build`'s nixld, `go test -c`'s *.test, nix-build's result
  # links, which are outside these directories).
  src = lib.fileset.toSource {
    root = ../.;
    fileset = lib.fileset.difference (lib.fileset.unions [
      ../go.mod
      ../go.sum
      ../README.md
      ../flake.nix
      ../nix
      ../cmd
      ../doctor
      ../gc
      ../hook
      ../internal
      ../launch
      ../nixpkgs
      ../shells
      ../templates
      ../testscripts
    ]) (lib.fileset.fileFilter (file: file.name == "nixld" || file.hasExt "test") ../.);
  };

  # The NAR hash of `go mod vendor`; TestVendorHash keeps it in step with go.sum.
  vendorHash = "sha256-fMlbVGAHA/fZQmD8wvFJUlElccABt2T4ofNa87YU/ZA=";

  subPackages = [ "cmd/nixld" ];

  # Static: nixld's own start must not search LD_LIBRARY_PATH, which inside
  # a project holds every nix-ld directory.
  env.CGO_ENABLED = 0;

  ldflags = [
    "-s"
    "-w"
    "-X main.version=${version}"
    "-X main.commit=${rev}"
  ];

  nativeBuildInputs = [ installShellFiles ];

  # The end-to-end tests drive interactive shells on a pty and Debian's
  # tools; the flake's checks.tests runs them with nixpkgs' own.
  doCheck = false;

  # The direnv library is templates/direnv.bash with nixld's own path put
  # in, single-quoted as `nixld direnv` quotes it (a store path holds no
  # quote): written without running nixld, so a cross build has it too, and
  # nix_modules.txtar checks that it is what `nixld direnv` prints.
  # Completions and man pages need nixld to run: natively, or through the
  # build platform's emulator for the target (qemu-user for another Linux).
  postInstall = ''
    placeholder='{{.Self}}'
    self="'$out/bin/nixld'"
    direnvrc=$(< templates/direnv.bash)
    direnvrc=''${direnvrc//"$placeholder"/"$self"}
    if [[ $direnvrc == *'{{'* ]]; then
      echo "templates/direnv.bash has a placeholder other than $placeholder" >&2
      exit 1
    fi
    mkdir -p $out/share/nixld
    printf '%s\n' "$direnvrc" > $out/share/nixld/direnvrc
  ''
  + lib.optionalString (stdenv.hostPlatform.emulatorAvailable buildPackages) (
    let
      nixld = "${stdenv.hostPlatform.emulator buildPackages} $out/bin/nixld";
    in
    ''
      installShellCompletion --cmd nixld \
        --bash <(${nixld} completion bash) \
        --fish <(${nixld} completion fish) \
        --zsh <(${nixld} completion zsh)
      ${nixld} man man
      installManPage man/*.1
    ''
  );

  doInstallCheck = true;
  nativeInstallCheckInputs = [ versionCheckHook ];
  versionCheckProgramArg = "--version";

  meta = {
    description = "Per-project shims that let pip-installed Python wheels find NixOS libraries";
    homepage = "https://github.com/nixld/nixld";
    mainProgram = "nixld";
    platforms = lib.platforms.linux;
  };
}
