import os
from typing import Any, Optional, Union

class LlmPlan:
    document: dict[str, Any]
    bottleneck: float
    lower_bound: float
    ratio: float
    optimal: bool
    tokens_per_s: float
    engine_default_bottleneck: Optional[float]
    engine_default_tokens_per_s: Optional[float]
    layers_per_stage: list[int]
    devices: list[str]
    stages: list[dict[str, Any]]
    engine_defaults: list[dict[str, Any]]
    strings: dict[str, str]
    def __init__(self, document: dict[str, Any]) -> None: ...
    def to_json(self, indent: int = 2) -> str: ...

# --- option catalogues: begin (tools/write_python_stubs.py writes this block) ---
def plan(
    config: Union[str, os.PathLike[str]],
    cluster: Union[str, os.PathLike[str]],
    k: Optional[int] = None,
    *,
    phase: str = 'decode',
    batch: int = 16,
    seq_len: int = 2048,
    context: int = 4096,
    dtype: str = 'bf16',
    device: Optional[Union[str, os.PathLike[str]]] = None,
    memory_utilization: float = 0.9,
    engine: str = 'vllm',
    time_limit: float = 60.0,
) -> LlmPlan: ...
# --- option catalogues: end ---
