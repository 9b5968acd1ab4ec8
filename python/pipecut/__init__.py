"""pipecut: split a DNN operator graph into k pipeline stages and prove how close to optimal
the split is.

    >>> import pipecut
    >>> g = pipecut.read_graph("model.onnx")          # any input format
    >>> s = pipecut.solve(g, 4, time_limit=30)         # a Solution
    >>> s.bottleneck, s.lower_bound, s.ratio, s.optimal

Costs are times in milliseconds, memory in bytes. Errors derive from pipecut.Error
(pipecut.InputError is also a ValueError). The PyTorch front end is ``pipecut.torch``
(imported on its own: ``import pipecut.torch``). Reference: docs/python.md.
"""

import inspect as _inspect

from ._pipecut import (
    DEFAULT_DEVICE,
    BoundResult,
    DeviceProfile,
    Error,
    Evaluation,
    Graph,
    InfeasibleError,
    InputError,
    NoFeasiblePartitionError,
    OutputError,
    Progress,
    Solution,
    Stage,
    __version__,
    add_backward_pass,
    bound,
    bound_methods,
    device_profile,
    device_profiles,
    dtype_bytes,
    evaluate,
    partition,
    partition_algorithms,
    read_graph,
    slicegraph_presets,
    solve,
)

from . import _options

_P = _inspect.Parameter
_GRAPH = _P("graph", _P.POSITIONAL_OR_KEYWORD)
_K = _P("k", _P.POSITIONAL_OR_KEYWORD, default=None)
read_graph = _options.with_options(read_graph, [_P("path", _P.POSITIONAL_OR_KEYWORD)], "read_graph")
partition = _options.with_options(partition, [_GRAPH, _K], "partition")
bound = _options.with_options(bound, [_GRAPH, _K], "bound", [_P("method", _P.KEYWORD_ONLY, default="all")])
solve = _options.with_options(solve, [_GRAPH, _K], "solve", [_P("progress", _P.KEYWORD_ONLY, default=None)])

# pipecut.llm: serving plans for language models (docs/llm.md).
from . import llm  # noqa: E402
del _P, _GRAPH, _K

__all__ = [
    "DEFAULT_DEVICE",
    "BoundResult",
    "DeviceProfile",
    "Error",
    "Evaluation",
    "Graph",
    "InfeasibleError",
    "InputError",
    "NoFeasiblePartitionError",
    "OutputError",
    "Progress",
    "Solution",
    "Stage",
    "__version__",
    "add_backward_pass",
    "bound",
    "bound_methods",
    "device_profile",
    "device_profiles",
    "dtype_bytes",
    "evaluate",
    "llm",
    "partition",
    "partition_algorithms",
    "read_graph",
    "slicegraph_presets",
    "solve",
]
