"""The committed client is what `make client` generates from the committed document: a change
to the API without `make client` fails here."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from tests.conftest import ROOT

COMMITTED = ROOT / "clients" / "python"


def _generator() -> object:
    spec = importlib.util.spec_from_file_location("generate", ROOT / "clients" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _files(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): path.read_text()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts and ".egg-info" not in str(path)
    }


def test_the_committed_client_is_generated_from_the_committed_document(tmp_path: Path) -> None:
    generate = _generator().generate  # type: ignore[attr-defined]
    generate(tmp_path / "python")
    fresh, committed = _files(tmp_path / "python"), _files(COMMITTED)
    assert sorted(fresh) == sorted(committed), "files differ: run `make client`"
    stale = [name for name in fresh if fresh[name] != committed[name]]
    assert not stale, f"run `make client`: {stale[:10]} differ"
