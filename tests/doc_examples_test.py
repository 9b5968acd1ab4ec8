#!/usr/bin/python3
"""Runs the code examples of one markdown file (README.md, docs/*.md), so that what the
documentation shows is what pipecut does. Registered by tests/CMakeLists.txt, one ctest entry per
file (doc_examples_<name>).

Every fenced block with an info string is checked, in file order, in one scratch folder that
holds links to the source tree's data/, tools/ and scripts/ and to the build folder as build/
(so `./build/pipecut` and `PYTHONPATH=build/python` work as a user in the checkout types them):

  sh       each block runs with bash -e (pipecut on PATH too); it must exit 0
  python   the file's blocks run one after another in one interpreter (later blocks use what
           earlier ones defined), with the built package on PYTHONPATH
  cpp      a complete program: compiled and linked against the built library, then run
  json     parsed; `…` stands for elided members or items and is dropped first

An HTML comment right before a block changes what is done with it (a block may have several):

  <!-- example: not run: REASON -->        skipped, deliberately and visibly
  <!-- example: needs node -->             runs only when Node.js and tools/node_modules'
                                           onnxruntime-node were found (--node)
  <!-- example: file NAME = PATH -->       before the block, NAME in the scratch folder links
                                           to PATH (relative to the scratch folder)
  <!-- example: saved as NAME -->          (json) the block, without `…`, is written to NAME
  <!-- example: read by: COMMAND -->       ... and COMMAND (bash) must accept it: the
                                           documented format is the one pipecut reads
  <!-- example: output of (exit N): CMD -->  (json) CMD (bash) exits with N and prints a JSON
                                           document holding everything the block shows: a
                                           documented output is pipecut's real one
  <!-- example: signatures -->             (python) `x = pipecut.f(a, *, b=1)` lines: every
                                           function's parameters and defaults are the real ones

Any other block (an unknown language, or one this script cannot run) fails the test.
"""
import argparse
import ast
import inspect
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

FENCE = re.compile(r"^```(\S*)\s*$")
DIRECTIVE = re.compile(r"^<!--\s*example:\s*(.*?)\s*-->\s*$")


class Block:
    def __init__(self, lang, line, text, directives):
        self.lang, self.line, self.text, self.directives = lang, line, text, directives

    def directive(self, prefix):
        """The rest of the first directive starting with `prefix`, or None."""
        for d in self.directives:
            if d.startswith(prefix):
                return d[len(prefix):].strip()
        return None

    def where(self, path):
        return f"{path}:{self.line}"


def parse_blocks(text):
    """Fenced blocks with the directives in the HTML comments just above them."""
    blocks, pending, lines = [], [], text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        m_dir = DIRECTIVE.match(line)
        m_fence = FENCE.match(line)
        if m_dir:
            pending.append(m_dir.group(1))
        elif m_fence:
            start, body = i + 1, []
            i += 1
            while i < len(lines) and not lines[i].startswith("```"):
                body.append(lines[i])
                i += 1
            if i == len(lines):
                raise SystemExit(f"line {start}: unterminated code block")
            blocks.append(Block(m_fence.group(1), start, "\n".join(body) + "\n", pending))
            pending = []
        elif line.strip():
            if pending:
                raise SystemExit(f"line {i + 1}: an example directive must come right before a "
                                 f"code block: {pending}")
        i += 1
    if pending:
        raise SystemExit(f"example directive at the end of the file: {pending}")
    return blocks


def drop_elisions(text):
    """JSON with the documentation's `…` (elided members or items) removed."""
    text = re.sub(r",\s*…", "", text)
    text = re.sub(r"…\s*,?", "", text)
    return text


def run(args, cwd, env, what, shell=False):
    result = subprocess.run(args, cwd=cwd, env=env, shell=shell, capture_output=True, text=True,
                            executable="/bin/bash" if shell else None)
    if result.returncode != 0:
        raise AssertionError(f"{what}: exit {result.returncode}\n--- stdout\n{result.stdout}"
                             f"--- stderr\n{result.stderr}")
    return result


