"""The PyTorch front end of pipecut: a torch.nn.Module becomes a pipecut Graph, and a pipecut
partition becomes one torch.fx GraphModule per pipeline stage.

    >>> import pipecut.torch
    >>> plan = pipecut.torch.split(model.eval(), (x,), k=4, time_limit=10)
    >>> torch.allclose(plan.run(x), model(x))
    True

How a module becomes a graph (docs/python.md, "pipecut.torch"):

- The module is traced with torch.fx (a Tracer that records which submodule each operation
  runs in), then run once on the example inputs with ShapeProp for every tensor's shape and
  dtype. Control flow is resolved with the example inputs' values, as torch.jit.trace would;
  when it depends on their contents (not only their shapes) a TraceWarning says so, and a
  Python number read from their contents (int(x.sum().item())) is a TraceError.
- Every operation on the inputs is a node (graph inputs are not nodes). Parameters, buffers and
  operations computed from them alone are folded into their consumers: their bytes are the
  consumer's `memory`. Operations whose result never reaches the module's output (assertions)
  are not nodes; a stage runs them next to their inputs.
- Each node is priced by the same roofline device model as the ONNX importer (the C++
  functions behind pipecut.DeviceProfile.operator_time_ms and tensor_transfer_ms): this module
  only counts FLOPs and bytes, with the rules of docs/cost-model.md. `measure=True` times each
  node on this machine instead (comm still comes from the device's link).
- Placement constraints: `memory_per_stage` is the graph's capacity, and each `colocate` group
  of submodules becomes a colour class of the nodes that run in them.
- Every argument is checked before tracing, which takes minutes for large models.

The code lives in private modules, one per step: _torch_cost (values, FLOPs and bytes),
_torch_trace (torch.fx tracing), _torch_graph (the checked arguments and the pipecut.Graph),
_torch_split (stages and PipelinePlan) and _torch_bench (PipelinePlan.bench). This module is the
public face: import every name in __all__ from here (the private modules may change).
"""

from pipecut._torch_graph import graph_from_module
from pipecut._torch_split import (
    Boundary,
    BoundaryValue,
    NotModuleAlignedError,
    PipelinePlan,
    split,
)
from pipecut._torch_trace import TraceError, TraceWarning

__all__ = [
    "Boundary",
    "BoundaryValue",
    "NotModuleAlignedError",
    "PipelinePlan",
    "TraceError",
    "TraceWarning",
    "graph_from_module",
    "split",
]

# The public names are pipecut.torch's wherever they are defined: tracebacks, reprs, pickles and
# help() name pipecut.torch.TraceError, not the private module.
for _name in __all__:
    globals()[_name].__module__ = __name__
del _name
