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
  buildGoModule,
  installShellFiles,
  versionCheckHook,
  version ? "0.1.0",
  rev ? "unknown",
}:

buildGoModule {
  pname = "nixld";
  inherit version;

  src = lib.fileset.toSource {
    root = ../.;
    fileset = lib.fileset.unions [
      ../go.mod
      ../go.sum
      ../README.md
      ../flake.nix
      ../nix
      ../cmd
      ../doctor
      ../hook
      ../nixpkgs
      ../shells
      ../templates
      ../testscripts
    ];
  };

  # The NAR hash of `go mod vendor`; TestVendorHash keeps it in step with go.sum.
  vendorHash = "sha256-FR/XWBmzptFxJaKeTO4E3aV0xLw9SOPRMlxi6DImbcw=";

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

  postInstall = lib.optionalString (stdenv.buildPlatform.canExecute stdenv.hostPlatform) ''
    installShellCompletion --cmd nixld \
      --bash <($out/bin/nixld completion bash) \
      --fish <($out/bin/nixld completion fish) \
      --zsh <($out/bin/nixld completion zsh)
    $out/bin/nixld man man
    installManPage man/*.1
    mkdir -p $out/share/nixld
    $out/bin/nixld direnv > $out/share/nixld/direnvrc
  '';

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
