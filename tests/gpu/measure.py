#!/usr/bin/env python3
"""Runs one step of tests/gpu/check.sh under a time limit and records it.

    measure.py --name NAME --timeout SECONDS --out DIR -- COMMAND...

Writes DIR/NAME.log (stdout and stderr, also echoed) and DIR/NAME.step.json:
exit status, wall seconds, whether the limit stopped it, the command's peak
resident memory (VmHWM, read from /proc while it runs) and, where nvidia-smi
answers, the GPU memory in use at its peak minus what was in use before it
started (the whole device's figure, so run one measured step at a time).
Standard library only; exits with the command's status (124 on timeout).
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time


def gpu_used_mib():
    if not shutil.which("nvidia-smi"):
        return None
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits"],
            capture_output=True, text=True, timeout=10).stdout
        return int(out.split()[0])
    except (OSError, ValueError, IndexError, subprocess.TimeoutExpired):
        return None


def vm_hwm_kib(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def descendants(pid):
    """pid and its children, grandchildren, ... (from /proc)."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
        except (OSError, ValueError, IndexError):
            pass
    out, pending = [], [pid]
    while pending:
        p = pending.pop()
        out.append(p)
        pending.extend(children.get(p, []))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", required=True)
    ap.add_argument("--timeout", type=float, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("command", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.command[1:] if a.command[:1] == ["--"] else a.command
    if not cmd:
        ap.error("no command")
    os.makedirs(a.out, exist_ok=True)
    log_path = os.path.join(a.out, a.name + ".log")
    baseline = gpu_used_mib()
    peak = {"gpu": baseline, "rss": 0}
    start = time.monotonic()
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                start_new_session=True, text=True, errors="replace")
        done = threading.Event()

        def poll():
            while not done.is_set():
                g = gpu_used_mib()
                if g is not None:
                    peak["gpu"] = max(peak["gpu"] or 0, g)
                peak["rss"] = max(peak["rss"], vm_hwm_kib(descendants(proc.pid)))
                done.wait(0.5)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()

        def reader():
            for line in proc.stdout:
                sys.stdout.write(line)
                sys.stdout.flush()
                log.write(line)
                log.flush()

        rd = threading.Thread(target=reader, daemon=True)
        rd.start()
        timed_out = False
        try:
            rc = proc.wait(timeout=a.timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            rc = 124
        rd.join(timeout=5)
        done.set()
        poller.join(timeout=5)
        if timed_out:
            log.write(f"\n{a.name}: stopped after {a.timeout:.0f} s (time limit)\n")
    seconds = time.monotonic() - start
    record = {
        "name": a.name, "command": cmd, "exit_status": rc, "seconds": round(seconds, 2),
        "timed_out": timed_out, "timeout_seconds": a.timeout,
        "host_peak_rss_mib": round(peak["rss"] / 1024, 1),
        "gpu_baseline_mib": baseline,
        "gpu_peak_mib": None if baseline is None else peak["gpu"] - baseline,
    }
    with open(os.path.join(a.out, a.name + ".step.json"), "w") as f:
        json.dump(record, f, indent=2)
    status = "ok" if rc == 0 else ("TIMED OUT" if timed_out else f"FAILED (exit {rc})")
    print(f"== {a.name}: {status}, {seconds:.1f} s (log: {log_path})", flush=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
