#!/usr/bin/env bash
# Runs the go command with a Go at least as new as go.mod's `go` line:
# the go on PATH where it is new enough, else that exact release, fetched
# once from the Go module proxy (golang.org/toolchain, as Go 1.21 and
# later fetch toolchains themselves) into
# ${XDG_CACHE_HOME:-~/.cache}/nixld-go. Debian 12's golang-go is 1.19,
# too old to build nixld or to fetch a newer Go by itself.
#
#   bash scripts/go.sh build -o nixld ./cmd/nixld
#   bash scripts/go.sh --bin     # prints the directory of that go
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

want=$(sed -n 's/^go \([0-9][0-9.]*\)$/\1/p' "${root}/go.mod")
[[ -n ${want} ]] || {
  echo "go.sh: no go line in ${root}/go.mod" >&2
  exit 1
}

# new_enough GO: whether GO's version (go1.26.8) is at least want.
new_enough() {
  local have
  have=$("$1" env GOVERSION 2>/dev/null) || return 1
  have=${have#go}
  have=${have%%[!0-9.]*}
  [[ $(printf '%s\n%s\n' "${want}" "${have}" | sort -V | head -n 1) == "${want}" ]]
}

if command -v go >/dev/null 2>&1 && new_enough go; then
  bin=$(dirname "$(command -v go)")
else
  case $(uname -m) in
    x86_64) arch=amd64 ;;
    aarch64) arch=arm64 ;;
    *)
      echo "go.sh: no Go toolchain for $(uname -m); install Go ${want} or newer" >&2
      exit 1
      ;;
  esac
  version=v0.0.1-go${want}.linux-${arch}
  dir=${XDG_CACHE_HOME:-${HOME}/.cache}/nixld-go/${version}
  bin=${dir}/golang.org/toolchain@${version}/bin
  if [[ ! -x ${bin}/go ]]; then
    tools=()
    for tool in curl unzip; do
      command -v "${tool}" >/dev/null 2>&1 || tools+=("${tool}")
    done
    if ((${#tools[@]})); then
      sudo=()
      [[ $(id -u) == 0 ]] || sudo=(sudo)
      echo "go.sh: installing ${tools[*]} with apt-get, to fetch Go" >&2
      "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
      "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${tools[@]}" ca-certificates >/dev/null
    fi
    proxy=${GOPROXY:-https://proxy.golang.org}
    proxy=${proxy%%[,|]*}
    [[ ${proxy} == http* ]] || proxy=https://proxy.golang.org
    echo "go.sh: the go on PATH is missing or older than ${want}; fetching Go ${want} from ${proxy} (up to 10 minutes)" >&2
    rm -rf "${dir}" "${dir}.tmp"
    mkdir -p "${dir}.tmp"
    curl -fsSL --retry 2 --max-time 600 -o "${dir}.tmp/go.zip" "${proxy}/golang.org/toolchain/@v/${version}.zip"
    unzip -q "${dir}.tmp/go.zip" -d "${dir}.tmp"
    rm "${dir}.tmp/go.zip"
    # The module zip keeps no file modes.
    chmod +x "${dir}.tmp/golang.org/toolchain@${version}"/bin/* "${dir}.tmp/golang.org/toolchain@${version}"/pkg/tool/*/*
    mv "${dir}.tmp" "${dir}"
  fi
fi

if [[ ${1-} == --bin ]]; then
  printf '%s\n' "${bin}"
  exit 0
fi
# That go, with no toolchain switch of its own: it is new enough.
GOTOOLCHAIN=local exec "${bin}/go" "$@"
