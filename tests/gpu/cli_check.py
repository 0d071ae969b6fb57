#!/usr/bin/env python3
"""`moebench logits --device D --routing` against the llama.cpp reference
outputs of ../shared/reference (logits and Mixtral routing), through the CLI,
so the --device flag itself is exercised. Standard library only.

    cli_check.py --moebench BIN --shared DIR --device cuda --out FILE.json
"""
import argparse
import json
import subprocess
import sys


def run_logits(bin_, model, tokens, device, routing):
    cmd = [bin_, "logits", model, "--ids", ",".join(map(str, tokens)), "--device", device]
    if routing:
        cmd.append("--routing")
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])} ... exited {out.returncode}: {out.stderr.strip()}")
    return json.loads(out.stdout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--moebench", required=True)
    ap.add_argument("--shared", required=True)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    ref = f"{a.shared}/reference"
    gpu = a.device != "cpu"
    checks = []

    for model, seq in [("tiny-llama", "long64"), ("tiny-mistral", "random32"), ("tiny-mixtral", "short16"),
                       ("stories260K", "short16")]:
        atol = (1e-4 if model == "stories260K" else 1e-5) * (10 if gpu else 1)
        with open(f"{ref}/logits/{model}__{seq}.json") as f:
            golden = json.load(f)
        got = run_logits(a.moebench, f"{ref}/models/{model}", golden["tokens"], a.device, False)
        diff, mism = 0.0, 0
        for row, exp in zip(got["logits"], golden["logits"]):
            diff = max(diff, max(abs(x - y) for x, y in zip(row, exp)))
            mism += row.index(max(row)) != exp.index(max(exp))
        ok = diff <= atol and mism == 0 and len(got["logits"]) == len(golden["logits"])
        checks.append({"name": f"cli_logits/{model}/{seq}", "pass": ok, "max_abs_diff": diff, "atol": atol,
                       "argmax_mismatches": mism})

    with open(f"{ref}/logits/tiny-mixtral__routing.json") as f:
        golden = json.load(f)
    rtol = 1e-4 if gpu else 1e-5
    id_mism, wdiff = 0, 0.0
    for name, seq in golden["sequences"].items():
        got = run_logits(a.moebench, f"{ref}/models/tiny-mixtral", seq["tokens"], a.device, True)
        for t, layers in enumerate(got["routing"]):
            for entry in layers:
                layer = entry["layer"]
                id_mism += entry["experts"] != seq["top_experts"][t][layer]
                for w, e in zip(entry["weights"], seq["top_weights"][t][layer]):
                    wdiff = max(wdiff, abs(w - e) / (abs(e) + 1e-2))
    checks.append({"name": "cli_routing/tiny-mixtral", "pass": id_mism == 0 and wdiff <= rtol,
                   "expert_id_mismatches": id_mism, "max_rel_weight_diff": wdiff, "rtol": rtol})

    for c in checks:
        print(("PASS " if c["pass"] else "FAIL ") + c["name"] + " " +
              json.dumps({k: v for k, v in c.items() if k not in ("name", "pass")}), flush=True)
    passed = all(c["pass"] for c in checks)
    with open(a.out, "w") as f:
        json.dump({"device": a.device, "checks": checks, "passed": passed}, f, indent=2)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
