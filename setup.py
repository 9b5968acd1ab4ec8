"""Builds the compiled part of the pipecut Python package (_pipecut) with the project's CMake
build, for `pip install .` (pyproject.toml). Only the library and the module are built: no tests,
benchmarks or fuzzers. The interpreter running pip is the one the module is built for."""

import os
import pathlib
import re
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = pathlib.Path(__file__).resolve().parent


def project_version():
    text = (ROOT / "CMakeLists.txt").read_text()
    match = re.search(r"project\(pipecut VERSION ([0-9.]+)", text)
    if not match:
        raise RuntimeError("CMakeLists.txt: no project version")
    return match.group(1)


class CMakeExtension(Extension):
    def __init__(self, name):
        super().__init__(name, sources=[])


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        build_dir = pathlib.Path(self.build_temp).resolve() / "cmake"
        build_dir.mkdir(parents=True, exist_ok=True)
        configure = [
            "cmake", "-S", str(ROOT), "-B", str(build_dir),
            "-DCMAKE_BUILD_TYPE=Release",
            f"-DPython3_EXECUTABLE={sys.executable}",
            "-DPIPECUT_BUILD_TESTS=OFF",
            "-DPIPECUT_BUILD_BENCH=OFF",
            "-DPIPECUT_BUILD_FUZZERS=OFF",
            "-DPIPECUT_BUILD_PYTHON=ON",
        ]
        if shutil.which("ninja"):
            configure += ["-G", "Ninja"]
        subprocess.run(configure, check=True)
        jobs = str(os.cpu_count() or 1)
        subprocess.run(["cmake", "--build", str(build_dir), "--target", "pipecut_python",
                        "--parallel", jobs], check=True)
        built = list((build_dir / "python" / "pipecut").glob("_pipecut*.so"))
        if len(built) != 1:
            raise RuntimeError(f"expected one _pipecut module in {build_dir}, found {built}")
        target = pathlib.Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built[0], target)


(ROOT / "build-pip").mkdir(exist_ok=True)
setup(
    version=project_version(),
    # Out of the way of the CMake build folders (build/, build-asan/) and of the sources.
    options={"build": {"build_base": "build-pip"}, "egg_info": {"egg_base": "build-pip"}},
    ext_modules=[CMakeExtension("pipecut._pipecut")],
    cmdclass={"build_ext": CMakeBuild},
)
