"""Reading the gate's own YAML files (policy packs, config, approvals) as hostile input.

Values keep the line they came from so every error names file, line and key. Aliases are
refused (no alias bombs), files are size-capped and depth-capped and must be UTF-8.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import importlib.util
import math
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, NoReturn

from aigate.config.remembered import recall, remember
from aigate.errors import InputError

MAX_BYTES = 4 * 1024 * 1024
#: the deepest nesting accepted (a policy or record is under 10 levels)
MAX_DEPTH = 100


class _Map(dict):
    line: int = 0
    key_lines: dict[Any, int]


class _List(list):
    line: int = 0
    item_lines: list[int]


@functools.cache
def _loader() -> Any:
    """The loader class, made on first use: importing PyYAML costs more than reading a
    remembered parse (see :func:`load`)."""
    import yaml

    class _Loader(yaml.SafeLoader):
        _depth = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                mark = self.peek_event().start_mark
                raise yaml.MarkedYAMLError(problem="YAML aliases are not allowed",
                                           problem_mark=mark)
            # the composer and constructor recurse per level: refuse deep nesting before
            # Python's recursion limit turns it into a RecursionError
            self._depth += 1
            try:
                if self._depth > MAX_DEPTH:
                    raise yaml.MarkedYAMLError(
                        problem=f"nested more than {MAX_DEPTH} levels deep",
                        problem_mark=self.peek_event().start_mark)
                return super().compose_node(parent, index)
            finally:
                self._depth -= 1

        def construct_object(self, node: Any, deep: bool = False) -> Any:
            # a tagged scalar PyYAML cannot read (!!int abc, !!bool maybe, !!timestamp x, a
            # 5,000-digit number) fails inside PyYAML as a bare ValueError or KeyError:
            # one line naming the place instead
            try:
                return super().construct_object(node, deep=deep)
            except (ValueError, KeyError, AttributeError, TypeError, OverflowError) as exc:
                shown = node.value if isinstance(node.value, str) else ""
                shown = shown if len(shown) <= 40 else shown[:37] + "..."
                kind = str(node.tag).rsplit(":", 1)[-1]
                raise yaml.MarkedYAMLError(
                    problem=f"{shown!r} cannot be read as {kind} ({type(exc).__name__})",
                    problem_mark=node.start_mark) from None

        def construct_yaml_map(  # type: ignore[override]
                self, node: yaml.MappingNode) -> Iterator[_Map]:
            data = _Map()
            data.line = node.start_mark.line + 1
            data.key_lines = {}
            yield data
            for key_node, value_node in node.value:
                key = self.construct_object(key_node, deep=True)
                if not isinstance(key, str | int | float | bool) and key is not None:
                    raise yaml.MarkedYAMLError(problem="keys must be plain values",
                                               problem_mark=key_node.start_mark)
                if key in data:
                    raise yaml.MarkedYAMLError(problem=f"duplicate key {key!r}",
                                               problem_mark=key_node.start_mark)
                data[key] = self.construct_object(value_node, deep=True)
                data.key_lines[key] = key_node.start_mark.line + 1

        def construct_yaml_seq(  # type: ignore[override]
                self, node: yaml.SequenceNode) -> Iterator[_List]:
            data = _List()
            data.line = node.start_mark.line + 1
            data.item_lines = [n.start_mark.line + 1 for n in node.value]
            yield data
            data.extend(self.construct_object(n, deep=True) for n in node.value)

        def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
            # 2026-02-30 looks like a date to YAML and is none: one line, not a ValueError
            try:
                return super().construct_yaml_timestamp(node)
            except ValueError as exc:
                raise yaml.MarkedYAMLError(
                    problem=f"{node.value!r} is not a real date ({exc})",
                    problem_mark=node.start_mark) from None

    _Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)
    _Loader.add_constructor("tag:yaml.org,2002:map", _Loader.construct_yaml_map)
    _Loader.add_constructor("tag:yaml.org,2002:seq", _Loader.construct_yaml_seq)

    return _Loader


def load(path: Path) -> Any:
    """Parse one YAML file; any problem becomes an InputError naming file and line.

    The parse of a file is remembered by its content (and the PyYAML it was made with), so
    an unchanged policy pack, config or approval record is not parsed again (nor PyYAML
    imported) on the next run: its values, types and lines come back exactly."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(raw) > MAX_BYTES:
        raise InputError(f"{path}: file is {len(raw)} bytes, over the {MAX_BYTES}-byte limit")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    key = _parse_key(raw)
    kept = recall("yaml", key) if key else None
    if kept is not None:
        try:
            return _decoded(kept)
        except (KeyError, TypeError, ValueError, IndexError):
            pass  # not a parse this version wrote: parse again
    value = _parse(path, text)
    if key:
        try:
            remember("yaml", key, _encoded(value))
        except (TypeError, ValueError):
            pass  # a value JSON cannot hold exactly (a !!set, say): parsed every time
    return value


