"""The service's limits and places: `VERBALIZE_SERVICE_*` environment variables or `serve` flags."""

from __future__ import annotations

from typing import Any

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from verbalize.core.errors import UserError


class ServiceSettings(BaseSettings):
    """Limits and places of the service; `VERBALIZE_SERVICE_*` environment variables or `serve` flags.

    Every knob a request can turn to make more work has a cap here; a request beyond it gets 422
    naming the field. The caps themselves are bounded so that a typo in a flag is one line, not a
    service that refuses everything.
    """

    model_config = SettingsConfigDict(env_prefix="VERBALIZE_SERVICE_", extra="ignore")

    max_request_mb: float = Field(default=20.0, gt=0, le=10_000, description="larger request bodies are refused with 413")
    max_concurrency: int = Field(default=16, ge=1, le=256,
                                 description="explain requests in flight (running or waiting); more get 503")
    max_batch: int = Field(default=8, ge=1, le=256,
                           description="image explain requests with the same options run as one batch, at most this "
                                       "many; 1 turns batching off (one request at a time)")
    batch_window_ms: float = Field(default=5.0, ge=0, le=10_000,
                                   description="how long a batch waits for more requests before it starts")
    workers: int = Field(default=1, ge=1, le=64,
                         description="model copies: 1 runs the models in the server process, N > 1 in N spawned "
                                     "processes (or N Ray Serve replicas with ray_address)")
    ray_address: str | None = Field(default=None, description="run the models as Ray Serve replicas on this cluster "
                                                              "('auto', 'local' or ray://host:port)")
    max_text_chars: int = Field(default=20_000, ge=1, le=1_000_000)
    max_texts: int = Field(default=100, ge=1, le=10_000, description="texts per self-explanation request")
    max_lime_samples: int = Field(default=2_000, ge=1, le=100_000, description="LIME samples per request or job")
    max_shap_evals: int = Field(default=2_000, ge=1, le=100_000, description="SHAP evaluations per request or job")
    max_tokens: int = Field(default=1_024, ge=1, le=32_768, description="tokens an LLM may write per answer")
    max_curve_steps: int = Field(default=100, ge=1, le=1_000, description="facts.curve_steps of a job")
    max_objects: int = Field(default=4, ge=1, le=8,
                             description="segmenter.max_objects of a request or job (each object: a segmentation and "
                                         "two classifier passes)")
    max_refine_rounds: int = Field(default=4, ge=1, le=16,
                                   description="segmenter.refine_rounds of a request or job (per object)")
    max_job_files: int = Field(default=1_000, ge=1, le=100_000, description="uploaded files per job")
    input_roots: list[str] | None = Field(
        default=None, description="folders a job may read server-side inputs from; default: the working directory")


def service_settings(**values: Any) -> ServiceSettings:
    """`ServiceSettings` from flags and the environment; a bad value is one `UserError` line."""
    from pydantic_settings import SettingsError

    try:
        return ServiceSettings(**values)
    except SettingsError as e:
        raise UserError(f"service settings: {e}") from None
    except ValidationError as e:
        first = e.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        flag = "--" + field.replace("_", "-")
        raise UserError(f"{flag} (or VERBALIZE_SERVICE_{field.upper()}): {first['msg']}") from None
