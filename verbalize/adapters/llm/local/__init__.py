"""The in-process backend (transformers; the embedded SmolLM2 GGUF by default) and its shared-prefix scorer."""

from verbalize.adapters.llm.local.backend import (
    EMBEDDED_GGUF,
    LocalBackend,
    embedded_gguf,
    load_gguf,
    surface_forms,
)
from verbalize.adapters.llm.local.prefix import SharedPrefixLM

__all__ = ["EMBEDDED_GGUF", "LocalBackend", "SharedPrefixLM", "embedded_gguf", "load_gguf", "surface_forms"]
