#!/usr/bin/env bash
# The one-shot GPU check (see tests/gpu/README.md): builds moebench against the
# GPU machine's PyTorch with the carried Debian packages, runs the reference,
# routing and batching checks and the CPU = CUDA checks on the GPU, then
# measures moebench and transformers on random Mistral-7B- and 4x7B-Mixtral-
# shaped checkpoints in bf16. Logs and summary.json go to $OUT (default
# ./gpu-out).
#
#   bash tests/gpu/check.sh             on the GPU machine (about 8 minutes)
#   bash tests/gpu/check.sh --dry-run   on the CPU machine: the same steps on
#                                       CPU with tiny shapes, against the
#                                       existing build/ (Debian's libtorch)
#
# Needs beside the tracked tree: build-gpu-debs/ (tests/gpu/fetch-debs.sh) and
# build-gpu-carry/ (tests/gpu/stage-carry.sh). Idempotent: a second run reuses
# the unpacked packages and the build directory.
# Knobs (environment): OUT, JOBS, BUDGET_SECONDS (default 470: what the whole
# run may take; the Mixtral measurement shrinks or is skipped to fit),
# HARD_SECONDS (default 570: no measurement step runs past it), MIXTRAL_LAYERS
# (auto), MODELS_DIR, SKIP_HF=1.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
here=$root/tests/gpu
mode=gpu
if [[ "${1:-}" == "--dry-run" || "${DEVICE:-}" == "cpu" ]]; then mode=dry; fi
OUT=${OUT:-$root/gpu-out}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
debs=${MOEBENCH_GPU_DEBS:-$root/build-gpu-debs}
carry=${MOEBENCH_GPU_CARRY:-$root/build-gpu-carry}
prefix=${MOEBENCH_GPU_PREFIX:-/tmp/moebench-gpu-prefix}
jobs=${JOBS:-$(nproc)}
budget=${BUDGET_SECONDS:-470}
arch_dir=x86_64-linux-gnu
failed=()

say() { echo "== check.sh [$((SECONDS))s]: $*"; }
die() {
  echo "check.sh: FAILED: $*" >&2
  echo "{\"passed\": false, \"fatal\": $(printf '%s' "$*" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))')}" \
    >"$OUT/summary.json" 2>/dev/null || true
  exit 1
}
# step NAME TIMEOUT COMMAND...: a measured step; failures are collected.
step() {
  local name=$1 limit=$2
  shift 2
  python3 "$here/measure.py" --name "$name" --timeout "$limit" --out "$OUT" -- "$@" || failed+=("$name")
}
left() { echo $((budget - SECONDS)); }
# cap LIMIT: LIMIT, or less so that the step ends by HARD_SECONDS (default
# 570, inside the GPU machine's 10-minute limit per command), at least 30.
cap() {
  local t=$((${HARD_SECONDS:-570} - SECONDS))
  ((t > $1)) && t=$1
  ((t < 30)) && t=30
  echo $t
}

# ---------------------------------------------------------------- preflight
command -v python3 >/dev/null || die "python3 not found"
command -v cmake >/dev/null || die "cmake not found"
[[ -n "$(ls "$debs"/*.deb 2>/dev/null)" ]] || die "no .deb files in $debs (run tests/gpu/fetch-debs.sh on the CPU machine and carry build-gpu-debs)"
[[ -d "$carry/shared/reference" && -d "$carry/node_modules" ]] ||
  die "$carry is incomplete (run tests/gpu/stage-carry.sh on the CPU machine and carry build-gpu-carry)"
shared=$carry/shared
export MOEBENCH_SHARED=$shared
if [[ ! -e "$root/reports/node_modules" ]]; then ln -s "$carry/node_modules" "$root/reports/node_modules"; fi

