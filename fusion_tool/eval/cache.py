"""The resumable record of an evaluation: ``cache.jsonl`` in the output directory.

One JSON object a line, appended and flushed as each piece of work finishes: an ``answer``
(task × configuration) or a ``verdict`` (answer × criterion × repeat × grader). A rerun reads it
back and does only what is missing. A record counts only while it still matches what the run
would do: the same task text and rubric (``task_hash``), the same answering setup
(``setup``: excluded domains, web, token limit) and, for a verdict, the same answer text
(``answer_hash``) and grader. Failures are never recorded, so a rerun retries them. A line cut
short by a crash is skipped.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

FILENAME = "cache.jsonl"


def digest(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def answer_key(task: str, config: str) -> tuple[str, ...]:
    return ("answer", task, config)


def verdict_key(task: str, config: str, criterion: str, repeat: int, grader: str) -> tuple[str, ...]:
    return ("verdict", task, config, criterion, str(repeat), grader)


def _key(record: dict[str, Any]) -> tuple[str, ...] | None:
    try:
        if record["type"] == "answer":
            return answer_key(record["task"], record["config"])
        if record["type"] == "verdict":
            return verdict_key(record["task"], record["config"], record["criterion"], record["repeat"],
                               record["grader"])
    except (KeyError, TypeError):
        return None
    return None


class Cache:
    """Records by key; the last line for a key wins."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.records: dict[tuple[str, ...], dict[str, Any]] = {}
        self.skipped = 0  # unreadable lines (a crash mid-write)
        self._tail_checked = False
        if self.path.exists():
            self._load()
        self.loaded = len(self.records)

    def _load(self) -> None:
        with self.path.open(encoding="utf-8") as f:
            for line in f:
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    self.skipped += 1
                    continue
                key = _key(record) if isinstance(record, dict) else None
                if key is None:
                    self.skipped += 1
                    continue
                self.records[key] = record

    def get(self, key: tuple[str, ...], **expect: Any) -> dict[str, Any] | None:
        """The record under ``key`` when every ``expect``-ed field matches, else None."""
        record = self.records.get(key)
        if record is None or any(record.get(k) != v for k, v in expect.items()):
            return None
        return record

    def add(self, record: dict[str, Any]) -> None:
        """Keep ``record`` and append it to the file at once (flushed and synced)."""
        key = _key(record)
        if key is None:
            raise ValueError(f"not a cache record: {record!r}")
        self.records[key] = record
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with self.path.open("a", encoding="utf-8") as f:
            if not self._tail_checked:
                if f.tell() > 0 and not self._ends_with_newline():
                    f.write("\n")  # a crash left half a line: never glue a record onto it
                self._tail_checked = True
            f.write(line)
            f.flush()
            os.fsync(f.fileno())

    def _ends_with_newline(self) -> bool:
        with self.path.open("rb") as f:
            f.seek(-1, os.SEEK_END)
            return f.read(1) == b"\n"
