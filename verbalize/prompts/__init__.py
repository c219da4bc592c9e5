"""Prompt templates as files: one YAML file per prompt, loaded into a langchain-core ChatPromptTemplate.

Prompts live in files, not in code, so that every output can record exactly which wording made it
(`name@version`), and so that users can try their own wording without touching the package: point
`load_prompt(name, prompts_dir=...)` (or `llm.prompts_dir` in the config) at a directory, and a file
there wins over the packaged one of the same name. Adding a prompt is adding a file.

A changed wording gets a new version and the old file moves to `archive/<name>@<version>.yaml`, so
`load_prompt("name@version")` still gives the exact wording an earlier output recorded: a pinned
run stays reproducible after the packaged default moves on.

File format (`<name>.yaml`):

    name: classify_label          # must equal the file name's stem
    version: "1"                  # bump on every wording change; recorded with every output
    description: one line
    defaults: {var: value}        # optional values for variables the caller may omit
    images: [what each attached image is]   # optional, documentation for VLM prompts
    messages:
      - role: system | user | assistant
        template: "text with {variables}"   # Python format syntax; write literal braces as {{ }}
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from langchain_core.messages import BaseMessage
from langchain_core.prompts import ChatPromptTemplate
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from verbalize.core.errors import UserError

PACKAGE_DIR = Path(__file__).resolve().parent
ARCHIVE = "archive"
"""Subfolder (of the package, or of a prompts_dir) holding earlier versions as `<name>@<version>.yaml`."""

_ROLE_OF_TYPE = {"system": "system", "human": "user", "ai": "assistant"}


class PromptMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["system", "user", "assistant"]
    template: str


class PromptSpec(BaseModel):
    """The validated content of one prompt file."""

    model_config = ConfigDict(extra="forbid")

    name: str
    version: str
    description: str = ""
    defaults: dict[str, str] = Field(default_factory=dict)
    images: list[str] = Field(default_factory=list)
    messages: list[PromptMessage] = Field(min_length=1)

    @field_validator("version", mode="before")
    @classmethod
    def _version_as_text(cls, v: Any) -> Any:
        # YAML reads `version: 1` as an int; versions are labels, not numbers.
        return str(v) if isinstance(v, int | float) else v


class Prompt:
    """A loaded prompt: its spec, the file it came from, and the ChatPromptTemplate built from it."""

    def __init__(self, spec: PromptSpec, path: Path) -> None:
        self.spec = spec
        self.path = path
        self.template = ChatPromptTemplate.from_messages(
            [(m.role, m.template) for m in spec.messages], template_format="f-string"
        ).partial(**spec.defaults)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def version(self) -> str:
        return self.spec.version

    @property
    def id(self) -> str:
        """`name@version`: what backends record with every call (pass it as `prompt_id=`)."""
        return f"{self.spec.name}@{self.spec.version}"

    @property
    def input_variables(self) -> list[str]:
        return sorted(self.template.input_variables)

    def format(self, **variables: Any) -> list[dict[str, str]]:
        """The chat messages as `{"role", "content"}` dicts, ready for any backend."""
        missing = [v for v in self.template.input_variables if v not in variables]
        if missing:
            raise UserError(f"prompt {self.id} ({self.path}): missing variables {', '.join(sorted(missing))}")
        messages: list[BaseMessage] = self.template.format_messages(**variables)
        return [{"role": _ROLE_OF_TYPE[m.type], "content": str(m.content)} for m in messages]

    def __repr__(self) -> str:
        return f"Prompt({self.id!r}, path={str(self.path)!r})"


def _dirs(prompts_dir: str | os.PathLike[str] | None) -> list[Path]:
    return ([Path(prompts_dir).expanduser()] if prompts_dir else []) + [PACKAGE_DIR]


def _read(path: Path) -> Prompt:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise UserError(f"{path}: cannot read prompt file ({str(e).splitlines()[0]})") from e
    try:
        spec = PromptSpec.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        loc = ".".join(str(p) for p in first["loc"]) or "file"
        raise UserError(f"{path}: invalid prompt at '{loc}': {first['msg']}") from e
    stem, pinned, version = path.stem.partition("@")
    if spec.name != stem:
        raise UserError(f"{path}: prompt name '{spec.name}' must match the file name '{stem}'")
    if pinned and spec.version != version:
        raise UserError(f"{path}: prompt version '{spec.version}' must match the file name's '{version}'")
    try:
        return Prompt(spec, path)
    except (ValueError, KeyError) as e:
        raise UserError(f"{path}: invalid template ({e})") from e


def load_prompt(name: str, prompts_dir: str | os.PathLike[str] | None = None) -> Prompt:
    """Load prompt `name`, looking first in `prompts_dir` (when given), then in the package.

    `name@version` asks for that exact version: the current file when its version matches, else
    `archive/name@version.yaml` (the user's directory first, then the package's).
    """
    base, pinned, version = name.partition("@")
    if not base or "/" in name or "\\" in name or base.startswith(".") or (pinned and not version):
        raise UserError(f"invalid prompt name {name!r}")
    if prompts_dir is not None and not Path(prompts_dir).expanduser().is_dir():
        raise UserError(f"{prompts_dir}: prompts directory not found")
    seen: list[str] = []
    for d in _dirs(prompts_dir):
        places = [d / base] + ([d / ARCHIVE / name] if pinned else [])
        for stem in places:
            for ext in (".yaml", ".yml"):
                path = stem.with_name(stem.name + ext)
                if not path.is_file():
                    continue
                prompt = _read(path)
                if not pinned or prompt.version == version:
                    return prompt
                seen.append(prompt.version)
    if pinned and seen:
        raise UserError(f"prompt '{base}' has no version {version!r} (found: {', '.join(dict.fromkeys(seen))})")
    raise UserError(f"prompt '{base}' not found (available: {', '.join(list_prompts(prompts_dir))})")


def list_prompts(prompts_dir: str | os.PathLike[str] | None = None) -> list[str]:
    """Names of all prompts visible with this `prompts_dir` (user's and packaged)."""
    names = {
        p.stem
        for d in _dirs(prompts_dir)
        if d.is_dir()
        for p in d.iterdir()
        if p.suffix in (".yaml", ".yml")
    }
    return sorted(names)


__all__ = ["ARCHIVE", "Prompt", "PromptSpec", "load_prompt", "list_prompts", "PACKAGE_DIR"]
