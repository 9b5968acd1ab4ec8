"""cmake --install puts a working package under PREFIX/lib/python3.X/dist-packages."""

import os
import subprocess
import sys

from conftest import BUILD_DIR

CMAKE = os.environ.get("PIPECUT_CMAKE", "cmake")


def test_installed_package_imports_and_solves(tmp_path):
    prefix = tmp_path / "prefix"
    subprocess.run(
        [CMAKE, "--install", str(BUILD_DIR), "--prefix", str(prefix)],
        check=True,
        capture_output=True,
    )
    site = prefix / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "dist-packages"
    package = site / "pipecut"
    for name in ("__init__.py", "__init__.pyi", "torch.py", "_torch_bench.py", "py.typed"):
        assert (package / name).is_file(), name
    assert list(package.glob("_pipecut*.so"))
    code = (
        "import pipecut, pipecut.torch, pathlib;"
        "print(pathlib.Path(pipecut.__file__).parent);"
        "g = pipecut.Graph([{'id': 'a', 'work': 1, 'comm': 1}, {'id': 'b', 'work': 2, 'comm': 0}], [('a', 'b')]);"
        "print(pipecut.solve(g, 2).bottleneck)"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(site)
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    location, bottleneck = result.stdout.split()
    assert location == str(package)
    assert float(bottleneck) == 3.0  # one stage 1 + 2, or stages 1 + 1 (send) and 2 + 1 (receive)
