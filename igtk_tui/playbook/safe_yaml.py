"""The safe YAML layer under the playbook loader: text -> plain values + the location of every node.

It builds values straight from libyaml's event stream (an iterative parser) instead of
composing a node tree, so every limit holds *while* parsing, before anything can blow up:

- size (bytes) and nesting depth are checked before a deep document can make a recursive
  composer overflow the C stack (a 100,000-deep `[` segfaulted libyaml's composer);
- an alias reuses its anchor's value, and the nodes aliases would expand to are counted
  against a budget (billion laughs); an alias to its own unfinished anchor is refused;
- only the plain data tags (null, bool, int, float, str, timestamp, seq, map) are accepted,
  merge keys (`<<`) are refused, and integers are bounded to 64 bits;
- every failure becomes a Problem at `file:line:col` (raised as PlaybookError, exit 2).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from igtk_tui.errors import InvalidInput
from igtk_tui.playbook.errors import PlaybookError, Problem
from igtk_tui.playbook.model import Location
from igtk_tui.playbook.yaml_locations import Locations

# libyaml's parser when PyYAML has it: the same events and marks, many times faster.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_RESOLVER: Any = Resolver()  # types-PyYAML leaves resolve() untyped
_CONSTRUCTOR = SafeConstructor()
_SCALAR_TAGS = {
    f"tag:yaml.org,2002:{name}": _CONSTRUCTOR.yaml_constructors[f"tag:yaml.org,2002:{name}"]
    for name in ("null", "bool", "int", "float", "str", "timestamp")
}
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAP_TAG = "tag:yaml.org,2002:map"
_INT_BOUND = 2**64


@dataclass(frozen=True)
class YamlLimits:
    """Bounds on one playbook file (settings playbook_max_bytes / playbook_max_depth)."""

    max_bytes: int = 10 * 1024 * 1024
    max_depth: int = 64
    max_alias_nodes: int = 10_000  # nodes that aliases stand for, summed over the file


_limits = YamlLimits()


def configure(limits: YamlLimits) -> None:
    """Set the process's limits (the runtime does it from Settings)."""
    global _limits
    _limits = limits


@dataclass
class Document:
    """A parsed file: its value, and where each node and each mapping key was written."""

    value: Any
    locs: Locations
    key_locs: Locations


class _Fatal(InvalidInput):
    """A problem that stops parsing at `mark`; turned into a located PlaybookError."""

    def __init__(self, mark: Any, message: str) -> None:
        super().__init__(message)
        self.mark = mark
        self.message = message


class _Anchor:
    __slots__ = ("value", "size", "done")

    def __init__(self) -> None:
        self.value: Any = None
        self.size = 1
        self.done = False


class _Frame:
    """One open collection: its value, its path, and (for a mapping) the key awaiting its value."""

    __slots__ = ("value", "path", "mark", "is_map", "key", "has_key", "anchor", "size")

    def __init__(self, value: Any, path: tuple[Any, ...], mark: Any, anchor: _Anchor | None) -> None:
        self.value = value
        self.mark = mark
        self.path = path
        self.is_map = isinstance(value, dict)
        self.key: Any = None
        self.has_key = False
        self.anchor = anchor
        self.size = 1


