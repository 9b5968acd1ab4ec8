"""LLM serving plans (docs/llm.md): the split of a language model's decoder layers over a
cluster's devices that the serving engines accept, solved exactly with its certificate, the
engines' default splits on the same cluster, and the strings for vLLM, TensorRT-LLM and
llama.cpp. ``plan(...)`` takes the options of ``pipecut llm`` as keyword arguments, from the
same catalogue (docs/options.md), and returns the same ``pipecut.llm_plan`` document that
``pipecut llm --format json`` writes."""

import inspect as _inspect
import json as _json
import os as _os
from typing import Optional, Union

from . import _options, _pipecut


class LlmPlan:
    """A plan: the ``pipecut.llm_plan`` v1 document (docs/formats.md) as ``document``, and its
    top-level fields as attributes (``bottleneck``, ``lower_bound``, ``ratio``, ``optimal``,
    ``tokens_per_s``, ``engine_default_bottleneck``, ``engine_default_tokens_per_s``,
    ``stages``, ``devices``, ``layers_per_stage``, ``engine_defaults``, ``strings``, ...)."""

    def __init__(self, document: dict):
        self.document = document

    def __getattr__(self, name):
        try:
            return self.__dict__["document"][name]
        except KeyError:
            raise AttributeError(name) from None

    def to_json(self, indent: int = 2) -> str:
        """The document as JSON text."""
        return _json.dumps(self.document, indent=indent)

    def __repr__(self):
        return (f"LlmPlan(layers_per_stage={self.layers_per_stage}, devices={self.devices}, "
                f"bottleneck={self.bottleneck:.6g}, ratio={self.ratio:.4f}, "
                f"tokens_per_s={self.tokens_per_s:.6g})")


def _plan(config: Union[str, _os.PathLike], cluster: Union[str, _os.PathLike],
          k: Optional[int] = None, **options) -> LlmPlan:
    """Plans the model of ``config`` (a Hugging Face config.json) on ``cluster`` (a
    pipecut.cluster file) with at most ``k`` stages (default: every device). Raises
    pipecut.InputError for bad input, pipecut.InfeasibleError when the model cannot fit (with
    the memory shortfall per device)."""
    text = _pipecut._llm_plan_json(_os.fspath(config), _os.fspath(cluster), k, **options)
    return LlmPlan(_json.loads(text))


_plan.__name__ = "plan"
_P = _inspect.Parameter
plan = _options.with_options(
    _plan,
    [_P("config", _P.POSITIONAL_OR_KEYWORD), _P("cluster", _P.POSITIONAL_OR_KEYWORD),
     _P("k", _P.POSITIONAL_OR_KEYWORD, default=None)],
    "llm.plan")
plan.__module__ = "pipecut.llm"

__all__ = ["LlmPlan", "plan"]
