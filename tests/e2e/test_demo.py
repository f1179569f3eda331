"""`srm-bridge demo` as a user runs it: a fresh folder, the installed command, twice."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

COMMAND = shutil.which("srm-bridge", path=str(Path(sys.executable).parent)) or "srm-bridge"


def run_demo(folder: Path, *options: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SRM_BRIDGE_")}
    done = subprocess.run([COMMAND, "demo", "--suppliers", "6", "--months", "6", "--as-of", "2026-06-30", *options],
                          cwd=folder, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    return done.stdout


def table(output: str) -> list[tuple[str, str]]:
    return re.findall(r"^(\d{10}) .* 2026-06 .* ([ABCD])$", output, flags=re.MULTILINE)  # final on its last day


def test_demo_prints_graded_scorecards_and_reruns_safely(tmp_path):
    first = run_demo(tmp_path)
    rows = table(first)
    assert len(rows) == 6, first
    assert len({grade for _, grade in rows}) > 1, "behaviours should not all grade alike"
    published = int(re.search(r"messages\s+(\d+) published", first).group(1))
    assert published > 0
    opened, escalated = map(int, re.search(r"corrective actions\s+(\d+) opened, (\d+) escalated", first).groups())
    assert opened >= 1 and escalated >= 1, first
    assert "corrective action changed" not in first, "one summary line, not a line per change"
    report = re.search(r"^report\s+(\S+\.html)", first, flags=re.MULTILINE).group(1)
    assert "<svg" in (tmp_path / report).read_text()
    assert re.search(r"^console\s+\S*srm-bridge --config \S+srm-bridge\.yaml console\s+then open http://127\.0\.0\.1:8080/$",
                     first, flags=re.MULTILINE), first
    workdir = tmp_path / "srm-bridge-demo"
    assert (workdir / "srm-bridge.db").exists() and not (tmp_path / "srm-bridge.db").exists()
    assert list((workdir / "broker" / "queues").glob("*.msg"))

    second = run_demo(tmp_path)
    assert re.search(r"messages\s+0 published", second), "an unchanged rerun publishes nothing"
    assert table(second) == rows

    other = run_demo(tmp_path, "--suppliers", "3", "--seed", "8")
    assert "starting clean" in other and len(table(other)) == 3, "a demo with other options does not merge"
    kept = run_demo(tmp_path, "--keep")
    assert "starting clean" not in kept


def test_a_consumer_in_a_second_process_receives_what_the_demo_publishes(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SRM_BRIDGE_")}
    env["SRM_BRIDGE_DATABASE__URL"] = f"sqlite:///{tmp_path / 'consumer.db'}"
    env["SRM_BRIDGE_BROKER__FOLDER"] = str(tmp_path / "srm-bridge-demo" / "broker")
    listener = subprocess.Popen([COMMAND, "consume", "print", "--idle-timeout", "120"], cwd=tmp_path, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        published = int(re.search(r"messages\s+(\d+) published", run_demo(tmp_path)).group(1))
        lines = [listener.stdout.readline() for _ in range(published)]
        listener.send_signal(signal.SIGTERM)
        _, errors = listener.communicate(timeout=30)
    finally:
        listener.kill()
    assert listener.returncode == 0, errors
    events = [json.loads(line) for line in lines]
    assert {"scorecard.published.v1", "risk.raised.v1", "action.opened.v1", "action.escalated.v1"} <= {
        e["type"] for e in events}
    assert json.loads(errors.strip().splitlines()[-1]) == {"handled": published}
    for subject in {e["subject"] for e in events}:
        sequences = [int(e["sequence"]) for e in events if e["subject"] == subject]
        assert sequences == list(range(1, len(sequences) + 1))
