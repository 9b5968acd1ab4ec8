"""PipelinePlan.bench(): the stages of a pipecut.torch plan timed on this machine against the
costs the plan was solved with, as a pipecut.bench v1 document (docs/formats.md, "pipecut.bench
v1"; docs/python.md, "Predicted against measured").

Each stage runs alone, with torch.set_num_threads(1), on the values it receives when the
example inputs go through the earlier stages: `warmup` untimed runs, then `runs` timed ones
(median, 10th and 90th percentile, median absolute deviation, mean, min, max), each followed by
copying the values it receives and sends (Tensor.clone). With `pipelined=True` every stage runs
in its own process (forked, so the stage modules need no pickling), pinned to its own core with
os.sched_setaffinity, one intra-op thread each; stages pass pickled values through bounded
multiprocessing queues (one per pair of stages that pass values), and `microbatches` microbatches
stream through: steady-state throughput and each stage's busy fraction.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import pickle
import platform
import queue
import statistics
import time
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple

import torch

import pipecut

if TYPE_CHECKING:  # pragma: no cover
    from pipecut.torch import PipelinePlan


def _quantile(sorted_values: Sequence[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    pos = (len(sorted_values) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def _spread(samples: Sequence[float]) -> Dict[str, float]:
    s = sorted(samples)
    median = _quantile(s, 0.5)
    return {
        "median": median,
        "p10": _quantile(s, 0.1),
        "p90": _quantile(s, 0.9),
        "mad": _quantile(sorted(abs(x - median) for x in s), 0.5),
        "mean": statistics.fmean(s) if s else 0.0,
        "min": s[0] if s else 0.0,
        "max": s[-1] if s else 0.0,
    }


def _tensors(value: Any) -> List[torch.Tensor]:
    """The tensors inside a value (nested tuples, lists, dicts)."""
    out: List[torch.Tensor] = []

    def visit(v: Any) -> None:
        if isinstance(v, torch.Tensor):
            out.append(v)
        elif isinstance(v, (tuple, list)):
            for item in v:
                visit(item)
        elif isinstance(v, dict):
            for item in v.values():
                visit(item)

    visit(value)
    return out


def _copy_ms(values: Sequence[Any], buffers: List[torch.Tensor]) -> float:
    """Copies the tensors of `values` into `buffers` (one per tensor, reused from run to run, as a
    pipeline's pool would be: fresh memory for every copy would measure page faults) and returns
    the milliseconds it took."""
    tensors = [t for v in values for t in _tensors(v)]
    if not tensors:
        return 0.0
    start = time.perf_counter()
    for t, b in zip(tensors, buffers):
        b.copy_(t)
    return (time.perf_counter() - start) * 1000


def _buffers(values: Sequence[Any]) -> List[torch.Tensor]:
    return [torch.empty_like(t) for v in values for t in _tensors(v)]


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _check_count(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < minimum:
        raise pipecut.InputError(f"{name} must be at least {minimum}, got {value}")
    return value


class _OneThread:
    """torch.set_num_threads(1) for the duration (the intra-op thread count is restored)."""

    def __enter__(self) -> "_OneThread":
        self.threads = torch.get_num_threads()
        torch.set_num_threads(1)
        return self

    def __exit__(self, *exc: Any) -> None:
        torch.set_num_threads(self.threads)


def _stage_inputs(plan: "PipelinePlan", inputs: Tuple[Any, ...]) -> List[List[Any]]:
    """The values each stage receives, from one run of the stages on `inputs`."""
    placeholders = [n for n in plan._traced.gm.graph.nodes if n.op == "placeholder"]
    if len(inputs) != len(placeholders):
        raise TypeError(f"bench() takes {len(placeholders)} inputs, got {len(inputs)}")
    env: Dict[str, Any] = {p.name: x for p, x in zip(placeholders, inputs)}
    received: List[List[Any]] = []
    with torch.no_grad():
        for stage, boundary in zip(plan.stages, plan.boundaries):
            args = [env[v.name] for v in boundary.receives]
            received.append(args)
            result = stage(*args)
            names = [v.name for v in boundary.outputs]
            if len(names) == 1:
                env[names[0]] = result
            else:
                env.update(zip(names, result))
    return received


# ---- the pipelined run: one process per stage --------------------------------------------------


def _worker(
    position: int,
    plan: "PipelinePlan",
    inputs: Tuple[Any, ...],
    cpu: Optional[int],
    microbatches: int,
    ins: List[Tuple[int, Any]],
    outs: List[Tuple[int, List[int], Any]],
    results: Any,
    start: Any,
) -> None:
    try:
        torch.set_num_threads(1)
        pinned = False
        if cpu is not None:
            try:
                os.sched_setaffinity(0, {cpu})
                pinned = True
            except OSError:
                pass
        stage = plan.stages[position]
        boundary = plan.boundaries[position]
        placeholders = [n.name for n in plan._traced.gm.graph.nodes if n.op == "placeholder"]
        local = dict(zip(placeholders, inputs))
        results.put(("ready", position, cpu if pinned else None))
        start.wait()
        busy: List[Tuple[float, float]] = []
        run_ms: List[float] = []
        done: List[float] = []
        with torch.no_grad():
            for mb in range(microbatches):
                env: Dict[str, Any] = dict(local)
                for _, q in ins:
                    payload = q.get()
                    t0 = time.perf_counter()
                    env.update(pickle.loads(payload))
                    busy.append((t0, time.perf_counter()))
                t0 = time.perf_counter()
                result = stage(*[env[v.name] for v in boundary.receives])
                t1 = time.perf_counter()
                run_ms.append((t1 - t0) * 1000)
                names = [v.name for v in boundary.outputs]
                produced = {names[0]: result} if len(names) == 1 else dict(zip(names, result))
                for _, indices, q in outs:
                    payload = pickle.dumps({names[i]: produced[names[i]] for i in indices},
                                           protocol=pickle.HIGHEST_PROTOCOL)
                    t2 = time.perf_counter()
                    q.put(payload)  # blocks while the queue is full: not busy meanwhile
                    busy.append((t0, t2))
                    t0 = time.perf_counter()
                busy.append((t0, time.perf_counter()))
                done.append(time.perf_counter())
        results.put(("finished", position, busy, run_ms, done))
    except BaseException as error:  # noqa: BLE001 - reported to the parent, which raises
        results.put(("error", position, f"{type(error).__name__}: {error}"))


def _pipelined(plan: "PipelinePlan", inputs: Tuple[Any, ...], microbatches: int, skip: int,
               pin: bool) -> Dict[str, Any]:
    n = len(plan.stages)
    cpus = sorted(os.sched_getaffinity(0))
    if n > len(cpus):
        raise pipecut.InputError(
            f"a pipelined run needs one core per stage: {n} stages, {len(cpus)} core(s) "
            "available here (bench without pipelined=True times the stages alone)")
    ctx = multiprocessing.get_context("fork")
    # One queue per (sender, receiver) pair, as in the cost model: a value read by several later
    # stages goes straight to each. A skip over d stages holds the d microbatches in flight.
    producer: Dict[str, Tuple[int, int]] = {}
    for position, boundary in enumerate(plan.boundaries):
        for i, v in enumerate(boundary.outputs):
            producer[v.name] = (position, i)
    pairs: Dict[Tuple[int, int], List[int]] = {}
    for r, boundary in enumerate(plan.boundaries):
        for v in boundary.receives:
            if v.name in producer:
                s, i = producer[v.name]
                pairs.setdefault((s, r), [])
                if i not in pairs[(s, r)]:
                    pairs[(s, r)].append(i)
    queues = {pair: ctx.Queue(maxsize=2 + pair[1] - pair[0]) for pair in pairs}
    results = ctx.Queue()
    start = ctx.Event()
    workers = []
    for position in range(n):
        ins = [(s, q) for (s, r), q in queues.items() if r == position]
        outs = [(r, pairs[(s, r)], q) for (s, r), q in queues.items() if s == position]
        p = ctx.Process(
            target=_worker,
            args=(position, plan, inputs, cpus[position] if pin else None, microbatches, ins,
                  outs, results, start),
            daemon=True,
        )
        p.start()
        workers.append(p)
    try:
        ready: Dict[int, Optional[int]] = {}
        finished: Dict[int, Tuple[Any, ...]] = {}
        while len(ready) < n or len(finished) < n:
            try:
                message = results.get(timeout=1)
            except queue.Empty:
                dead = [i for i, p in enumerate(workers) if not p.is_alive() and i not in finished]
                if dead:
                    raise RuntimeError(f"stage worker {dead[0]} died (exit code "
                                       f"{workers[dead[0]].exitcode})") from None
                continue
            if message[0] == "error":
                raise RuntimeError(f"stage {message[1]} failed in the pipelined run: {message[2]}")
            if message[0] == "ready":
                ready[message[1]] = message[2]
                if len(ready) == n:
                    start.set()
            else:
                finished[message[1]] = message[2:]
    finally:
        for p in workers:
            p.join(timeout=5)
            if p.is_alive():
                p.kill()
    done = finished[n - 1][2]
    window_ms = (done[-1] - done[skip]) * 1000
    steady = microbatches - 1 - skip
    stages = []
    for position in range(n):
        busy_intervals, run_ms, own_done = finished[position]
        # Each stage over its own steady state: an early stage finishes its last microbatches
        # while the later ones still work on theirs, which is the stream ending, not idling.
        start_s, end_s = own_done[skip], own_done[-1]
        busy = sum(max(0.0, min(b, end_s) - max(a, start_s)) for a, b in busy_intervals)
        stages.append({
            "stage": position,
            "busy_fraction": min(1.0, busy / (end_s - start_s)) if end_s > start_s else 0.0,
            "run_ms": _spread(run_ms[skip:]),
            "cpu": ready[position],
        })
    return {
        "throughput_per_s": 1000 * steady / window_ms if window_ms > 0 else 0.0,
        "period_ms": window_ms / steady,
        "microbatches": microbatches,
        "skipped_microbatches": skip,
        "steady_microbatches": steady,
        "window_ms": window_ms,
        "pinned": all(ready[p] is not None for p in range(n)),
        "stages": stages,
    }


# ---- the document ---------------------------------------------------------------------------


def _finish(doc: Dict[str, Any]) -> None:
    """The derived fields, as finish_bench computes them in C++ (pipeline_bench.cpp)."""

    def error(predicted: float, measured: float) -> float:
        return predicted / measured - 1 if measured > 0 else 0.0

    best_p = best_m = None
    for s in doc["stages"]:
        s["measured_ms"] = s["run_ms"]["median"] + s["copy_in_ms"] + s["copy_out_ms"]
        s["error"] = error(s["predicted_ms"], s["measured_ms"])
        if best_p is None or s["predicted_ms"] > best_p["predicted_ms"]:
            best_p = s
        if best_m is None or s["measured_ms"] > best_m["measured_ms"]:
            best_m = s
    doc["bottleneck"] = {
        "predicted_ms": best_p["predicted_ms"],
        "predicted_stage": best_p["stage"],
        "measured_ms": best_m["measured_ms"],
        "measured_stage": best_m["stage"],
        "error": error(best_p["predicted_ms"], best_m["measured_ms"]),
    }
    p = doc.get("pipelined")
    if p:
        bottleneck = best_p["predicted_ms"]
        p["predicted_throughput_per_s"] = 1000 / bottleneck if bottleneck > 0 else 0.0
        p["error"] = error(p["predicted_throughput_per_s"], p["throughput_per_s"])
        for ps, s in zip(p["stages"], doc["stages"]):
            ps["predicted_busy_fraction"] = s["predicted_ms"] / bottleneck if bottleneck > 0 else 0.0


def bench(plan: "PipelinePlan", inputs: Tuple[Any, ...], runs: int = 30, warmup: int = 5,
          pipelined: bool = False, microbatches: int = 64, pin: bool = True) -> Dict[str, Any]:
    runs = _check_count(runs, "runs", 1)
    warmup = _check_count(warmup, "warmup", 0)
    microbatches = _check_count(microbatches, "microbatches", 3)
    if not isinstance(pipelined, bool) or not isinstance(pin, bool):
        raise TypeError("pipelined and pin must be bools")
    if any(node.get("backward") for node in plan.graph.nodes):
        # Its predicted stage costs hold the backward work, which forward runs do not measure.
        raise pipecut.InputError(
            "bench: this plan was split with a backward pass; bench times inference stages "
            "(split without backward_pass to compare them with their predicted costs)"
        )
    n = len(plan.stages)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    solution_stages = plan.solution.stages
    doc: Dict[str, Any] = {
        "format": "pipecut.bench",
        "version": 1,
        "pipeline": "pipecut.torch",
        "model": plan.solution.graph_name or plan.graph.name,
        "k": plan.solution.k,
        "runtime": f"torch {torch.__version__} (python {platform.python_version()})",
        "prediction": {"source": "solution", "device": None, "profile": None},
        "machine": {"cpu": _cpu_model(), "cores": len(os.sched_getaffinity(0)),
                    "load_average": load},
        "threads": 1,
        "runs": runs,
        "warmup": warmup,
        "seed": 0,
        "optimizations": None,
        "stages": [],
    }
    with _OneThread():
        received = _stage_inputs(plan, tuple(inputs))
        with torch.no_grad():
            for position, (stage, boundary) in enumerate(zip(plan.stages, plan.boundaries)):
                args = received[position]
                for _ in range(warmup):
                    stage(*args)
                times, copy_in, copy_out = [], [], []
                from_stages = [a for a, v in zip(args, boundary.receives) if v.source is not None]
                names = [v.name for v in boundary.outputs]
                buffers_in = _buffers(from_stages)
                buffers_out: Optional[List[torch.Tensor]] = None
                for _ in range(runs):
                    t0 = time.perf_counter()
                    result = stage(*args)
                    times.append((time.perf_counter() - t0) * 1000)
                    produced = {names[0]: result} if len(names) == 1 else dict(zip(names, result))
                    sent = [produced[v.name] for v in boundary.sends]
                    if buffers_out is None:  # allocated and touched once, untimed
                        buffers_out = _buffers(sent)
                        _copy_ms(sent, buffers_out)
                        _copy_ms(from_stages, buffers_in)
                    copy_in.append(_copy_ms(from_stages, buffers_in))
                    copy_out.append(_copy_ms(sent, buffers_out))
                predicted = solution_stages[position]
                doc["stages"].append({
                    "stage": position,
                    "partition_stage": predicted.stage,
                    "file": f"stage {position} (torch.fx GraphModule)",
                    "operators": len(predicted.nodes),
                    "predicted_ms": predicted.cost,
                    "predicted": {"work": predicted.work, "comm_in": predicted.comm_in,
                                  "comm_out": predicted.comm_out, "cost": predicted.cost},
                    "run_ms": _spread(times),
                    "copy_in_ms": statistics.median(copy_in),
                    "copy_out_ms": statistics.median(copy_out),
                    "bytes_in": float(sum(v.bytes for v in boundary.receives if v.source is not None)),
                    "bytes_out": float(sum(v.bytes for v in boundary.sends)),
                    "tensors_in": sum(1 for v in boundary.receives if v.source is not None),
                    "tensors_out": len(boundary.sends),
                    "load_ms": 0.0,
                })
        if pipelined:
            skip = min(max(warmup, n), microbatches - 2)
            doc["pipelined"] = _pipelined(plan, tuple(inputs), microbatches, skip, pin)
    _finish(doc)
    return doc
