"""One small registry for every pluggable kind: saliency methods, text methods, LLM backends, metrics.

An entry carries what the rest of the program needs to know about a plugin without special cases:
its name and aliases, a one-line description, its parameter model (a pydantic section of the
config, e.g. ``saliency.occlusion``), whether it perturbs the input (a progress bar), the libraries
whose versions go into provenance, and free metadata (a metric's title, range and direction; a
backend's spec prefix and capabilities). CLI help, the service's allow-lists, provenance, reports
and the tests' parametrisation all read registries, so adding a plugin is one module plus one
``@REGISTRY.register(...)``, the way pytorch-grad-cam adds a CAM by overriding one method.

Each registry lives with the kind it holds (the image methods' registry in
`verbalize.pipeline.image.methods`, the metrics' in `verbalize.eval`, …); this module holds only
the class, so it imports nothing else from verbalize.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from verbalize.core.errors import UserError

T = TypeVar("T")


class NoParams(BaseModel):
    """The parameter model of a plugin that takes none."""

    model_config = {"extra": "forbid"}


@dataclass(frozen=True)
class Entry(Generic[T]):
    """One registered plugin: the object itself plus what the program needs to know about it."""

    name: str
    obj: T
    description: str
    aliases: tuple[str, ...] = ()
    params: type[BaseModel] = NoParams
    perturbs: bool = False
    libraries: tuple[str, ...] = ()
    meta: Mapping[str, Any] = field(default_factory=dict)

    def parse_params(self, values: Mapping[str, Any] | BaseModel | None, where: str = "") -> BaseModel:
        """Validate a config section for this entry; a bad value is one `UserError` line naming the key."""
        if isinstance(values, self.params):
            return values
        data = values.model_dump() if isinstance(values, BaseModel) else dict(values or {})
        try:
            return self.params.model_validate(data)
        except ValidationError as e:
            first = e.errors()[0]
            loc = ".".join(str(p) for p in (where or self.name, *first["loc"]))
            raise UserError(f"invalid config at '{loc}': {first['msg']}") from None


class Registry(Generic[T]):
    """Plugins of one kind by name; lookups accept aliases and any letter case."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, Entry[T]] = {}
        self._aliases: dict[str, str] = {}

    def register(self, name: str, *, description: str, aliases: tuple[str, ...] = (),
                 params: type[BaseModel] = NoParams, perturbs: bool = False, libraries: tuple[str, ...] = (),
                 **meta: Any) -> Callable[[T], T]:
        """Decorator: ``@REGISTRY.register("name", description="…")`` over a function or class."""

        def add(obj: T) -> T:
            self.add(Entry(name=name, obj=obj, description=description, aliases=tuple(aliases), params=params,
                           perturbs=perturbs, libraries=tuple(libraries), meta=dict(meta)))
            return obj

        return add

    def add(self, entry: Entry[T]) -> Entry[T]:
        key = entry.name.lower()
        for k in (key, *(a.lower() for a in entry.aliases)):
            owner = self._aliases.get(k)
            if owner is not None and owner != key:
                raise ValueError(f"{self.kind} name {k!r} is taken by {owner!r}")
        self._entries[key] = entry
        self._aliases[key] = key
        for a in entry.aliases:
            self._aliases[a.lower()] = key
        return entry

    def remove(self, name: str) -> None:
        """Unregister (tests that add a toy plugin clean up with this)."""
        key = self.canonical(name)
        self._entries.pop(key)
        self._aliases = {a: k for a, k in self._aliases.items() if k != key}

    def canonical(self, name: str) -> str:
        """The registered name for `name` or one of its aliases; `UserError` listing the choices."""
        key = self._aliases.get(str(name).strip().lower())
        if key is None:
            raise UserError(f"unknown {self.kind} {name!r}; choose from {', '.join(self.names())}")
        return key

    def get(self, name: str) -> Entry[T]:
        return self._entries[self.canonical(name)]

    def names(self) -> list[str]:
        return list(self._entries)

    def where(self, **meta: Any) -> list[str]:
        """Names of the entries whose metadata (or `perturbs`) equals every given value."""
        out = []
        for e in self._entries.values():
            fields = {"perturbs": e.perturbs, **e.meta}
            if all(fields.get(k) == v for k, v in meta.items()):
                out.append(e.name)
        return out

    def describe(self) -> str:
        """'name (description); …' for help texts and the service's API description."""
        return "; ".join(f"{e.name} ({e.description})" for e in self._entries.values())

    def __iter__(self) -> Iterator[Entry[T]]:
        return iter(list(self._entries.values()))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.strip().lower() in self._aliases

    def __len__(self) -> int:
        return len(self._entries)
