#!/usr/bin/env python3
"""transformers on the checkpoint that `moebench_gpu_check throughput` measured.

    hf_compare.py --model DIR --moebench RESULT.json --out FILE.json [--device cuda]

Loads DIR with AutoModelForCausalLM.from_pretrained in the dtype moebench used,
compares its logits on moebench's fixed sequence with moebench's
(RESULT.json.logits.f32), and times the same workloads on the same token ids:
scoring (one forward pass over batch x score-length tokens, full logits as
lm-eval's HF backend computes them) and greedy decoding with the KV cache
(min_new_tokens = max_new_tokens, so exactly that many new tokens).
Writes FILE.json; exits 0 with {"skipped": reason} when torch or transformers
is missing, 1 when the logits disagree beyond the bounds below.
"""
import argparse
import json
import os
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--moebench", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--min-seconds", type=float, default=2.0)
    a = ap.parse_args()

    def write(result):
        with open(a.out, "w") as f:
            json.dump(result, f, indent=2)

    try:
        import numpy as np
        import torch
        import transformers
        from transformers import AutoModelForCausalLM
    except ImportError as e:
        write({"skipped": f"not importable here: {e}"})
        print(f"hf_compare: skipped ({e})")
        return 0

    with open(a.moebench) as f:
        mb = json.load(f)
    dtype = {"bfloat16": torch.bfloat16, "float16": torch.float16, "float32": torch.float32}[mb["dtype"]]
    device = torch.device(a.device)
    cuda = device.type == "cuda"

    def sync():
        if cuda:
            torch.cuda.synchronize(device)

    start = time.monotonic()
    try:  # transformers >= 4.56 names it dtype; older versions torch_dtype
        model = AutoModelForCausalLM.from_pretrained(a.model, dtype=dtype, device_map={"": str(device)})
    except TypeError:
        model = AutoModelForCausalLM.from_pretrained(a.model, torch_dtype=dtype, device_map={"": str(device)})
    model.eval()
    sync()
    load_s = time.monotonic() - start
    result = {"model": a.model, "device": str(device), "dtype": mb["dtype"],
              "torch": torch.__version__, "transformers": transformers.__version__,
              "attn_implementation": getattr(model.config, "_attn_implementation", None),
              "load_seconds": load_s, "score": [], "decode": []}
    if cuda:
        result["gpu"] = torch.cuda.get_device_name(device)
    print(f"hf_compare: loaded {a.model} on {device} in {load_s:.1f} s "
          f"(torch {torch.__version__}, transformers {transformers.__version__})", flush=True)

    # Logits on moebench's fixed sequence.
    ids = mb["logits"]["ids"]
    rows, vocab = mb["logits"]["shape"]
    ref = np.fromfile(os.path.join(os.path.dirname(a.moebench), mb["logits"]["file"]),
                      dtype=np.float32).reshape(rows, vocab)
    with torch.inference_mode():
        hf = model(torch.tensor([ids], device=device)).logits[0].float().cpu().numpy()
    diff = np.abs(hf - ref)
    std = float(ref.std())
    agree = float((hf.argmax(-1) == ref.argmax(-1)).mean())
    # Both sides run the model in the same low precision with other kernels,
    # so exact equality is not expected; a wrong weight or layout gives
    # differences of the order of the logits' own spread.
    logits_ok = bool(diff.mean() <= 0.05 * std and agree >= 0.8) if mb["dtype"] != "float32" \
        else bool(diff.max() <= 1e-3 * max(1.0, float(np.abs(ref).max())) and agree == 1.0)
    result["logits"] = {"positions": rows, "max_abs_diff": float(diff.max()),
                        "mean_abs_diff": float(diff.mean()), "moebench_logit_std": std,
                        "argmax_agreement": agree, "pass": logits_ok}
    print(f"hf_compare: logits max |diff| {diff.max():.4g}, mean {diff.mean():.4g} "
          f"(logit std {std:.3g}), argmax agreement {agree:.3f}", flush=True)

    def timed(fn, max_reps):
        fn()
        sync()
        t0 = time.monotonic()
        reps = 0
        while True:
            fn()
            reps += 1
            sync()
            if time.monotonic() - t0 >= a.min_seconds or reps >= max_reps:
                break
        return (time.monotonic() - t0) / reps, reps

    seqs = mb["sequences"]
    if cuda:
        torch.cuda.reset_peak_memory_stats(device)
    with torch.inference_mode():
        for s in mb["score"]:
            batch, n = s["batch"], s["tokens"]
            x = torch.tensor([q[:n] for q in seqs[:batch]], device=device)
            sec, reps = timed(lambda: model(x).logits, 50)
            tps = batch * n / sec
            result["score"].append({"batch": batch, "tokens": n, "seconds": sec, "reps": reps,
                                    "tokens_per_second": tps})
            print(f"hf_compare: score batch {batch} x {n} tokens: {sec:.4f} s, {tps:.0f} tokens/s", flush=True)
        for d in mb["decode"]:
            batch, p, new = d["batch"], d["prompt_tokens"], d["max_new_tokens"]
            x = torch.tensor([q[:p] for q in seqs[:batch]], device=device)
            mask = torch.ones_like(x)
            gen = dict(attention_mask=mask, max_new_tokens=new, min_new_tokens=new, do_sample=False,
                       pad_token_id=0, use_cache=True)
            sec, reps = timed(lambda: model.generate(x, **gen), 5)
            tps = batch * new / sec
            result["decode"].append({"batch": batch, "prompt_tokens": p, "max_new_tokens": new,
                                     "generated_tokens": batch * new, "seconds": sec, "reps": reps,
                                     "new_tokens_per_second": tps})
            print(f"hf_compare: decode batch {batch}, {p}-token prompts, {batch * new} new tokens: "
                  f"{sec:.3f} s, {tps:.1f} new tokens/s", flush=True)
    if cuda:
        result["torch_peak_allocated_mib"] = torch.cuda.max_memory_allocated(device) / 2**20
        result["torch_peak_reserved_mib"] = torch.cuda.max_memory_reserved(device) / 2**20
    result["total_seconds"] = time.monotonic() - start
    write(result)
    return 0 if logits_ok else 1


if __name__ == "__main__":
    sys.exit(main())
