#!/usr/bin/env bash
# Stages what tests/gpu/check.sh needs beside the tracked tree and the debs,
# into build-gpu-carry/ (ignored by git; about 17 MiB):
#   node_modules/  the chart library files reports/CMakeLists.txt embeds (the
#                  whole reports/node_modules is 40 MiB; only these are read)
#   shared/        the reference data the tests read (../shared/reference,
#                  ../shared/recipes), whose tokenizers/mistral-v0.1 also gives
#                  the 32000-piece tokenizer of the random 7B-shaped models
#   bash tests/gpu/stage-carry.sh [DIR]     (default: build-gpu-carry)
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
dir=${1:-$root/build-gpu-carry}
modules=$root/reports/node_modules
shared=${MOEBENCH_SHARED:-$root/../shared}
[[ -d "$modules" ]] || { echo "stage-carry: $modules is missing (npm ci --prefix reports)" >&2; exit 1; }
[[ -d "$shared/reference" ]] || { echo "stage-carry: $shared/reference is missing (set MOEBENCH_SHARED)" >&2; exit 1; }

rm -rf "$dir.tmp"
mkdir -p "$dir.tmp/node_modules" "$dir.tmp/shared"
for package in vega vega-lite vega-embed; do
  mkdir -p "$dir.tmp/node_modules/$package/build"
  cp "$modules/$package/build/$package.min.js" "$dir.tmp/node_modules/$package/build/"
  cp "$modules/$package/LICENSE" "$modules/$package/package.json" "$dir.tmp/node_modules/$package/"
done
mkdir -p "$dir.tmp/node_modules/vega-interpreter/build"
cp "$modules/vega-interpreter/build/vega-interpreter.js" "$dir.tmp/node_modules/vega-interpreter/build/"
cp "$modules/vega-interpreter/LICENSE" "$modules/vega-interpreter/package.json" "$dir.tmp/node_modules/vega-interpreter/"
cp -r "$shared/reference" "$dir.tmp/shared/"
[[ -d "$shared/recipes" ]] && cp -r "$shared/recipes" "$dir.tmp/shared/"
chmod -R u+w "$dir.tmp"
rm -rf "$dir"
mv "$dir.tmp" "$dir"
echo "stage-carry: $(du -sh "$dir" | cut -f1) in $dir"
