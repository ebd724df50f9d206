"""secaudit read --threads N: the output (EVE with the alerts of a policy,
and the transcript) is the same bytes whatever N: EVE and alerts on every
capture of the corpus alone; the whole corpus read at once (several files as one capture, and
as a directory) too, several times with N = 1..4, so that an order left to
the scheduler would show. The flows really are spread over the threads
(-v says how many sessions each had), or the comparison would prove
nothing."""
import glob
import os
import re
import shutil
import subprocess

import pytest

from conftest import CORPUS, ROOT, SECAUDIT

RULES = os.path.join(ROOT, "rules", "default.yaml")
CAPTURES = sorted(p for p in glob.glob(os.path.join(CORPUS, "**", "*.pcap*"), recursive=True)
                  if os.path.basename(os.path.dirname(p)) != "bulk")


def read(*args):
    proc = subprocess.run([SECAUDIT, "read", *args], capture_output=True, timeout=300)
    assert proc.returncode in (0, 1), proc.stderr.decode()
    return proc.stdout, proc.stderr.decode()


def test_the_corpus_is_there():
    assert len(CAPTURES) > 100, f"only {len(CAPTURES)} captures under {CORPUS}"


@pytest.mark.parametrize("capture", CAPTURES, ids=[os.path.relpath(p, CORPUS) for p in CAPTURES])
def test_same_bytes_whatever_the_thread_count(capture):
    one, _ = read("--eve", "--rules", RULES, "--threads", "1", capture)
    four, _ = read("--eve", "--rules", RULES, "--threads", "4", capture)
    assert one == four, f"{capture}: --eve --rules differs between 1 and 4 threads"


def spread(stderr):
    m = re.search(r"sessions per thread: ([\d ]+)", stderr)
    assert m, stderr
    return [int(x) for x in m.group(1).split()]


def test_whole_corpus_as_one_capture_any_thread_count():
    """All captures as one input (flows carried from file to file), the
    output compared for N = 1..4, twice over."""
    first, err = read("--eve", "--rules", RULES, "--threads", "1", "-v", *CAPTURES)
    assert first.count(b"\n") > 300 and b'"event_type":"alert"' in first
    assert spread(err) == [sum(spread(err))]
    for _ in range(2):
        for n in (2, 3, 4):
            out, err = read("--eve", "--rules", RULES, "--threads", str(n), "-v", *CAPTURES)
            per = spread(err)
            assert len(per) == n and sum(per) > 0
            # every thread had flows of its own: the merge had work to do
            assert all(x > 0 for x in per), per
            assert out == first, f"--threads {n} differs from --threads 1"


def test_transcript_any_thread_count():
    """The transcripts are numbered in the merged order: the same text."""
    one, _ = read("--threads", "1", *CAPTURES)
    assert one.count(b"\n#") > 100
    for n in ("2", "3", "4"):
        out, _ = read("--threads", n, *CAPTURES)
        assert out == one, f"the transcript differs between 1 and {n} threads"


def test_directory_reads_its_files_in_name_order(tmp_path):
    """A directory is its capture files in name order (rotated captures),
    hidden files and subdirectories left out."""
    chosen = CAPTURES[:12]
    for i, path in enumerate(chosen):
        shutil.copy(path, tmp_path / f"day.{i:03d}.pcap")
    (tmp_path / ".hidden.pcap").write_bytes(b"not a capture")
    (tmp_path / "sub").mkdir()
    by_files, _ = read("--eve", "--threads", "2", *chosen)
    by_dir, err = read("--eve", "--threads", "2", str(tmp_path))
    assert by_dir == by_files, err
    assert by_dir.count(b"\n") > 10


def test_flow_ids_do_not_depend_on_threads():
    """flow_id comes from the packet that opened the flow, not from which
    thread made it first: the same ids at 1 and 4 threads, and distinct."""
    capture = os.path.join(CORPUS, "generated", "a14_tls12_chain_verified.pcap")
    ids = {}
    for n in ("1", "4"):
        out, _ = read("--eve", "--threads", n, *CAPTURES[:40], capture)
        ids[n] = [int(m) for m in re.findall(rb'"flow_id":(\d+)', out)]
    assert ids["1"] == ids["4"]
    tls_ids = re.findall(rb'"flow_id":(\d+),"event_type":"tls"', out)
    assert len(set(tls_ids)) == len(tls_ids)


def test_threads_must_be_a_count():
    proc = subprocess.run([SECAUDIT, "read", "--threads", "0", CAPTURES[0]],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2 and "--threads" in proc.stderr


def test_policy_that_links_no_sessions_any_thread_count(tmp_path):
    """A policy without resumption, random or STARTTLS checks judges with no
    session cache, its flows split by the flow hash: the same bytes too."""
    text = open(RULES).read()
    for check in ("      weak_random: alert\n", "    unknown_resumption: alert\n"):
        assert check in text
        text = text.replace(check, "")
    policy = tmp_path / "unlinked.yaml"
    policy.write_text(text)
    first, err = read("--eve", "--rules", policy, "--threads", "1", *CAPTURES)
    assert b'"event_type":"alert"' in first, err
    out, err = read("--eve", "--rules", policy, "--threads", "3", "-v", *CAPTURES)
    assert all(x > 0 for x in spread(err)), err
    assert out == first, "--threads 3 differs from --threads 1"
