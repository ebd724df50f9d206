"""What the lab benchmarks share: a monitor started in the lab's gateway
namespace, alternated measurement rounds, a process's CPU time, and the
table printed and kept under build/bench/.

Imported by bench/central.py and bench/probe.py (they put bench/ and
tests/e2e/ on sys.path).
"""

import os
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def start_monitor(lab, binary, config, err_path, timeout=10):
    """secaudit-monitor --config CONFIG in the gateway namespace, returned
    once it logged that it is enforcing (RuntimeError with its log if it
    exited or took longer than timeout seconds)."""
    err = open(err_path, "w+")
    mon = lab.spawn("gw", binary, "--config", config, stderr=err)
    deadline = time.monotonic() + timeout
    while "enforcing" not in Path(err_path).read_text():
        if mon.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("secaudit-monitor did not start: " + Path(err_path).read_text())
        time.sleep(0.02)
    return mon


def alternate(rounds, modes, measure):
    """measure(mode, round) for each mode in turn, rounds times, so that
    drift on a busy machine hits every mode alike: {mode: [results]}."""
    out = {m: [] for m in modes}
    for r in range(rounds):
        for m in modes:
            out[m].append(measure(m, r))
    return out


def cpu_seconds(pid):
    """user + system CPU seconds of a process, all its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine():
    """The line that says on what, when, and at which load a table was made."""
    return (f"machine: {os.cpu_count()} cores; "
            f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
            f"load {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")


def publish(name, text):
    """Prints the table and writes it to build/bench/NAME.md."""
    print(text)
    out = ROOT / "build" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.md").write_text(text + "\n")
