"""``json.loads`` for large bodies, in pieces, so a worker thread parsing one leaves the
event loop its turns.

The C decoder holds the GIL for a whole call: parsed in a thread in one call, a 10 MiB body
stops the event loop as long as parsing it on the loop would (over a second for small nested
values). Here a top-level object's array values (a batch's ``events``) are decoded one
element per call, and between calls the interpreter hands the GIL to the loop every switch
interval. The result and the errors (``json.JSONDecodeError`` with the position in the whole
document) are those of ``json.loads``.
"""

from __future__ import annotations

import json
from typing import Any

_DECODER = json.JSONDecoder()
_WHITESPACE = " \t\n\r"


def _skip(text: str, at: int) -> int:
    """The index of the first character from ``at`` on that is not JSON whitespace."""
    while at < len(text) and text[at] in _WHITESPACE:
        at += 1
    return at


def loads_in_pieces(raw: bytes) -> Any:
    text = raw.decode(json.detect_encoding(raw), "surrogatepass")
    at = _skip(text, 0)
    if not text.startswith("{", at):
        return json.loads(text)
    document: dict[str, Any] = {}
    at = _skip(text, at + 1)
    if text.startswith("}", at):
        return json.loads(text)
    while True:
        if not text.startswith('"', at):
            raise json.JSONDecodeError(
                "Expecting property name enclosed in double quotes", text, at
            )
        name, at = _DECODER.raw_decode(text, at)
        at = _skip(text, at)
        if not text.startswith(":", at):
            raise json.JSONDecodeError("Expecting ':' delimiter", text, at)
        at = _skip(text, at + 1)
        if text.startswith("[", at):
            document[name], at = _array(text, at)
        else:
            document[name], at = _DECODER.raw_decode(text, at)
        at = _skip(text, at)
        if text.startswith("}", at):
            break
        if not text.startswith(",", at):
            raise json.JSONDecodeError("Expecting ',' delimiter", text, at)
        at = _skip(text, at + 1)
    end = _skip(text, at + 1)
    if end != len(text):
        raise json.JSONDecodeError("Extra data", text, end)
    return document


def _array(text: str, at: int) -> tuple[list[Any], int]:
    """The array opening at ``at``, one element per decoder call, and the index after it."""
    items: list[Any] = []
    at = _skip(text, at + 1)
    if text.startswith("]", at):
        return items, at + 1
    while True:
        item, at = _DECODER.raw_decode(text, at)
        items.append(item)
        at = _skip(text, at)
        if text.startswith("]", at):
            return items, at + 1
        if not text.startswith(",", at):
            raise json.JSONDecodeError("Expecting ',' delimiter", text, at)
        at = _skip(text, at + 1)
