"""Signatures and docstrings of read_graph, partition, bound and solve, made from the option
catalogues the compiled core declares (``pipecut options`` on the command line shows the same
catalogue; docs/options.md). The compiled functions take the options as keyword arguments and
check them; these wrappers only give them a signature that ``help()`` and IDEs can show."""

import functools
import inspect
import os
from typing import Optional, Union

from . import _pipecut

# Python types of the option kinds, as objects (signatures) and as stub text (__init__.pyi).
_KIND_TYPES = {
    "flag": (bool, "bool"),
    "integer": (int, "int"),
    "count": (int, "int"),
    "number": (float, "float"),
    "text": (Union[str, os.PathLike], "Union[str, os.PathLike[str]]"),
    "choice": (str, "str"),
    "size": (Union[float, str], "Union[float, str]"),
    "choice or number": (Union[str, float], "Union[str, float]"),
}

# The functions whose options come from the catalogues: their other parameters, as stub text.
_STUB_FUNCTIONS = [
    ("read_graph", ["path: Union[str, os.PathLike[str]]"], [], "Graph"),
    ("partition", ["graph: Graph", "k: Optional[int] = None"], [], "Solution"),
    ("bound", ["graph: Graph", "k: Optional[int] = None"],
     ['method: Union[str, Sequence[str]] = "all"'], "list[BoundResult]"),
    ("solve", ["graph: Graph", "k: Optional[int] = None"],
     ["progress: Optional[Callable[[Progress], object]] = None"], "Solution"),
]
# pipecut.llm's function, stubbed in llm.pyi (its name there is the part after the dot).
_LLM_STUB_FUNCTIONS = [
    ("llm.plan",
     ["config: Union[str, os.PathLike[str]]", "cluster: Union[str, os.PathLike[str]]",
      "k: Optional[int] = None"], [], "LlmPlan"),
]
STUB_BEGIN = "# --- option catalogues: begin (tools/write_python_stubs.py writes this block) ---"
STUB_END = "# --- option catalogues: end ---"


def option_groups():
    """The catalogue groups by Python function name."""
    return {group["python_function"]: group for group in _pipecut._option_groups()}


def _annotation(option):
    kind_type = _KIND_TYPES[option["kind"]][0]
    return Optional[kind_type] if option["default"] is None else kind_type


def _stub_annotation(option):
    text = _KIND_TYPES[option["kind"]][1]
    return f"Optional[{text}]" if option["default"] is None else text


def stub_block(module="pipecut"):
    """The stubs of the catalogue functions, as __init__.pyi (module "pipecut") or llm.pyi
    (module "pipecut.llm") holds them between STUB_BEGIN and STUB_END."""
    groups = option_groups()
    lines = [STUB_BEGIN]
    functions = _STUB_FUNCTIONS if module == "pipecut" else _LLM_STUB_FUNCTIONS
    for name, leading, trailing, returns in functions:
        lines.append(f"def {name.rsplit('.', 1)[-1]}(")
        lines.extend(f"    {parameter}," for parameter in leading)
        lines.append("    *,")
        lines.extend(f"    {parameter}," for parameter in trailing)
        for option in groups[name]["options"]:
            lines.append(f"    {option['name']}: {_stub_annotation(option)} = {option['default']!r},")
        lines.append(f") -> {returns}: ...")
    lines.append(STUB_END)
    return "\n".join(lines) + "\n"


def _describe(option):
    text = f"{option['name']}: {option['help']}"
    if option["unit"]:
        text += f" [{option['unit']}]"
    if option["allowed"]:
        text += f"; {option['allowed']}"
    if option["default"] is None and option["unset"]:
        text += f"; default: {option['unset']}"
    elif option["kind"] != "flag":
        text += f"; default {option['default']!r}"
    return text


def with_options(function, leading, group_name, keywords=()):
    """A wrapper of the compiled `function` whose signature lists `leading` parameters, then
    the keyword-only `keywords`, then the options of catalogue group `group_name` (also
    keyword-only). Its docstring starts with that signature, as pybind11's do."""
    group = option_groups()[group_name]
    parameters = list(leading) + list(keywords)
    for option in group["options"]:
        parameters.append(
            inspect.Parameter(
                option["name"],
                inspect.Parameter.KEYWORD_ONLY,
                default=option["default"],
                annotation=_annotation(option),
            )
        )
    signature = inspect.Signature(parameters)

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        return function(*args, **kwargs)

    wrapper.__signature__ = signature
    wrapper.__module__ = "pipecut"
    lines = [f"{function.__name__}{signature}", ""]
    lines.append(function.__doc__.split("\n\n", 1)[-1].strip() if function.__doc__ else "")
    lines.append("\nOptions (docs/options.md):")
    lines.extend("    " + _describe(option) for option in group["options"])
    wrapper.__doc__ = "\n".join(lines)
    return wrapper
