"""`verbalize serve --ray-address ADDR`: the models as Ray Serve replicas on a cluster.

The HTTP front stays the one `verbalize serve` process (routes, admission gate, micro-batcher, and
the job worker writing to the one store); what scales out is the model: a Serve deployment of
`--workers` replicas, each loading the image models once and explaining the batches the front's
micro-batcher sends it. Serve routes each batch to a free replica (`max_ongoing_requests=1`:
one batch per model copy, so hooks never interleave) and restarts replicas that die.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from verbalize.core.config import Config
from verbalize.core.errors import UserError
from verbalize.service.batcher import Outcome, Upload
from verbalize.service.jobs import ExplainOptions

APP_NAME = "verbalize-models"
START_TIMEOUT_S = 600.0


class ImageModelReplica:
    """One Serve replica: the image models, loaded once; explains the batches sent to it."""

    def __init__(self, config_json: dict[str, Any]) -> None:
        from verbalize.service.app import ImageService

        self.service = ImageService(Config.model_validate(config_json))

    def model_name(self) -> str:
        return str(self.service.base.classifier.name)

    def explain_batch(self, options_json: dict[str, Any], uploads: list[Upload]) -> list[Outcome]:
        from verbalize.service.workers import portable

        options = ExplainOptions.model_validate(options_json)
        return [portable(o) for o in self.service.explain_batch(options, uploads)]


class RayModels:
    """`replicas` Serve replicas of `ImageModelReplica` on the cluster at `address` ('local': here)."""

    def __init__(self, config: Config, *, replicas: int, address: str) -> None:
        try:
            from ray import serve
        except ModuleNotFoundError as e:
            raise UserError("--ray-address needs Ray Serve: pip install 'verbalize[ray]'") from e
        from verbalize.pipeline.batch.runner import ray_connect

        self._started_here = ray_connect(address, workers=replicas)
        self.slots = replicas
        try:
            serve.start(proxy_location="Disabled")  # the front is `verbalize serve`; Serve needs no HTTP proxy
            deployment = serve.deployment(name="image-models", num_replicas=replicas, ray_actor_options={"num_cpus": 1},
                                          max_ongoing_requests=1)(ImageModelReplica)
            self._handle = serve.run(deployment.bind(config.model_dump(mode="json")), name=APP_NAME,
                                     route_prefix=None)
            self.model_name = str(self._handle.model_name.remote().result(timeout_s=START_TIMEOUT_S))
        except UserError:
            self.close()
            raise
        except Exception as e:  # noqa: BLE001 - a replica that cannot load the models: one line, not a trace
            self.close()
            raise UserError(f"Ray Serve could not start the model replicas: {str(e).strip().splitlines()[-1]}") from None

    def run(self, options: ExplainOptions, uploads: Sequence[Upload]) -> list[Outcome]:
        result: list[Outcome] = self._handle.explain_batch.remote(options.model_dump(), list(uploads)).result()
        return result

    def close(self) -> None:
        import ray
        from ray import serve

        if not ray.is_initialized():
            return
        try:
            serve.delete(APP_NAME)
        except Exception:  # noqa: BLE001 - never deployed (it failed to start): nothing to delete
            pass
        if self._started_here:
            serve.shutdown()
            ray.shutdown()