def read_file(path: Path, limits: YamlLimits | None = None) -> str:
    """A playbook's (or a params file's) text; refuses what is not a readable regular UTF-8 file within the size limit."""
    import os
    import stat

    limits = limits or _limits
    where = Location(str(path), 1, 1)

    def fail(message: str) -> PlaybookError:
        return PlaybookError([Problem(where, message)])

    try:
        # O_NONBLOCK: opening a FIFO with no writer must not block; the stat below refuses it.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise fail("file not found") from None
    except IsADirectoryError:
        raise fail("is a folder, not a playbook file") from None
    except PermissionError:
        raise fail("cannot read the file: permission denied") from None
    except OSError as exc:
        raise fail(f"cannot open the file: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise fail("is a folder, not a playbook file")
        if not stat.S_ISREG(info.st_mode):
            raise fail("is not a regular file (a pipe, a device or a socket cannot be read as one)")
        if info.st_size > limits.max_bytes:
            raise fail(_too_big(info.st_size, limits))
        try:
            data = fh.read(limits.max_bytes + 1)
        except OSError as exc:
            raise fail(f"cannot read the file: {exc.strerror or exc}") from None
    if len(data) > limits.max_bytes:
        raise fail(_too_big(len(data), limits))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise fail(f"not UTF-8 text: {exc.reason}") from None


def _too_big(size: int, limits: YamlLimits) -> str:
    return (f"the file is larger than the {limits.max_bytes:,}-byte limit ({size:,} bytes or more); "
            "the setting playbook_max_bytes raises it")


def parse(text: str, file: str, limits: YamlLimits | None = None) -> Document | None:
    """The single document in `text` (None when empty); raises PlaybookError with located problems."""
    limits = limits or _limits
    if len(text) > limits.max_bytes:
        raise PlaybookError([Problem(Location(file, 1, 1), _too_big(len(text), limits))])
    builder = _Builder(file, limits)
    loader = _LOADER(text)
    try:
        builder.run(loader.get_event)
    except _Fatal as exc:
        builder.problems.append(Problem(builder.loc(exc.mark), exc.message))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = builder.loc(mark) if mark else Location(file, 1, 1)
        builder.problems.append(Problem(loc, f"YAML syntax error: {exc.problem or exc}"))
    except yaml.YAMLError as exc:
        builder.problems.append(Problem(Location(file, 1, 1), f"YAML error: {exc}"))
    finally:
        loader.dispose()
    if builder.problems:
        raise PlaybookError(builder.problems)
    if not builder.documents:
        return None
    return Document(builder.root, builder.locs, builder.key_locs)


# Plain scalars whose first character starts no implicit type (int, float, bool, null,
# timestamp, merge...) are text without trying the resolver's patterns: most keys and values.
_RESOLVER_FIRSTS = frozenset(k for k in _RESOLVER.yaml_implicit_resolvers if k)
_STR_TAG = _RESOLVER.DEFAULT_SCALAR_TAG  # the resolver's own objects: compared by identity
_INT_TAG = next(tag for tag, regexp in _RESOLVER.yaml_implicit_resolvers["1"] if tag.endswith(":int"))
_COLLECTIONS = (dict, list)
_KEY_TYPES = (str, int, float, bool)


class _Builder:
    """Values from the event stream, one loop over the events (a method call per event
    cost a third of a large playbook's load)."""

    def __init__(self, file: str, limits: YamlLimits) -> None:
        self.file = file
        self.limits = limits
        self.locs = Locations(file)
        self.key_locs = Locations(file)
        self.problems: list[Problem] = []
        self.anchors: dict[str, _Anchor] = {}
        self.stack: list[_Frame] = []
        self.root: Any = None
        self.documents = 0
        self.alias_nodes = 0
        self.resolved: dict[str, str] = {}  # plain scalar text -> its tag, for texts that repeat (keys)

    def loc(self, mark: Any) -> Location:
        return Location(self.file, mark.line + 1, mark.column + 1)

    def run(self, next_event: Any) -> None:
        scalar_event, alias_event = yaml.ScalarEvent, yaml.AliasEvent
        map_start, seq_start = yaml.MappingStartEvent, yaml.SequenceStartEvent
        map_end, seq_end = yaml.MappingEndEvent, yaml.SequenceEndEvent
        marks, key_marks, stack = self.locs.marks, self.key_locs.marks, self.stack
        resolved, firsts = self.resolved, _RESOLVER_FIRSTS
        while (event := next_event()) is not None:
            kind = type(event)
            if kind is scalar_event:
                value, mark = event.value, event.start_mark
                if event.anchor is not None or (event.tag is not None and event.tag != "!"):
                    value = self.scalar(event)
                elif not event.implicit[0]:  # quoted, literal or folded: text
                    pass
                elif value and value[0] in firsts:  # may be a number, a bool, a null...
                    tag = resolved.get(value)
                    if tag is None:
                        tag = resolved[value] = _RESOLVER.resolve(yaml.ScalarNode, value, (True, False))
                    if tag is _STR_TAG:
                        pass
                    elif tag is _INT_TAG and value.isdecimal() and (value[0] != "0" or value == "0") and len(value) < 19:
                        value = int(value)  # plain decimal (a leading 0 is octal in YAML 1.1): no constructor
                    else:
                        value = self.construct(event, tag)
                elif not value:
                    value = None  # an empty plain scalar is null
                if not stack:
                    self.root = value
                    marks[()] = mark
                    continue
                frame = stack[-1]
                frame.size += 1
                if not frame.is_map:
                    marks[frame.path + (len(frame.value),)] = mark
                    frame.value.append(value)
                elif frame.has_key:
                    marks[frame.path + (frame.key,)] = mark
                    frame.value[frame.key] = value
                    frame.has_key = False
                elif type(value) is str and value not in frame.value:
                    frame.key, frame.has_key = value, True
                    key_marks[frame.path + (value,)] = mark
                else:
                    self.key(frame, value, mark, key_marks)
            elif kind is map_start or kind is seq_start:
                self.start(event, kind is map_start)
            elif kind is map_end or kind is seq_end:
                frame = stack.pop()
                if frame.anchor is not None:
                    frame.anchor.value, frame.anchor.size, frame.anchor.done = frame.value, frame.size, True
                self.place(frame.value, frame.size, frame.mark, alias=False)
            elif kind is alias_event:
                self.alias(event)
            elif kind is yaml.DocumentStartEvent:
                self.documents += 1
                if self.documents > 1:
                    raise _Fatal(event.start_mark, "a playbook file holds one YAML document: remove the second '---'")

    # -- the three kinds of node ----------------------------------------------
    def start(self, event: Any, is_map: bool) -> None:
        tag = event.tag
        expected = _MAP_TAG if is_map else _SEQ_TAG
        if tag not in (None, "!", expected):
            raise _Fatal(event.start_mark, f"tag {tag!r} is not allowed in a playbook (plain data only)")
        if len(self.stack) >= self.limits.max_depth:
            raise _Fatal(event.start_mark, f"nested deeper than {self.limits.max_depth} levels; "
                         "the setting playbook_max_depth raises the limit")
        path = self.child_path()
        anchor = self.new_anchor(event)
        self.locs.marks[path] = event.start_mark
        self.stack.append(_Frame({} if is_map else [], path, event.start_mark, anchor))

    def scalar(self, event: Any) -> Any:
        """A scalar with an anchor or an explicit tag (the loop handles plain and quoted text)."""
        anchor = self.new_anchor(event)
        tag = event.tag
        if tag is None or tag == "!":
            tag = _RESOLVER.resolve(yaml.ScalarNode, event.value, event.implicit)
        value = self.construct(event, tag)
        if anchor is not None:
            anchor.value, anchor.done = value, True
        return value

    def construct(self, event: Any, tag: str) -> Any:
        construct = _SCALAR_TAGS.get(tag)
        if construct is None:
            if tag == "tag:yaml.org,2002:merge":
                raise _Fatal(event.start_mark, "merge keys ('<<') are not supported: write the keys out")
            raise _Fatal(event.start_mark, f"tag {tag!r} is not allowed in a playbook (plain data only)")
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        try:
            value = construct(_CONSTRUCTOR, node)
        except Exception as exc:  # noqa: BLE001 - a data constructor failing on bad text: say where
            short = tag.rsplit(":", 1)[-1]
            raise _Fatal(event.start_mark, f"{event.value[:40]!r} is not a valid {short}: {_reason(exc)}") from None
        if type(value) is int and not -_INT_BOUND < value < _INT_BOUND:
            raise _Fatal(event.start_mark, "integer out of range (more than 64 bits)")
        return value

    def alias(self, event: Any) -> None:
        anchor = self.anchors.get(event.anchor)
        if anchor is None:
            raise _Fatal(event.start_mark, f"alias *{event.anchor} names no anchor defined before it")
        if not anchor.done:
            raise _Fatal(event.start_mark, f"alias *{event.anchor} refers to its own anchor (a recursive structure)")
        self.alias_nodes += anchor.size
        if self.alias_nodes > self.limits.max_alias_nodes:
            raise _Fatal(event.start_mark, f"aliases expand to more than {self.limits.max_alias_nodes:,} values "
                         "(a YAML bomb?)")
        # A copy, as a composed tree gave: no two places share one mutable value (bounded by the budget).
        value = copy.deepcopy(anchor.value) if isinstance(anchor.value, _COLLECTIONS) else anchor.value
        self.place(value, anchor.size, event.start_mark, alias=True)

    # -- helpers ----------------------------------------------------------------
    def new_anchor(self, event: Any) -> _Anchor | None:
        if event.anchor is None:
            return None
        anchor = self.anchors[event.anchor] = _Anchor()
        return anchor

    def child_path(self) -> tuple[Any, ...]:
        if not self.stack:
            return ()
        frame = self.stack[-1]
        if not frame.is_map:
            return frame.path + (len(frame.value),)
        if frame.has_key:
            return frame.path + (frame.key,)
        return frame.path + ("<key>",)  # a collection used as a key: refused in key()

    def key(self, frame: _Frame, value: Any, mark: Any, key_marks: dict[tuple[Any, ...], Any]) -> None:
        if value is None or not isinstance(value, _KEY_TYPES):
            self.problems.append(Problem(self.loc(mark), "mapping keys must be plain text"))
            value = f"<key at {mark.line + 1}:{mark.column + 1}>"
        elif value in frame.value:
            self.problems.append(Problem(self.loc(mark), f"duplicate key {value!r}"))
        frame.key, frame.has_key = value, True
        key_marks[frame.path + (value,)] = mark

    def place(self, value: Any, size: int, mark: Any, *, alias: bool) -> None:
        """Attach a finished collection or an alias's value to the open collection (or make it
        the document's root). A collection's own location was recorded when it started; an
        alias's is recorded here."""
        located = alias or not isinstance(value, _COLLECTIONS)
        marks = self.locs.marks
        if not self.stack:
            self.root = value
            if located:
                marks[()] = mark
            return
        frame = self.stack[-1]
        frame.size += size
        if not frame.is_map:
            if located:
                marks[frame.path + (len(frame.value),)] = mark
            frame.value.append(value)
            return
        if not frame.has_key:
            self.key(frame, value, mark, self.key_locs.marks)
            return
        if located:
            marks[frame.path + (frame.key,)] = mark
        frame.value[frame.key] = value
        frame.has_key = False


def _reason(exc: Exception) -> str:
    if isinstance(exc, yaml.MarkedYAMLError):
        return str(exc.problem or "cannot construct it")
    if isinstance(exc, KeyError):
        return "not one of the accepted words"
    return str(exc) or type(exc).__name__
