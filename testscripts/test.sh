#!/usr/bin/env bash
# Runs every nixld test against real shells, then the benchmark against
# direnv and mise. On Debian it first installs, with apt-get, whatever the
# tests drive and the machine lacks: bash, zsh, fish, elvish, direnv,
# the linter shellcheck, a C compiler and Python (none may be skipped, in
# CI or anywhere), npm, which fetches nushell and mise, GNU time and
# strace; and Go as go.mod asks for it (scripts/go.sh). With --install it
# installs them and stops: go test then runs any package by itself (the
# tests find nu and mise in npm's cache).
# It says how long each part took.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
for tool in bash:bash zsh:zsh fish:fish elvish:elvish direnv:direnv shellcheck:shellcheck cc:gcc python3:python3 npm:npm /usr/bin/time:time strace:strace; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || missing+=("${tool#*:}")
done
if ! python3 -c 'import venv' >/dev/null 2>&1; then
  missing+=(python3-venv)
fi
# pip downloads the wheels and tools of pypi.txt.
python3 -m pip --version >/dev/null 2>&1 || missing+=(python3-pip)
# The tools that create venvs, as users run them (tools.txtar).
for tool in virtualenv:virtualenv poetry:python3-poetry tox:tox pipx:pipx; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || missing+=("${tool#*:}")
done
# Debian's numpy, whose BLAS a sandbox hides as NixOS would (doctor.txtar).
[[ -d /usr/lib/python3/dist-packages/numpy ]] || missing+=(python3-numpy)
# Completions load as in a user's bash; man pages render with man-db;
# the Nix files parse and evaluate with Debian's nix.
[[ -f /usr/share/bash-completion/bash_completion ]] || missing+=(bash-completion)
# bubblewrap makes a NixOS-like /run/opengl-driver/lib for the gpu tests.
for tool in man:man-db nix-instantiate:nix-bin bwrap:bubblewrap; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || missing+=("${tool#*:}")
done
if ((${#missing[@]})); then
  sudo=()
  [[ $(id -u) == 0 ]] || sudo=(sudo)
  echo "test.sh: installing ${missing[*]}" >&2
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  # python3-venv where Python comes from Debian; libc6-dev for the probe library.
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" libc6-dev ca-certificates >/dev/null
fi

# A Go new enough for go.mod, first on PATH: the end-to-end tests build
# nixld with it too.
PATH=$(bash scripts/go.sh --bin):${PATH}
export PATH

# nushell, a shell the tests drive, and mise, a benchmark peer, each ship
# as a binary in an npm package: npm_tool NAME PACKAGE@VERSION BIN_DIR.
# internal/testtools looks for them there too, in the same BIN_DIR.
npm_tool() {
  command -v "$1" >/dev/null 2>&1 && return
  local dir=${XDG_CACHE_HOME:-${HOME}/.cache}/nixld-test/$1
  local bin=${dir}/node_modules/$3
  if [[ ! -x ${bin}/$1 ]]; then
    echo "test.sh: installing $1 from npm" >&2
    npm install --prefix "${dir}" --no-audit --no-fund --silent "$2"
  fi
  export PATH=${bin}:${PATH}
}
npm_tool nu nushell@0.115.1 @nushell/linux-x64/bin
npm_tool mise @jdxcode/mise-linux-x64@2026.9.15 @jdxcode/mise-linux-x64/bin
# Real wheels and venv tools from PyPI (pypi.txt), for the python3 the
# tests run, downloaded once; the tests install from here offline.
pypi=${XDG_CACHE_HOME:-${HOME}/.cache}/nixld-test/pypi
stamp="$(sha256sum testscripts/pypi.txt | cut -d' ' -f1) $(python3 -c 'import sys; print(sys.version_info[:2])')"
if [[ $(cat "${pypi}/.complete" 2>/dev/null) != "${stamp}" ]]; then
  echo "test.sh: downloading testscripts/pypi.txt from PyPI into ${pypi}" >&2
  rm -rf "${pypi}"
  python3 -m pip download -q --disable-pip-version-check --only-binary=:all: -d "${pypi}" -r testscripts/pypi.txt
  echo "${stamp}" > "${pypi}/.complete"
fi

if [[ ${1-} == --install ]]; then
  exit 0
fi

unformatted=$(gofmt -l .)
if [[ -n $unformatted ]]; then
  echo "test.sh: not gofmt'ed: $unformatted" >&2
  exit 1
fi
go vet ./...
# -count=1: the end-to-end tests build nixld themselves, which go test's
# cache cannot see. -timeout is a hang guard, generous for a busy machine
# (each pty session has its own deadline); go test's own is 10 minutes.
start=${SECONDS}
go test -count=1 -timeout 30m ./...
# doctor's ELF reader, fuzzed for a fixed time from objects gcc builds;
# minimizing is capped, or it takes the whole time for one input.
go test -run '^$' -fuzz FuzzReadObject -fuzztime 20s -fuzzminimizetime 100x ./doctor
echo "test.sh: the tests took $((SECONDS - start)) s" >&2
# The README's cost table: nixld beside direnv and mise, in one run.
start=${SECONDS}
go test -count=1 -timeout 30m -run '^$' -bench Peers -benchtime 1x ./testscripts
echo "test.sh: the benchmark took $((SECONDS - start)) s; all of test.sh ${SECONDS} s" >&2
