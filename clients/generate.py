"""Generate the Python client, clients/python, from the committed OpenAPI document.

`make client` runs it; tests/client/test_client_is_current.py runs it into a temporary folder
and fails when the result differs from what is committed. The generator is
openapi-python-client (a dev dependency, pinned in pyproject.toml), with the settings in
clients/python-client.yaml and our README in clients/python-templates.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

CLIENTS = Path(__file__).resolve().parent
DOCUMENT = CLIENTS.parent / "openapi" / "openapi.json"
BIN = Path(sys.executable).parent


def generate(output: Path) -> None:
    shutil.rmtree(output, ignore_errors=True)
    generated = subprocess.run(
        [
            str(BIN / "openapi-python-client"),
            "generate",
            "--path",
            str(DOCUMENT),
            "--config",
            str(CLIENTS / "python-client.yaml"),
            "--custom-template-path",
            str(CLIENTS / "python-templates"),
            "--meta",
            "setup",
            "--output-path",
            str(output),
            "--fail-on-warning",
        ],
        check=False,
        capture_output=True,
        text=True,
        # The generator formats its output with ruff, which it finds on the PATH.
        env=os.environ | {"PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"},
    )
    if generated.returncode != 0:
        raise RuntimeError(f"openapi-python-client failed:\n{generated.stdout}{generated.stderr}")
    shutil.rmtree(output / ".ruff_cache", ignore_errors=True)  # left by its formatting


if __name__ == "__main__":
    generate(Path(sys.argv[1]) if len(sys.argv) > 1 else CLIENTS / "python")
