#!/usr/bin/env bash
# Builds the fuzz targets (tests/fuzz/CMakeLists.txt: clang, libFuzzer, ASan +
# UBSan) and runs each for a fixed time on a seed corpus made from the
# project's own fixtures, then prints per target the executions, exec/s,
# coverage and findings. Not part of CI; see tests/fuzz/README.md.
#
#   tests/fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]     (default 60 s, all targets)
#
# Environment: MOEBENCH_FUZZ_BUILD (default build-fuzz), MOEBENCH_MAIN_BUILD
# (default build: the regular build, for `moebench make-tiny` and the run-plan
# target's libraries), MOEBENCH_FUZZ_JOBS (build parallelism, default 2).
# Corpora, findings and logs go to $MOEBENCH_FUZZ_BUILD/work; the corpus grows
# from run to run (delete work/corpus to start over).
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SECONDS_PER_TARGET=${1:-60}
shift $(( $# > 0 ? 1 : 0 ))
ALL_TARGETS=(safetensors_header_fuzz config_json_fuzz tokenizer_model_fuzz tokenizer_config_fuzz
             recipe_fuzz run_plan_fuzz task_yaml_fuzz items_jsonl_fuzz)
TARGETS=("$@")
(( ${#TARGETS[@]} > 0 )) || TARGETS=("${ALL_TARGETS[@]}")
BUILD=${MOEBENCH_FUZZ_BUILD:-$ROOT/build-fuzz}
MAIN_BUILD=${MOEBENCH_MAIN_BUILD:-$ROOT/build}
JOBS=${MOEBENCH_FUZZ_JOBS:-2}
LOCK=/tmp/moebench-build.lock
WORK=$BUILD/work
TIMEOUT_S=2        # an input that runs longer is a finding (a hang)
RSS_LIMIT_MB=2048  # so is one that needs more memory
MAX_SESSIONS=20    # restarts after findings, per target

[[ $SECONDS_PER_TARGET =~ ^[0-9]+$ ]] || { echo "usage: $0 [SECONDS_PER_TARGET] [TARGET...]" >&2; exit 2; }
for t in "${TARGETS[@]}"; do
  [[ " ${ALL_TARGETS[*]} " == *" $t "* ]] || { echo "unknown target '$t' (targets: ${ALL_TARGETS[*]})" >&2; exit 2; }
done

log() { printf '== %s\n' "$*" >&2; }

# --- build -------------------------------------------------------------------
# The regular build's CLI makes the tiny models whose files seed the model
# parsers; its libraries complete the run-plan target. Failing here (someone
# else's half-finished change) only costs those seeds / that target.
mkdir -p "$BUILD"
if [[ -f $MAIN_BUILD/CMakeCache.txt ]]; then
  log "building moebench in $MAIN_BUILD"
  flock "$LOCK" cmake --build "$MAIN_BUILD" --target moebench -j"$JOBS" >"$BUILD/main-build.log" 2>&1 ||
    log "WARNING: the regular build failed (see $BUILD/main-build.log); using what is there"
fi
log "building the fuzz targets in $BUILD"
# Configured every time: run_plan_fuzz appears once the regular build exists.
flock "$LOCK" env CXX=clang++ cmake -S "$ROOT/tests/fuzz" -B "$BUILD" \
  -DMOEBENCH_MAIN_BUILD="$MAIN_BUILD" >"$BUILD/configure.log" 2>&1 ||
  { cat "$BUILD/configure.log" >&2; exit 1; }
flock "$LOCK" cmake --build "$BUILD" -j"$JOBS" -- -k >"$BUILD/build.log" 2>&1 ||
  log "WARNING: some fuzz targets did not build (see $BUILD/build.log)"

# --- seed corpus from the project's fixtures --------------------------------
SEEDS=$WORK/seeds
rm -rf "$SEEDS" "$WORK/tiny" "$WORK/tmp"  # tmp: scratch dirs of processes that crashed
mkdir -p "$SEEDS" "$WORK/tiny" "$WORK/tmp"
for t in "${ALL_TARGETS[@]}"; do mkdir -p "$SEEDS/$t" "$WORK/corpus/$t" "$WORK/findings/$t"; done

cp "$ROOT"/models/*.yml "$SEEDS/recipe_fuzz/"
cp "$ROOT"/models/*.yml "$SEEDS/run_plan_fuzz/"
cp "$ROOT"/tasks/*/*.yaml "$SEEDS/task_yaml_fuzz/"
for f in "$ROOT"/tasks/*/*.jsonl; do  # a few lines per seed keep inputs small
  split -l 4 -d "$f" "$SEEDS/items_jsonl_fuzz/$(basename "$f" .jsonl)-"
done

MOEBENCH=$MAIN_BUILD/moebench
if [[ -x $MOEBENCH ]]; then
  for arch in mixtral llama mistral; do
    "$MOEBENCH" make-tiny --arch "$arch" --out "$WORK/tiny/$arch" >/dev/null 2>&1 ||
      log "WARNING: moebench make-tiny --arch $arch failed"
  done
else
  log "WARNING: no $MOEBENCH: the model parsers start from hand-made seeds only"
fi
python3 - "$WORK/tiny" "$SEEDS" <<'EOF'
# Seeds derived from the tiny models: their config.json, tokenizer.model and
# tokenizer_config.json as they are; tokenizer_config.json with ChatML added
# tokens (and an added_tokens.json after the separator the target splits on);
# each model.safetensors with its small tensors only (norms, routers: a valid
# file of a few KiB), and its bare header.
import json, os, struct, sys
tiny, seeds = sys.argv[1], sys.argv[2]
def put(target, name, data):
    with open(os.path.join(seeds, target, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
put("config_json_fuzz", "minimal.json", json.dumps({"architectures": ["LlamaForCausalLM"],
    "hidden_size": 8, "intermediate_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2,
    "vocab_size": 300, "max_position_embeddings": 64}))
put("tokenizer_config_fuzz", "empty.json", "{}")
for arch in sorted(os.listdir(tiny)) if os.path.isdir(tiny) else []:
    d = os.path.join(tiny, arch)
    def read(name):
        p = os.path.join(d, name)
        return open(p, "rb").read() if os.path.exists(p) else None
    if (c := read("config.json")): put("config_json_fuzz", arch + ".json", c)
    if (m := read("tokenizer.model")): put("tokenizer_model_fuzz", arch + ".model", m)
    if (tc := read("tokenizer_config.json")):
        put("tokenizer_config_fuzz", arch + ".json", tc)
        cfg = json.loads(tc)
        cfg["added_tokens_decoder"] = {"300": {"content": "<|im_start|>", "special": True},
                                       "301": {"content": "<|im_end|>", "special": True}}
        cfg["eos_token"] = "<|im_end|>"
        put("tokenizer_config_fuzz", arch + "-chatml.json", json.dumps(cfg, indent=2) +
            "\n--- added_tokens.json ---\n" + json.dumps({"<|im_start|>": 300, "<|im_end|>": 301}))
    for name in sorted(os.listdir(d)):
        if not name.endswith(".safetensors"): continue
        raw = read(name)
        (n,) = struct.unpack("<Q", raw[:8])
        header = json.loads(raw[8:8 + n])
        data = raw[8 + n:]
        small, blob = {k: v for k, v in header.items() if k == "__metadata__"}, b""
        tensors = sorted((v["data_offsets"], k) for k, v in header.items() if k != "__metadata__")
        for (begin, end), k in tensors:
            if end - begin > 1024 or len(blob) + end - begin > 8192: continue
            small[k] = dict(header[k], data_offsets=[len(blob), len(blob) + end - begin])
            blob += data[begin:end]
        h = json.dumps(small, separators=(",", ":")).encode()
        h += b" " * (-len(h) % 8)
        stem = arch + "-" + name[:-len(".safetensors")]
        put("safetensors_header_fuzz", stem + "-small.safetensors", struct.pack("<Q", len(h)) + h + blob)
        put("safetensors_header_fuzz", stem + "-header-only.safetensors", raw[:8 + n])
EOF

# --- run ---------------------------------------------------------------------
dict_for() {
  case $1 in
    safetensors_header_fuzz|config_json_fuzz|tokenizer_config_fuzz|items_jsonl_fuzz) echo "$ROOT/tests/fuzz/dict/json.dict" ;;
    recipe_fuzz|run_plan_fuzz|task_yaml_fuzz) echo "$ROOT/tests/fuzz/dict/yaml.dict" ;;
  esac
}
FUZZ_FLAGS=(-timeout=$TIMEOUT_S -rss_limit_mb=$RSS_LIMIT_MB -malloc_limit_mb=$RSS_LIMIT_MB)
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export TMPDIR=$WORK/tmp  # the targets' scratch files; left behind by a crashing process

SUMMARY=$WORK/summary.txt
printf '%-24s %6s %10s %8s %6s %7s %7s  %s\n' target secs execs exec/s cov corpus seeds findings >"$SUMMARY"
for t in "${TARGETS[@]}"; do
  bin=$BUILD/$t
  if [[ ! -x $bin ]]; then
    printf '%-24s not built (see %s)\n' "$t" "$BUILD/build.log" >>"$SUMMARY"
    continue
  fi
  dict=$(dict_for "$t")
  log "fuzzing $t for ${SECONDS_PER_TARGET}s"
  # A finding ends a libFuzzer process (its input saved); the next one goes on
  # from the corpus so far until the target's time is used up.
  : >"$WORK/$t.log"
  start=$SECONDS sessions=0
  while (( (left = SECONDS_PER_TARGET - (SECONDS - start)) > 0 && sessions < MAX_SESSIONS )); do
    sessions=$((sessions + 1))
    "$bin" -max_total_time="$left" -print_final_stats=1 "${FUZZ_FLAGS[@]}" ${dict:+-dict="$dict"} \
      -artifact_prefix="$WORK/findings/$t/" "$WORK/corpus/$t" "$SEEDS/$t" \
      </dev/null >>"$WORK/$t.log" 2>&1 && break
  done
  secs=$((SECONDS - start))
  runs=$(awk '/^stat::number_of_executed_units:/ { n += $2 } END { print n + 0 }' "$WORK/$t.log")
  cov=$(grep -oE ' cov: [0-9]+' "$WORK/$t.log" | tail -1 | grep -oE '[0-9]+')
  cov=${cov:-0}
  rate=$(( secs > 0 ? runs / secs : 0 ))
  corp=$(grep -oE ' corp: [0-9]+' "$WORK/$t.log" | tail -1 | grep -oE '[0-9]+')
  corp=${corp:-0}
  nseeds=$(find "$SEEDS/$t" -type f | wc -l)
  count() { find "$WORK/findings/$t" -type f -name "$1-*" | wc -l; }
  findings="$(count crash) crash, $(count timeout) timeout, $(count oom) oom, $(count leak) leak"
  printf '%-24s %6s %10s %8s %6s %7s %7s  %s\n' "$t" "$secs" "$runs" "$rate" "$cov" "$corp" "$nseeds" \
    "$findings" >>"$SUMMARY"
done

# --- findings, reproduced one by one and grouped by where they happen -------
report_finding() {  # target, input file -> one line: kind and the first project frame
  local out kind where
  out=$("$BUILD/$1" "${FUZZ_FLAGS[@]}" "$2" </dev/null 2>&1)
  kind=$(grep -m1 -oE 'SUMMARY: [A-Za-z]+: [a-zA-Z-]+|terminate called after throwing an instance of .*|moebench fuzz: check failed.*|out-of-memory|timeout' <<<"$out")
  where=$(grep -m1 -oE "$ROOT/harness/[^ ]+" <<<"$out" | sed "s#$ROOT/##")
  [[ -n $kind ]] || kind="no longer reproduces"
  echo "$kind ${where:-}"
}
{
  echo
  echo "findings, grouped (inputs in $WORK/findings/<target>/; reproduce: $BUILD/<target> <input>):"
  for t in "${TARGETS[@]}"; do
    find "$WORK/findings/$t" -type f 2>/dev/null | sort | head -50 | while read -r f; do
      printf '%s | %s\t%s\n' "$t" "$(report_finding "$t" "$f")" "$(basename "$f")"
    done
  done | awk -F'\t' '{ n[$1]++; if (!($1 in ex)) { ex[$1] = $2; order[++k] = $1 } }
                     END { for (i = 1; i <= k; i++) printf "  %3d x %s  (e.g. %s)\n", n[order[i]], order[i], ex[order[i]];
                           if (k == 0) print "  none" }'
} >>"$SUMMARY"
cat "$SUMMARY"
