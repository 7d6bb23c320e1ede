"""A hardened ``yaml.safe_load`` for checklist files (pure: PyYAML only, no app imports).

On top of PyYAML's safe loader (no Python objects, no code):

* size: more than :data:`MAX_BYTES` (2 MB) of text is refused before parsing;
* duplicate keys in a mapping are refused (PyYAML keeps the last one silently: a second
  ``id:`` would replace the first), naming the line of both keys;
* aliases: more than :data:`MAX_ALIASES` alias uses, a recursive alias, or aliases expanding to
  more than :data:`MAX_NODES` nodes (a "billion laughs" bomb) are refused while composing,
  before any Python object is built, so the check costs the size of the file, not of the bomb;
* nesting deeper than :data:`MAX_DEPTH` is refused (PyYAML's composer recurses once per level),
  and so are more than :data:`MAX_NODES` values in the file (a 2 MB flood of ``[0,0,0,…]``
  would otherwise become a million Python nodes);
* every collection, and every long string, comes back as a subclass of ``list``/``dict``/``str``
  whose ``repr()`` is short, so an error message that echoes a value (``got {value!r}``)
  never prints a huge value.

Every refusal is a :class:`SafeYAMLError`, a ``yaml.MarkedYAMLError``: ``problem`` says what is
wrong and ``problem_mark`` (0-based ``line``) says where, like PyYAML's own syntax errors.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.error import Mark
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

__all__ = ["MAX_ALIASES", "MAX_BYTES", "MAX_DEPTH", "MAX_NODES", "REFUSALS_EN", "SafeYAMLError", "load", "short_repr"]

MAX_BYTES = 2 * 1024 * 1024
MAX_ALIASES = 100
MAX_NODES = 100_000
MAX_DEPTH = 50
#: strings longer than this come back as :class:`_LongStr` (short repr)
_LONG = 80


#: Every refusal by code: its English text (``str.format`` with named fields). The app's message catalogue has
#: ``loader.<code>`` with the same fields in every language.
REFUSALS_EN = {
    "yaml_aliases": "more than {max} aliases (*name): refused (an alias bomb?)",
    "yaml_nodes": "more than {max} values in one file",
    "yaml_depth": "nested deeper than {max} levels",
    "yaml_duplicate_key": "duplicate key {key} (first at line {line}): a key may appear once per mapping",
    "yaml_recursive": "recursive alias: a node contains itself",
    "yaml_expansion": "aliases expand to more than {max} values (an alias bomb?)",
    "yaml_size": "the file is {size} MB or more; the limit is {max} MB",
}


class SafeYAMLError(yaml.MarkedYAMLError):
    """A refused document; ``problem`` is the rule (English), ``problem_mark`` the place (may be None);
    ``code`` and ``params`` say the same as data (a key of :data:`REFUSALS_EN`)."""

    def __init__(self, code: str, mark: Mark | None = None, context: str | None = None,
                 context_mark: Mark | None = None, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(context=context, context_mark=context_mark, problem=REFUSALS_EN[code].format(**params),
                         problem_mark=mark)


def short_repr(value: Any, budget: int = 60) -> str:
    """``repr`` cut to about ``budget`` characters, with the full size said ("… 2,000,000 chars")."""
    if isinstance(value, str):
        if len(value) <= budget:
            return str.__repr__(value)
        return str.__repr__(value[:budget]) + f"…({len(value):,} chars)"
    parts: list[str] = []
    size = 2
    if isinstance(value, dict):
        for k, v in dict.items(value):
            part = f"{short_repr(k, budget // 3)}: {short_repr(v, budget // 3)}"
            if size + len(part) > budget and parts:
                return "{" + ", ".join(parts) + f", …({len(value):,} keys)}}"
            parts.append(part)
            size += len(part) + 2
        return "{" + ", ".join(parts) + "}"
    if isinstance(value, list):
        for v in list.__iter__(value):
            part = short_repr(v, budget // 3)
            if size + len(part) > budget and parts:
                return "[" + ", ".join(parts) + f", …({len(value):,} items)]"
            parts.append(part)
            size += len(part) + 2
        return "[" + ", ".join(parts) + "]"
    text = repr(value)
    return text if len(text) <= budget else text[:budget] + "…"


class _LongStr(str):
    __slots__ = ()

    def __repr__(self) -> str:
        return short_repr(self)


class _List(list):
    __slots__ = ()

    def __repr__(self) -> str:
        return short_repr(self)


class _Dict(dict):
    __slots__ = ()

    def __repr__(self) -> str:
        return short_repr(self)


def _key_text(node: Node) -> str:
    return short_repr(node.value, 40) if isinstance(node, ScalarNode) else f"<{type(node).__name__}>"


_Events: Any
if getattr(yaml, "__with_libyaml__", False):
    from yaml.cyaml import CParser as _Events  # type: ignore[attr-defined]  # libyaml: ~3x faster
else:  # pragma: no cover - PyYAML built without libyaml
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Events(Reader, Scanner, Parser):  # type: ignore[no-redef]
        def __init__(self, stream: str) -> None:
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)


class _Loader(Composer, _Events, SafeConstructor, Resolver):
    """Events from (lib)yaml's parser; PyYAML's Python composer, counting aliases, nodes and depth;
    the safe constructor, refusing duplicate keys."""

    def __init__(self, stream: str) -> None:
        _Events.__init__(self, stream)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)
        self._aliases = 0
        self._nodes = 0
        self._depth = 0

    # -- composing (node graph; aliases are shared nodes here, nothing is expanded yet) ---------
    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                event = self.peek_event()
                raise SafeYAMLError("yaml_aliases", event.start_mark, max=MAX_ALIASES)
            return super().compose_node(parent, index)
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise SafeYAMLError("yaml_nodes", self.peek_event().start_mark, max=f"{MAX_NODES:,}")
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise SafeYAMLError("yaml_depth", self.peek_event().start_mark, max=MAX_DEPTH)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def get_single_node(self) -> Node | None:
        node = super().get_single_node()
        if node is not None and self._aliases:
            _check_expansion(node)
        return node

    # -- constructing ------------------------------------------------------------------------
    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, MappingNode):
            self.flatten_mapping(node)
            first: dict[Any, Mark] = {}
            for key_node, _ in node.value:
                if not isinstance(key_node, ScalarNode):
                    continue
                key = self.construct_object(key_node, deep=deep)
                try:
                    seen = first.get(key)
                except TypeError:
                    continue
                if seen is not None:
                    raise SafeYAMLError("yaml_duplicate_key", key_node.start_mark,
                                        context="while reading a mapping", context_mark=node.start_mark,
                                        key=_key_text(key_node), line=seen.line + 1)
                first[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)


def _construct_seq(loader: _Loader, node: SequenceNode) -> Any:
    data = _List()
    yield data
    data.extend(loader.construct_sequence(node))


def _construct_map(loader: _Loader, node: MappingNode) -> Any:
    data = _Dict()
    yield data
    data.update(loader.construct_mapping(node))


def _construct_str(loader: _Loader, node: ScalarNode) -> str:
    value = loader.construct_scalar(node)
    return _LongStr(value) if len(value) > _LONG else value


_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)
_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_Loader.add_constructor("tag:yaml.org,2002:str", _construct_str)


def _check_expansion(root: Node) -> None:
    """Refuse a node graph that expands (aliases followed) past MAX_NODES, or that contains itself."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise SafeYAMLError("yaml_recursive", node.start_mark)
        active.add(key)
        total = 1
        if isinstance(node, SequenceNode):
            for child in node.value:
                total += size(child)
        elif isinstance(node, MappingNode):
            for k, v in node.value:
                total += size(k) + size(v)
        active.discard(key)
        if total > MAX_NODES:
            raise SafeYAMLError("yaml_expansion", node.start_mark, max=f"{MAX_NODES:,}")
        sizes[key] = total
        return total

    size(root)


def load(text: str) -> Any:
    """Parse one YAML document like ``yaml.safe_load``, with the limits above. Raises SafeYAMLError."""
    size = len(text) if len(text) > MAX_BYTES else len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_BYTES:
        raise SafeYAMLError("yaml_size", size=f"{size / 1048576:.1f}", max=MAX_BYTES // 1048576)
    loader = _Loader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()