if [[ $mode == gpu ]]; then
  device=cuda
  command -v nvidia-smi >/dev/null || die "nvidia-smi not found: not a GPU machine (use --dry-run on CPU)"
  python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' ||
    die "python3's torch is missing or sees no GPU"
  torch_prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
  abi=$(python3 -c 'import torch; print(int(torch._C._GLIBCXX_USE_CXX11_ABI))')
  build=${BUILD_DIR:-/tmp/moebench-gpu-build}
else
  device=cpu
  torch_prefix=/usr/lib/$arch_dir/cmake/Torch
  # Debian's libtorch is built with GCC's default, the C++11 ABI.
  abi=$(grep -ho '_GLIBCXX_USE_CXX11_ABI=[01]' /usr/lib/$arch_dir/cmake/Torch/TorchConfig.cmake 2>/dev/null | head -1 | cut -d= -f2)
  abi=${abi:-1}
  build=${BUILD_DIR:-$root/build}
fi
python3 - "$OUT/env.json" "$mode" "$abi" <<'EOF'
import json, platform, shutil, subprocess, sys
def run(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip()
    except Exception as e:
        return f"unavailable: {e}"
env = {"mode": sys.argv[2], "cxx11_abi": int(sys.argv[3]), "python": platform.python_version(),
       "cmake": run("cmake", "--version").splitlines()[0] if shutil.which("cmake") else None,
       "cxx": run("c++", "--version").splitlines()[0] if shutil.which("c++") else None,
       "glibc": platform.libc_ver()[1], "cpus": __import__("os").cpu_count()}
if shutil.which("nvidia-smi"):
    env["gpu"] = run("nvidia-smi", "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader")
if shutil.which("nvcc"):
    env["nvcc"] = run("nvcc", "--version").splitlines()[-1]
try:
    import torch
    env["torch"] = torch.__version__
    env["torch_cuda"] = torch.version.cuda
except ImportError:
    env["torch"] = None
try:
    import transformers
    env["transformers"] = transformers.__version__
except ImportError:
    env["transformers"] = None
json.dump(env, open(sys.argv[1], "w"), indent=2)
print(json.dumps(env))
EOF
if [[ "$abi" != 1 ]]; then
  die "this PyTorch is built with the pre-C++11 ABI (torch._C._GLIBCXX_USE_CXX11_ABI = 0), while the carried Debian libraries (yaml-cpp, re2, fmt, gtest, benchmark, sentencepiece) use the C++11 ABI: their std::string functions cannot link with code built for this torch. See tests/gpu/README.md, section ABI."
fi

# ------------------------------------------------------- unpack the packages
stamp=$( (cd "$debs" && ls -l ./*.deb) | cksum | cut -d' ' -f1)
if [[ "$(cat "$prefix/.complete" 2>/dev/null)" != "$stamp" ]]; then
  say "unpacking $(ls "$debs"/*.deb | wc -l) packages into $prefix"
  rm -rf "$prefix.tmp" "$prefix"
  mkdir -p "$prefix.tmp"
  for deb in "$debs"/*.deb; do
    if command -v dpkg >/dev/null; then
      dpkg -x "$deb" "$prefix.tmp"
    else  # no dpkg: a .deb is an ar archive holding data.tar.*
      member=$(ar t "$deb" | grep '^data\.tar')
      ar p "$deb" "$member" | tar -x -C "$prefix.tmp" $([[ $member == *.zst ]] && echo --zstd)
    fi
  done
  # The .pc files name /usr: point them at the prefix.
  for pc in "$prefix.tmp"/usr/lib/$arch_dir/pkgconfig/*.pc "$prefix.tmp"/usr/share/pkgconfig/*.pc; do
    [[ -f "$pc" ]] || continue
    sed -i -E "s#^([a-z_]+)=/usr#\1=$prefix/usr#" "$pc"
    # libzstd.pc says ${exec_prefix}/lib, where Debian's linker looks anyway.
    sed -i -E 's#^libdir=\$\{exec_prefix\}/lib$#libdir=${exec_prefix}/lib/'"$arch_dir#" "$pc"
  done
  mkdir -p "$prefix.tmp/bin"
  cat >"$prefix.tmp/bin/pkg-config" <<EOF
#!/bin/sh
LD_LIBRARY_PATH=$prefix/usr/lib/$arch_dir\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH} exec $prefix/usr/bin/pkgconf "\$@"
EOF
  chmod +x "$prefix.tmp/bin/pkg-config"
  mv "$prefix.tmp" "$prefix"
  echo "$stamp" >"$prefix/.complete"
fi
export PKG_CONFIG_LIBDIR=$prefix/usr/lib/$arch_dir/pkgconfig:$prefix/usr/share/pkgconfig
export PKG_CONFIG_PATH=$PKG_CONFIG_LIBDIR
"$prefix/bin/pkg-config" --modversion sentencepiece re2 sqlite3 libzstd >/dev/null ||
  die "the unpacked pkg-config cannot resolve sentencepiece, re2, sqlite3, libzstd (see $prefix)"
deps_prefix="$prefix/usr;$prefix/usr/lib/$arch_dir/cmake;$prefix/usr/share/cmake;$prefix/usr/lib/cmake"

# Prints where find_package/pkg-config found each dependency; all must be
# under the prefix (a library from elsewhere could be of another ABI).
check_cache() {
  local cache=$1/CMakeCache.txt bad=0
  while IFS= read -r line; do
    echo "   $line"
    [[ "$line" == *"$prefix"* ]] || bad=1
  done < <(grep -E '^(fmt|yaml-cpp|nlohmann_json|CLI11|GTest|benchmark)_DIR:|^pkgcfg_lib_(SENTENCEPIECE_sentencepiece|RE2_re2|SQLITE3_sqlite3|ZSTD_zstd):' "$cache")
  return $bad
}

configure_cmd() {  # configure_cmd BUILD_DIR [extra cmake args...]: sets cmd
  local dir=$1
  shift
  cmd=(cmake -S "$root" -B "$dir")
  if command -v ninja >/dev/null && [[ ! -f "$dir/CMakeCache.txt" ]]; then cmd+=(-G Ninja); fi
  cmd+=(-DCMAKE_BUILD_TYPE=Release "-DCMAKE_PREFIX_PATH=$torch_prefix;$deps_prefix"
        "-DCMAKE_CXX_FLAGS=-D_GLIBCXX_USE_CXX11_ABI=$abi" "-DPKG_CONFIG_EXECUTABLE=$prefix/bin/pkg-config" "$@")
}
has_failed() { [[ " ${failed[*]} " == *" $1 "* ]]; }

# -------------------------------------------------------------------- build
targets=(moebench moebench_gpu_check model_tests merge_tests)
if [[ $mode == gpu ]]; then
  cuda_args=()
  if nvcc=$(command -v nvcc); then
    cuda_args=("-DCMAKE_CUDA_COMPILER=$nvcc" "-DCUDAToolkit_ROOT=$(dirname "$(dirname "$(readlink -f "$nvcc")")")")
  fi
  export TORCH_CUDA_ARCH_LIST=${TORCH_CUDA_ARCH_LIST:-9.0}
  say "configuring $build against $torch_prefix (C++11 ABI = $abi)"
  configure_cmd "$build" "${cuda_args[@]}"
  step configure 150 "${cmd[@]}"
  has_failed configure && die "configure failed: see $OUT/configure.log"
  check_cache "$build" || die "a dependency was found outside $prefix (listed above)"
  say "building ${targets[*]} with $jobs jobs"
  step build 330 cmake --build "$build" -j "$jobs" --target "${targets[@]}"
  has_failed build && die "build failed: see $OUT/build.log"
else
  # The packages: configured and linked into two small test executables in a
  # separate directory, against Debian's libtorch.
  probe=${PROBE_DIR:-/tmp/moebench-gpu-dry-build}
  say "dry run: configuring $probe against the unpacked packages"
  configure_cmd "$probe"
  step configure 300 "${cmd[@]}"
  has_failed configure && die "configure failed: see $OUT/configure.log"
  check_cache "$probe" || die "a dependency was found outside $prefix (listed above)"
  step build-probe 1800 cmake --build "$probe" -j "$jobs" --target util_tests io_tests
  step probe-tests 300 bash -c '"$0"/tests/util_tests --gtest_brief=1 && "$0"/tests/io_tests --gtest_brief=1' "$probe"
  say "dry run: building ${targets[*]} in $build (Debian libtorch)"
  step build 3000 flock /tmp/moebench-build.lock cmake --build "$build" -j "$jobs" --target "${targets[@]}"
  has_failed build && die "build failed: see $OUT/build.log"
fi
bin=$build/moebench
gpu_check=$build/tests/moebench_gpu_check

# ------------------------------------------------------------------- checks
# The model and merge test executables (CPU; merge_tests' GatesOnGpuMatchCpu
# runs on the GPU where there is one), in parallel shards.
shards=$((jobs > 2 ? jobs / 2 : 1))
step unit-tests "$([[ $mode == gpu ]] && echo 150 || echo 1200)" env SHARDS="$shards" BUILD="$build" LOGS="$OUT" bash -c '
  rc=0
  for exe in model_tests merge_tests; do
    pids=()
    for ((i = 0; i < SHARDS; i++)); do
      GTEST_TOTAL_SHARDS=$SHARDS GTEST_SHARD_INDEX=$i "$BUILD/tests/$exe" --gtest_brief=1 >"$LOGS/unit-$exe-$i.log" 2>&1 &
      pids+=($!)
    done
    for p in "${pids[@]}"; do wait "$p" || rc=1; done
    echo "$exe:"
    cat "$LOGS"/unit-$exe-*.log | grep -E "^\[  (PASSED|FAILED|SKIPPED) |SKIPPED:|Failure" || true
  done
  if ((rc == 0)); then echo "model_tests and merge_tests: every shard passed"; else echo "model_tests or merge_tests: a shard failed"; fi
  exit $rc'
say "reference, routing, batching and CPU = $device checks"
step reference 180 "$gpu_check" reference --shared "$shared" --device "$device" \
  --scratch /tmp/moebench-gpu-scratch --out "$OUT/reference.json"
step cli 120 python3 "$here/cli_check.py" --moebench "$bin" --shared "$shared" --device "$device" --out "$OUT/cli.json"

# --------------------------------------------------------------- throughput
tokenizer=$shared/reference/tokenizers/mistral-v0.1/tokenizer.model
if [[ $mode == gpu ]]; then
  shape=(--hidden 4096 --intermediate 14336 --heads 32 --kv-heads 8 --vocab 32000)
  full_layers=32
  work=(--score-len 512 --score-batches 1,16 --decode-batches 1,32 --prompt-len 128 --new-tokens 64 --min-seconds 1)
else
  shape=(--hidden 128 --intermediate 256 --heads 4 --kv-heads 2 --vocab 32000)
  full_layers=2
  work=(--score-len 64 --score-batches 1,4 --decode-batches 1,4 --prompt-len 16 --new-tokens 8 --min-seconds 0.2)
fi
# bytes of one layer and of the rest, bf16 (for the disk and the time check)
layer_bytes() {  # layer_bytes EXPERTS
  python3 -c "h,i,v,e=${shape[1]},${shape[3]},32000,$1; d=h//${shape[5]}; kv=${shape[7]}*d
print(2*(2*h*h + 2*kv*h + 3*h*i*e + e*h*(e>1) + 2*h))"
}
rest_bytes=$((2 * 2 * 32000 * ${shape[1]}))
models_dir() {  # models_dir BYTES: a folder with room for BYTES (tmpfs first)
  local need=$1 d
  for d in ${MODELS_DIR:-} /dev/shm /tmp; do
    [[ -n "$d" && -d "$d" && -w "$d" ]] || continue
    if (($(df -B1 --output=avail "$d" | tail -1) > need + (2 << 30))); then echo "$d/moebench-gpu-models"; return; fi
  done
}
notes="{}"
measure_model() {  # measure_model NAME ARCH LAYERS EXTRA_SHAPE_ARGS...
  local name=$1 arch=$2 layers=$3
  shift 3
  local experts=1
  [[ $arch == mixtral ]] && experts=4
  local bytes=$(($(layer_bytes $experts) * layers + rest_bytes))
  local dir
  dir=$(models_dir "$bytes")
  if [[ -z "$dir" ]]; then
    say "$name: no folder with $((bytes >> 30)) GiB free: skipped"
    notes=$(python3 -c "import json,sys; n=json.loads(sys.argv[1]); n['$name']={'skipped':'no folder with room for $bytes bytes'}; print(json.dumps(n))" "$notes")
    return
  fi
  notes=$(python3 -c "import json,sys; n=json.loads(sys.argv[1]); n['$name']={'arch':'$arch','layers':$layers,'shape':sys.argv[2],'bytes':$bytes,'folder':'$dir'}; print(json.dumps(n))" "$notes" "${shape[*]}${*:+ $*}")
  rm -rf "$dir"
  mkdir -p "$dir"
  say "$name: $arch, $layers layers, $((bytes >> 20)) MiB of bf16 weights in $dir"
  step "make-$name" "$(cap 240)" "$gpu_check" make-random --out "$dir/$name" --arch "$arch" --layers "$layers" "${shape[@]}" "$@" \
    --tokenizer "$tokenizer" --device "$device"
  if [[ -f "$dir/$name/config.json" ]]; then
    step "moebench-$name" "$(cap 240)" "$gpu_check" throughput --model "$dir/$name" --device "$device" --dtype bfloat16 \
      "${work[@]}" --out "$OUT/throughput-$name.json"
    if [[ -f "$OUT/throughput-$name.json" && -z "${SKIP_HF:-}" ]]; then
      step "hf-$name" "$(cap 300)" python3 "$here/hf_compare.py" --model "$dir/$name" --moebench "$OUT/throughput-$name.json" \
        --out "$OUT/hf-$name.json" --device "$device" --min-seconds "${work[-1]}"
    fi
  fi
  rm -rf "$dir"
}
measure_model mistral mistral "$full_layers"
# The Mixtral (about 3.4x the Mistral's weights) takes about 230 s end to end on
# an H100 by the estimate in README.md; with less time left it keeps fewer
# layers (the same per-layer work, so the two engines' ratio still holds).
layers=${MIXTRAL_LAYERS:-auto}
if [[ $layers == auto ]]; then
  t=$(left)
  if [[ $mode == dry ]]; then layers=$full_layers
  elif ((t >= 230)); then layers=$full_layers
  elif ((t >= 90)); then layers=$(((t - 60) * full_layers / 170 / 2 * 2)); ((layers >= 2)) || layers=2
  else layers=0
  fi
fi
if ((layers > 0)); then
  measure_model mixtral mixtral "$layers" --experts 4 --top-k 2
else
  say "mixtral: $(left) s left of the budget: skipped"
  notes=$(python3 -c "import json,sys; n=json.loads(sys.argv[1]); n['mixtral']={'skipped':'time budget'}; print(json.dumps(n))" "$notes")
fi
echo "$notes" >"$OUT/throughput-notes.json"

python3 "$here/summary.py" "$OUT"
say "done in $SECONDS s"
if ((${#failed[@]})); then
  echo "check.sh: FAILED steps: ${failed[*]} (logs in $OUT)" >&2
  exit 1
fi
