# nixld as a Nix package: a static Go binary, with its shell completions,
# man pages, and the direnv library as share/nixld/direnvrc.
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
      ../internal
      ../nixpkgs
      ../shells
      ../templates
      ../testscripts
    ];
  };

  # The NAR hash of `go mod vendor`; TestVendorHash keeps it in step with go.sum.
  vendorHash = "sha256-Jwwtr0wfD7FOONpH1FNvD7S9U5iEIKCHHua6gcmes18=";

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