def _parse(path: Path, text: str) -> Any:
    import yaml

    try:
        return yaml.load(text, Loader=_loader())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f":{mark.line + 1}" if mark else ""
        raise InputError(f"{path}{where}: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: invalid YAML: {exc}") from None


#: bumped when the parse or its encoding below changes (2: strings with surrogates are
#: not remembered; a parse kept by 1 could hold a pair joined into one character)
_PARSE_RULES = 2


def _parse_key(raw: bytes) -> str | None:
    """What a remembered parse of ``raw`` is filed under: the content, the rules of this
    module, and the PyYAML installed; None without PyYAML."""
    made_by = _pyyaml()
    return f"{made_by}\0{hashlib.sha256(raw).hexdigest()}" if made_by else None


@functools.cache
def _pyyaml() -> str | None:
    """The parse rules and the PyYAML that parses here (its file and modification time,
    found, not imported), once a process: an approvals registry reads a file per record."""
    spec = importlib.util.find_spec("yaml")
    if spec is None or spec.origin is None:
        return None
    try:
        made = os.stat(spec.origin).st_mtime_ns
    except OSError:
        return None
    return f"{_PARSE_RULES}\0{MAX_DEPTH}\0{spec.origin}\0{made}"


def _encoded(value: Any) -> Any:
    """A parse as JSON, lines and types kept (every mapping and list is tagged)."""
    if isinstance(value, _Map):
        return {"m": value.line,
                "k": [[_key(k), value.key_lines[k], _encoded(v)] for k, v in value.items()]}
    if isinstance(value, _List):
        return {"l": value.line, "i": value.item_lines, "v": [_encoded(v) for v in value]}
    if isinstance(value, str):
        # JSON joins two escaped surrogates ("\ud83d\ude00" in YAML) into one character
        # when read back: a string holding any surrogate is not remembered
        value.encode("utf-8")  # UnicodeEncodeError, a ValueError, on a surrogate
        return value
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"f": repr(value)}
    if isinstance(value, dt.datetime):
        return {"t": value.isoformat()}
    if isinstance(value, dt.date):
        return {"d": value.isoformat()}
    raise TypeError(f"{type(value).__name__} is not remembered")


def _key(key: Any) -> Any:
    if isinstance(key, str):
        key.encode("utf-8")  # a surrogate: not remembered (see _encoded)
    return key


def _decoded(value: Any) -> Any:
    if not isinstance(value, dict):
        if isinstance(value, list):
            raise ValueError("an untagged list")
        return value
    if "m" in value:
        data = _Map()
        data.line, data.key_lines = value["m"], {}
        for key, line, item in value["k"]:
            data[key] = _decoded(item)
            data.key_lines[key] = line
        return data
    if "l" in value:
        items = _List(_decoded(v) for v in value["v"])
        items.line, items.item_lines = value["l"], list(value["i"])
        return items
    if "f" in value:
        return float(value["f"])
    if "t" in value:
        return dt.datetime.fromisoformat(value["t"])
    return dt.date.fromisoformat(value["d"])


