#!/usr/bin/env python3
"""Collects what tests/gpu/check.sh wrote under OUT into OUT/summary.json and
prints it as a table. Standard library only.

    summary.py OUT
"""
import glob
import json
import os
import sys


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def main():
    out = sys.argv[1]
    env = load(os.path.join(out, "env.json")) or {}
    steps = {}
    for p in sorted(glob.glob(os.path.join(out, "*.step.json"))):
        s = load(p)
        if s:
            steps[s["name"]] = {k: s[k] for k in ("exit_status", "seconds", "timed_out", "host_peak_rss_mib",
                                                  "gpu_peak_mib")}
    summary = {"env": env, "steps": steps, "checks": {}, "throughput": {}}

    for name in ("reference", "cli"):
        r = load(os.path.join(out, f"{name}.json"))
        if r:
            summary["checks"][name] = {"passed": r["passed"],
                                       "failed": [c["name"] for c in r["checks"] if not c["pass"]],
                                       "count": len(r["checks"])}
    unit_log = os.path.join(out, "unit-tests.log")
    if os.path.exists(unit_log):
        lines = [l.strip() for l in open(unit_log, errors="replace")
                 if l.startswith(("[  PASSED", "[  FAILED", "[  SKIPPED", "model_tests", "merge_tests"))]
        summary["checks"]["model_and_merge_tests"] = {"passed": steps.get("unit-tests", {}).get("exit_status") == 0,
                                                     "results": lines}
    notes = load(os.path.join(out, "throughput-notes.json")) or {}
    for model in ("mistral", "mixtral"):
        mb = load(os.path.join(out, f"throughput-{model}.json"))
        hf = load(os.path.join(out, f"hf-{model}.json"))
        if not mb and not hf and model not in notes:
            continue
        entry = {"shape": notes.get(model)}
        if mb:
            entry["moebench"] = {"load_seconds": mb["load_seconds"], "score": mb["score"], "decode": mb["decode"],
                                 "gpu_peak_mib": steps.get(f"moebench-{model}", {}).get("gpu_peak_mib"),
                                 "host_peak_rss_mib": steps.get(f"moebench-{model}", {}).get("host_peak_rss_mib")}
        if hf:
            if "skipped" in hf:
                entry["transformers"] = {"skipped": hf["skipped"]}
            else:
                entry["transformers"] = {k: hf.get(k) for k in ("torch", "transformers", "attn_implementation",
                                                                "load_seconds", "score", "decode", "logits",
                                                                "torch_peak_allocated_mib",
                                                                "torch_peak_reserved_mib")}
                entry["transformers"]["gpu_peak_mib"] = steps.get(f"hf-{model}", {}).get("gpu_peak_mib")
        if mb and hf and "skipped" not in hf:
            ratios = {}
            for kind, key in (("score", "tokens_per_second"), ("decode", "new_tokens_per_second")):
                for m, h in zip(mb[kind], hf[kind]):
                    ratios[f"{kind}_batch{m['batch']}"] = round(m[key] / h[key], 3) if h[key] else None
            entry["moebench_over_transformers"] = ratios
        summary["throughput"][model] = entry

    failed = [n for n, s in steps.items() if s["exit_status"] != 0]
    summary["failed_steps"] = failed
    summary["passed"] = not failed
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)

    print(f"\n== summary ({out}/summary.json)")
    for n, s in steps.items():
        status = "ok" if s["exit_status"] == 0 else ("TIMED OUT" if s["timed_out"] else f"FAILED ({s['exit_status']})")
        gpu = f", GPU peak {s['gpu_peak_mib']} MiB" if s.get("gpu_peak_mib") is not None else ""
        print(f"  {n:24s} {status:12s} {s['seconds']:7.1f} s, RSS peak {s['host_peak_rss_mib']:.0f} MiB{gpu}")
    for name, c in summary["checks"].items():
        print(f"  checks {name}: {c}")
    for model, e in summary["throughput"].items():
        print(f"  {model} {e.get('shape')}:")
        for who in ("moebench", "transformers"):
            r = e.get(who)
            if not r:
                continue
            if "skipped" in r:
                print(f"    {who}: skipped ({r['skipped']})")
                continue
            parts = [f"score b{x['batch']} {x['tokens_per_second']:.0f} tok/s" for x in r["score"]]
            parts += [f"decode b{x['batch']} {x['new_tokens_per_second']:.1f} tok/s" for x in r["decode"]]
            print(f"    {who}: load {r['load_seconds']:.1f} s; " + "; ".join(parts))
        if "moebench_over_transformers" in e:
            print(f"    moebench / transformers: {e['moebench_over_transformers']}")
        lg = (e.get("transformers") or {}).get("logits")
        if lg:
            print(f"    logits vs transformers: {lg}")
    print("  PASSED" if summary["passed"] else f"  FAILED steps: {', '.join(failed)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
