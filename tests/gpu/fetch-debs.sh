#!/usr/bin/env bash
# Downloads the Debian 12 packages of the C++ dependencies that CMakeLists.txt
# and tests/CMakeLists.txt look for, other than libtorch and CUDA (the GPU
# machine's PyTorch brings those), into a folder that tests/gpu/check.sh unpacks
# with `dpkg -x` on a machine with no network and no apt.
#   bash tests/gpu/fetch-debs.sh [DIR]      (default: build-gpu-debs, ignored by git)
# Needs apt-get (no root: `apt-get download` only fetches). Idempotent: a
# package already in DIR at the same version is not fetched again.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
dir=${1:-$root/build-gpu-debs}
command -v apt-get >/dev/null || { echo "fetch-debs: apt-get not found (needs Debian 12)" >&2; exit 1; }

# -dev packages and the runtime libraries they link to. find_package:
# nlohmann_json, fmt, yaml-cpp, CLI11, GTest (with gmock), benchmark;
# pkg_check_modules: sentencepiece, re2, sqlite3, libzstd (and pkg-config itself).
# googletest holds the gtest/gmock sources, the only ones here that could be
# rebuilt with another C++ ABI (see tests/gpu/README.md).
packages=(
  nlohmann-json3-dev
  libfmt-dev libfmt9
  libyaml-cpp-dev libyaml-cpp0.7
  libcli11-dev
  libsentencepiece-dev libsentencepiece0
  libre2-dev libre2-9
  libsqlite3-dev libsqlite3-0
  libzstd-dev libzstd1
  libgtest-dev libgmock-dev googletest
  libbenchmark-dev libbenchmark1debian
  pkgconf pkgconf-bin libpkgconf3
)

mkdir -p "$dir"
cd "$dir"
missing=()
for p in "${packages[@]}"; do
  version=$(apt-cache policy "$p" | awk '/Candidate:/ {print $2}')
  if [[ -z "$version" || "$version" == "(none)" ]]; then
    echo "fetch-debs: no candidate version for $p (apt-get update?)" >&2
    exit 1
  fi
  # Debian file names write the epoch's ':' as %3a.
  if ! compgen -G "${p}_${version//:/%3a}_*.deb" >/dev/null; then missing+=("$p"); fi
done
if ((${#missing[@]})); then
  apt-get download "${missing[@]}"
fi
# Keep one version of each package.
for p in "${packages[@]}"; do
  version=$(apt-cache policy "$p" | awk '/Candidate:/ {print $2}')
  for f in "${p}"_*.deb; do
    [[ "$f" == "${p}_${version//:/%3a}_"* ]] || rm -f -- "$f"
  done
done
count=$(ls -1 *.deb | wc -l)
echo "fetch-debs: $count packages in $dir, $(du -sh . | cut -f1) in all"
