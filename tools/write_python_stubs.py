#!/usr/bin/python3
"""Writes the stubs of pipecut.read_graph, partition, bound and solve into
python/pipecut/__init__.pyi, and of pipecut.llm.plan into python/pipecut/llm.pyi, from the
option catalogues (docs/options.md), between the markers each file holds. Run after changing an option declaration:

    PYTHONPATH=build/python /usr/bin/python3 tools/write_python_stubs.py

With --check it changes nothing and exits 1 when the file is out of date (a test runs that)."""

import argparse
import pathlib
import sys

from pipecut import _options


def updated(text, module="pipecut"):
    begin = text.index(_options.STUB_BEGIN)
    end = text.index(_options.STUB_END) + len(_options.STUB_END) + 1
    return text[:begin] + _options.stub_block(module) + text[end:]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the stubs are out of date")
    parser.add_argument("--stub", default=str(pathlib.Path(__file__).resolve().parent.parent
                                              / "python" / "pipecut" / "__init__.pyi"))
    args = parser.parse_args()
    path = pathlib.Path(args.stub)
    stale = 0
    for stub, module in ((path, "pipecut"), (path.parent / "llm.pyi", "pipecut.llm")):
        text = stub.read_text()
        new = updated(text, module)
        if new == text:
            continue
        if args.check:
            print(f"{stub}: the option stubs are out of date; run tools/write_python_stubs.py",
                  file=sys.stderr)
            stale = 1
        else:
            stub.write_text(new)
            print(f"wrote {stub}")
    return stale


if __name__ == "__main__":
    sys.exit(main())