def shown_in(doc, actual, where="document"):
    """Raises unless every member and item of `doc` is in `actual` with the same value (lists
    may be longer in `actual`, where the block elided items)."""
    if isinstance(doc, dict):
        if not isinstance(actual, dict):
            raise AssertionError(f"{where}: an object in the block, {actual!r} in the output")
        for key, value in doc.items():
            if key not in actual:
                raise AssertionError(f"{where}: \"{key}\" is not in the output")
            shown_in(value, actual[key], f"{where}.{key}")
    elif isinstance(doc, list):
        if not isinstance(actual, list) or len(actual) < len(doc):
            raise AssertionError(f"{where}: {doc!r} in the block, {actual!r} in the output")
        for i, (d, a) in enumerate(zip(doc, actual)):
            shown_in(d, a, f"{where}[{i}]")
    elif doc != actual:
        raise AssertionError(f"{where}: {doc!r} in the block, {actual!r} in the output")


def check_signatures(block, namespace):
    """`name = pipecut.f(params)` lines name real functions with these parameters."""
    calls = re.findall(r"=\s*([\w.]+)\((.*?)\)\s*$", block.text, re.S | re.M)
    if not calls:
        raise AssertionError("a signatures block with no `x = f(...)` line")
    for name, params in calls:
        params = " ".join(params.split())
        doc = ast.parse(f"def f({params}): pass").body[0].args
        doc_params = [(a.arg, "positional") for a in doc.args]
        doc_params += [(a.arg, "keyword-only") for a in doc.kwonlyargs]
        doc_defaults = {a.arg: ast.literal_eval(d) for a, d in
                        zip(doc.args[len(doc.args) - len(doc.defaults):], doc.defaults)}
        doc_defaults.update({a.arg: ast.literal_eval(d)
                             for a, d in zip(doc.kwonlyargs, doc.kw_defaults) if d is not None})
        fn = eval(name, namespace)  # a dotted name of an imported module
        real = inspect.signature(fn).parameters.values()
        kind = {inspect.Parameter.KEYWORD_ONLY: "keyword-only"}
        real_params = [(p.name, kind.get(p.kind, "positional")) for p in real]
        real_defaults = {p.name: p.default for p in real if p.default is not p.empty}
        if doc_params != real_params or doc_defaults != real_defaults:
            raise AssertionError(f"{name}: documented ({params}), real {inspect.signature(fn)}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("markdown", type=pathlib.Path)
    ap.add_argument("--source", type=pathlib.Path, required=True, help="the source tree")
    ap.add_argument("--build", type=pathlib.Path, required=True, help="the build folder")
    ap.add_argument("--cli", required=True, help="the pipecut tool")
    ap.add_argument("--cxx", required=True, help="C++ compiler, then its flags, one argument")
    ap.add_argument("--library", required=True, help="the built shared library")
    ap.add_argument("--node", action="store_true", help="Node.js and onnxruntime-node exist")
    opts = ap.parse_args()

    path = opts.markdown
    rel = path.resolve().relative_to(opts.source.resolve())
    blocks = parse_blocks(path.read_text())
    scratch = pathlib.Path(tempfile.mkdtemp(prefix="pipecut-doc-"))
    for name in ("data", "tools", "scripts"):
        (scratch / name).symlink_to(opts.source / name)
    (scratch / "build").symlink_to(opts.build.resolve())
    env = dict(os.environ)
    env["PATH"] = f"{pathlib.Path(opts.cli).parent}:{env.get('PATH', '/usr/bin:/bin')}"
    env["PYTHONPATH"] = str(opts.build / "python")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    # Python blocks share one namespace, like a reader's interpreter session.
    namespace = {"__name__": "__main__"}
    failures, ran, skipped = [], 0, []
    os.chdir(scratch)
    sys.path.insert(0, env["PYTHONPATH"])
    os.environ.update(PATH=env["PATH"], PYTHONPATH=env["PYTHONPATH"])
    known = re.compile(r"not run:.*|needs node|file \S+ = \S+|saved as \S+|read by: .+|"
                       r"output of \(exit \d+\): .+|signatures")
    for block in blocks:
        where = block.where(rel)
        unknown = [d for d in block.directives if not known.fullmatch(d)]
        if unknown:
            failures.append(f"{where}: unknown example directive `{unknown[0]}`")
            print(f"FAIL {failures[-1]}", flush=True)
            continue
        if block.lang == "":
            continue  # not code: formulas, a layout, a file excerpt
        # Files first: later blocks may use them even when this one is skipped.
        for d in block.directives:
            m = re.fullmatch(r"file (\S+) = (\S+)", d)
            if m:
                link = scratch / m.group(1)
                if link.is_symlink() or link.exists():
                    link.unlink()
                link.symlink_to(scratch / m.group(2))
                if not link.exists():
                    failures.append(f"{where}: `file`: {m.group(2)} does not exist")
        reason = block.directive("not run:")
        if reason is not None:
            if not reason:
                failures.append(f"{where}: `not run:` needs a reason")
            skipped.append(f"{where} ({block.lang}): not run: {reason}")
            continue
        if "needs node" in block.directives and not opts.node:
            skipped.append(f"{where} ({block.lang}): NOT RUN: needs Node.js and onnxruntime-node, "
                           "which CMake did not find")
            continue
        try:
            if block.lang == "sh":
                run(["/bin/bash", "-e", "-c", block.text], scratch, env, "sh block")
            elif block.lang == "python":
                if "signatures" in block.directives:
                    exec("import pipecut, pipecut.torch", namespace)
                    check_signatures(block, namespace)
                else:
                    exec(compile(block.text, where, "exec"), namespace)
            elif block.lang == "cpp":
                exe = scratch / f"example_{block.line}"
                src = scratch / f"example_{block.line}.cpp"
                src.write_text(block.text)
                run(f"{opts.cxx} -I{opts.source}/include -I{opts.build}/include {src} -o {exe} "
                    f"{opts.library} -Wl,-rpath,{pathlib.Path(opts.library).parent} -pthread",
                    scratch, env, "compiling the C++ example", shell=True)
                run([str(exe)], scratch, env, "running the C++ example")
            elif block.lang == "json":
                doc = json.loads(drop_elisions(block.text))
                if not isinstance(doc, dict) or not doc:
                    raise AssertionError("not a JSON object")
                saved = block.directive("saved as")
                command = block.directive("read by:")
                if saved:
                    (scratch / saved).write_text(drop_elisions(block.text))
                if command:
                    if not saved:
                        raise AssertionError("`read by:` without `saved as`")
                    run(["/bin/bash", "-e", "-c", command], scratch, env, command)
                for d in block.directives:
                    m = re.fullmatch(r"output of \(exit (\d+)\): (.+)", d)
                    if m:
                        out = subprocess.run(["/bin/bash", "-c", m.group(2)], cwd=scratch, env=env,
                                             capture_output=True, text=True)
                        if out.returncode != int(m.group(1)):
                            raise AssertionError(f"{m.group(2)}: exit {out.returncode}, not "
                                                 f"{m.group(1)}\n{out.stderr}")
                        shown_in(doc, json.loads(out.stdout))
            else:
                raise AssertionError(f"no way to check a `{block.lang}` block: mark it "
                                     "`<!-- example: not run: REASON -->` or give it no language")
            ran += 1
            print(f"ok   {where} ({block.lang})", flush=True)
        except Exception as e:  # noqa: BLE001 - any failure of an example fails the test
            failures.append(f"{where} ({block.lang}): {type(e).__name__}: {e}")
            print(f"FAIL {failures[-1]}", flush=True)
    for s in skipped:
        print("skip", s)
    os.chdir("/")
    shutil.rmtree(scratch, ignore_errors=True)
    print(f"{rel}: {ran} blocks ran, {len(skipped)} skipped, {len(failures)} failed")
    if failures:
        print("\n".join(["", "failed:"] + failures), file=sys.stderr)
        return 1
    if ran + len(skipped) == 0:
        print(f"{rel}: no code block to check", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