class Section:
    """A mapping from a YAML file, with typed getters whose errors name file, line and key."""

    def __init__(self, path: Path, data: Any, where: str = "", line: int = 1) -> None:
        self.path = path
        self.where = where
        if not isinstance(data, dict):
            self._line = getattr(data, "line", line)
            self.fail(f"{where + ': ' if where else ''}expected a mapping, got {_kind(data)}")
        self.data: dict = data
        self._line = getattr(data, "line", line)

    @classmethod
    def from_file(cls, path: Path) -> Section:
        return cls(path, load(path))

    def line(self, key: Any = None) -> int:
        lines = getattr(self.data, "key_lines", {})
        return lines.get(key, self._line)

    def name(self, key: Any) -> str:
        return f"{self.where}.{key}" if self.where else str(key)

    def fail(self, message: str, key: Any = None) -> NoReturn:
        line = self.line(key) if key is not None else self._line
        raise InputError(f"{self.path}:{line}: {message}")

    def only(self, *allowed: str) -> None:
        """Reject keys not in ``allowed``, suggesting the closest spelling."""
        for key in self.data:
            if key not in allowed:
                self.fail(f"unknown key {self.name(key)!r}{suggest(str(key), allowed)}", key)

    def __contains__(self, key: Any) -> bool:
        return key in self.data

    def keys(self) -> list[Any]:
        return list(self.data)

    def get(self, key: str, types: type | tuple[type, ...], default: Any = None) -> Any:
        if key not in self.data or self.data[key] is None:
            return default
        value = self.data[key]
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in _tuple(types)):
            self.fail(f"{self.name(key)}: expected {_names(types)}, got {_kind(value)}", key)
        return value

    def text(self, key: str, default: str | None = None, choices: tuple[str, ...] = ()) -> Any:
        """A string (one of ``choices`` when given), or ``default`` when absent."""
        value = self.get(key, str, default)
        if choices and value is not None and value not in choices:
            self.fail(f"{self.name(key)}: {value!r} is not one of {', '.join(choices)}", key)
        return value

    def flag(self, key: str, default: bool | None = None) -> Any:
        """A boolean, or ``default`` when absent."""
        return self.get(key, bool, default)

    def strs(self, key: str) -> tuple[str, ...]:
        """A list of strings (a single string is accepted as a list of one)."""
        value = self.get(key, (list, str), [])
        if isinstance(value, str):
            return (value,)
        for i, entry in enumerate(value):
            if not isinstance(entry, str):
                lines = getattr(value, "item_lines", [])
                line = lines[i] if i < len(lines) else self.line(key)
                raise InputError(f"{self.path}:{line}: {self.name(key)}[{i}]: expected a "
                                 f"string, got {_kind(entry)}")
        return tuple(value)

    def section(self, key: str) -> Section | None:
        if key not in self.data or self.data[key] is None:
            return None
        return Section(self.path, self.data[key], self.name(key), self.line(key))

    def sections(self, key: str) -> list[Section]:
        """A list of mappings."""
        value = self.get(key, list, [])
        lines = getattr(value, "item_lines", [])
        return [Section(self.path, entry, f"{self.name(key)}[{i}]",
                        lines[i] if i < len(lines) else self.line(key))
                for i, entry in enumerate(value)]

    def children(self) -> Iterator[tuple[str, Section]]:
        """A mapping of names to mappings (e.g. rule id -> settings)."""
        for key in self.data:
            yield str(key), Section(self.path, self.data[key], self.name(key), self.line(key))


def suggest(word: str, choices: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for the closest choice, or ''."""
    import difflib  # only on the error path

    hint = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {hint[0]!r}?)" if hint else ""


def _tuple(types: type | tuple[type, ...]) -> tuple[type, ...]:
    return types if isinstance(types, tuple) else (types,)


def _names(types: type | tuple[type, ...]) -> str:
    words = {str: "a string", bool: "true or false", list: "a list", dict: "a mapping",
             int: "a number", float: "a number"}
    return " or ".join(words.get(t, t.__name__) for t in _tuple(types))


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    return f"{type(value).__name__} {value!r}"
