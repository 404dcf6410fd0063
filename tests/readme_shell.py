"""The README's walk-through as data: its shell commands in order, each with the response the
README shows after it, and a matcher that holds a real response to what is shown.

A shown response is the JSON after a command's `# 201 {...}` comment (the status optional),
where `...` or `…` stands for what is left out: other keys of an object, other items of a list
(without it a list is shown whole), any value (`"…"`, or bare after a key), any part of a
string (`"tl_…"`); a number shown with fewer places is the real one rounded. A `$ command` line in a
block is a transcript: the lines after it are the command's output, times and rates aside.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

ANY = "\0any"
MORE = "\0more"
PATTERN = "\0pattern:"

_FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)
_HEREDOC = re.compile(r"<<-?\s*'?(\w+)'?")
_SHOWN = re.compile(r"^#\s+(?:(\d{3})\s+)?([\[{].*)$")


@dataclass
class Step:
    command: str
    line: int
    status: int | None = None
    shown: str | None = None
    transcript: list[str] = field(default_factory=list)


@dataclass
class Walkthrough:
    steps: list[Step]
    files: dict[str, str]


def read_walkthrough(readme: str, start: str, end: str) -> Walkthrough:
    """The shell steps between the headings `start` and `end`, and the files the text asks
    the reader to save (a fenced block right after a sentence naming a file in backticks)."""
    first = readme.index(start)
    last = readme.index(end, first)
    steps: list[Step] = []
    files: dict[str, str] = {}
    for fence in _FENCE.finditer(readme, first, last):
        language, body = fence[1], fence[2]
        line = readme.count("\n", 0, fence.start(2)) + 1
        if language == "sh":
            steps.extend(_steps(body, line))
            continue
        before = readme[max(first, fence.start() - 300) : fence.start()]
        named = re.findall(r"`([\w.-]+\.(?:ndjson|py))`", before)
        if named:
            files[named[-1]] = body
    return Walkthrough(steps, files)


def _complete(command: str) -> bool:
    if command.endswith("\\"):
        return False
    try:
        shlex.split(command, comments=True)
    except ValueError:  # an open quote
        return False
    return True


def _steps(block: str, first_line: int) -> list[Step]:
    lines = block.splitlines()
    steps: list[Step] = []
    i = 0
    while i < len(lines):
        text = lines[i]
        stripped = text.strip()
        if not stripped:
            i += 1
            continue
        if stripped.startswith("$ "):
            step = Step(stripped[2:], first_line + i)
            i += 1
            while i < len(lines) and lines[i].strip() and not lines[i].startswith("$ "):
                step.transcript.append(lines[i])
                i += 1
            steps.append(step)
            continue
        if stripped.startswith("#"):
            shown = _SHOWN.match(stripped)
            if shown and steps and steps[-1].shown is None and not steps[-1].transcript:
                i = _read_shown(lines, i, steps[-1], shown)
            else:
                i += 1
            continue
        start = i
        command = text
        heredoc = _HEREDOC.search(text)
        while not _complete(command) and i + 1 < len(lines):
            i += 1
            command += "\n" + lines[i]
            heredoc = heredoc or _HEREDOC.search(lines[i])
        if heredoc:
            while lines[i].strip() != heredoc[1]:
                i += 1
                command += "\n" + lines[i]
        steps.append(Step(command, first_line + start))
        i += 1
    return steps


def _read_shown(lines: list[str], i: int, step: Step, shown: re.Match[str]) -> int:
    status, text = shown[1], shown[2]
    while (end := _json_end(text)) is None:
        i += 1
        text += "\n" + lines[i].strip().removeprefix("#")
    step.status = int(status) if status else None
    step.shown = text[:end]  # what follows on the line is prose
    return i + 1


def _json_end(text: str) -> int | None:
    """Where the JSON value `text` starts with ends, or None when it goes on."""
    depth, in_string, escaped = 0, False, False
    for n, char in enumerate(text):
        if in_string:
            escaped = not escaped and char == "\\"
            if char == '"' and not escaped:
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
            if depth == 0:
                return n + 1
    return None


def parse_shown(text: str) -> Any:
    """The shown JSON with its elisions turned into markers `matches` understands."""
    import json

    out: list[str] = []
    stack: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == '"':
            end = i + 1
            while text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            literal = text[i + 1 : end]
            if literal in ("…", "..."):
                out.append(json.dumps(ANY))
            elif "…" in literal or "..." in literal:
                out.append(json.dumps(PATTERN + literal))
            else:
                out.append(text[i : end + 1])
            i = end + 1
            continue
        ellipsis = 3 if text.startswith("...", i) else 1 if char == "…" else 0
        if ellipsis:
            if "".join(out).rstrip().endswith(":"):
                out.append(json.dumps(ANY))
            elif stack and stack[-1] == "[":
                out.append(json.dumps(MORE))
            else:
                out.append(f"{json.dumps(MORE + str(i))}: null")
            i += ellipsis
            continue
        if char in "[{":
            stack.append(char)
        elif char in "]}":
            stack.pop()
        out.append(char)
        i += 1
    return json.loads("".join(out), parse_float=Decimal, parse_int=Decimal)


def mismatch(shown: Any, actual: Any, path: str = "$") -> str | None:
    """Where `actual` differs from what is shown, or None when it matches."""
    if shown == ANY:
        return None
    if isinstance(shown, dict):
        if not isinstance(actual, dict):
            return f"{path}: shown an object, got {actual!r}"
        for key, value in shown.items():
            if key.startswith(MORE):
                continue
            if key not in actual:
                return f"{path}.{key}: shown, missing"
            found = mismatch(value, actual[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(shown, list):
        if not isinstance(actual, list):
            return f"{path}: shown a list, got {actual!r}"
        items = [item for item in shown if item != MORE]
        if len(items) == len(shown):
            if len(actual) != len(shown):
                return f"{path}: shown {len(shown)} items, got {len(actual)}: {actual!r}"
            for n, (one, other) in enumerate(zip(shown, actual, strict=True)):
                found = mismatch(one, other, f"{path}[{n}]")
                if found:
                    return found
            return None
        rest = iter(actual)
        for n, item in enumerate(items):
            if not any(mismatch(item, other) is None for other in rest):
                return f"{path}[{n}]: shown {item!r}, not among {actual!r}"
        return None
    if isinstance(shown, str) and shown.startswith(PATTERN):
        pieces = re.split(r"…|\.\.\.", shown.removeprefix(PATTERN))
        if isinstance(actual, str) and re.fullmatch(".*".join(map(re.escape, pieces)), actual):
            return None
        return f"{path}: shown {shown.removeprefix(PATTERN)!r}, got {actual!r}"
    if isinstance(shown, Decimal) and isinstance(actual, Decimal) and not isinstance(actual, bool):
        exponent = shown.as_tuple().exponent
        assert isinstance(exponent, int)
        if exponent > actual.as_tuple().exponent:  # type: ignore[operator]
            actual = actual.quantize(Decimal(1).scaleb(exponent))
        return None if shown == actual else f"{path}: shown {shown}, got {actual}"
    if shown != actual or type(shown) is not type(actual):
        return f"{path}: shown {shown!r}, got {actual!r}"
    return None
