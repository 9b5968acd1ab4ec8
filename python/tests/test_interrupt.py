"""Ctrl-C for real: a subprocess running a long call gets SIGINT and must stop the C++ work and
raise KeyboardInterrupt within a couple of seconds."""

import signal
import textwrap
import time

import pytest

from conftest import python_subprocess

# A graph on which every call below runs far longer than the test waits (minutes).
PROGRAM = textwrap.dedent(
    """
    import random, signal, sys, pipecut
    # A shell may start background jobs with SIGINT ignored; restore Python's handler.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    rng = random.Random(5)
    n = 3000
    nodes = [{{"id": i, "work": rng.uniform(0.1, 2), "comm": rng.uniform(0.1, 2)}} for i in range(n)]
    edges = [(rng.randrange(max(0, i - 30), i), i) for i in range(1, n) for _ in range(2)]
    g = pipecut.Graph(nodes, edges)
    print("started", flush=True)
    try:
        {call}
    except KeyboardInterrupt:
        print("KeyboardInterrupt", flush=True)
        raise
    print("finished", flush=True)
    """
)

CALLS = {
    "solve": "pipecut.solve(g, 16, target_ratio=1.0, time_limit=600)",
    "partition": "pipecut.partition(g, 16, time_limit=600)",
    # Not the MIP methods: CBC's root LP cannot be interrupted (README, Limitations).
    "bound": "pipecut.bound(g, 16, method=['single-mincut', 'downset'], time_limit=600)",
}


@pytest.mark.parametrize("what", sorted(CALLS))
def test_ctrl_c_stops_the_call_and_raises_keyboard_interrupt(what):
    process = python_subprocess(PROGRAM.format(call=CALLS[what]))
    try:
        assert process.stdout.readline().strip() == "started"
        time.sleep(1.5)  # well inside the call
        assert process.poll() is None, process.stderr.read()
        process.send_signal(signal.SIGINT)
        sent = time.monotonic()
        stdout, stderr = process.communicate(timeout=30)
        elapsed = time.monotonic() - sent
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "KeyboardInterrupt" in stdout and "finished" not in stdout
    assert stderr.rstrip().endswith("KeyboardInterrupt"), stderr
    assert process.returncode != 0
    # Within a second or so; the margin allows for a loaded test machine.
    assert elapsed < 3.0, f"{what} took {elapsed:.2f} s to stop"
