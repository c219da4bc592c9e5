"""The layout holds: no import cycles, no private names across modules, registries drive the CLI,
and adding a method is one function plus its registration (a toy method runs from the CLI)."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import numpy as np
import pytest
from pydantic import Field
from typer.testing import CliRunner

from verbalize.adapters.llm import LLM_BACKENDS
from verbalize.cli import app
from verbalize.eval.agreement import AGREEMENT_METRICS, agreement_matrix
from verbalize.pipeline.image.methods import SALIENCY_METHODS, MethodContext, Params
from verbalize.pipeline.text.methods import TEXT_METHODS

PACKAGE = Path(__file__).resolve().parents[1] / "verbalize"


def _modules() -> dict[str, ast.Module]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = ast.parse(path.read_text(), filename=str(path))
    return out


MODULES = _modules()


def _module_level_imports(name: str, tree: ast.Module) -> set[str]:
    """verbalize modules imported at module level (not inside functions or `if TYPE_CHECKING:`)."""
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("verbalize"):
            for a in node.names:
                sub = f"{node.module}.{a.name}"
                found.add(sub if sub in MODULES else node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("verbalize"))
    return {m for m in found if m in MODULES and m != name}


def test_no_import_cycles() -> None:
    graph = {name: _module_level_imports(name, tree) for name, tree in MODULES.items()}
    # A package's __init__ importing its own modules is how a package exports; a module importing its
    # own package's __init__ back would be a cycle and is caught like any other.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    assert cycles == []


def test_no_private_name_is_imported_or_used_across_modules() -> None:
    problems = []
    for name, tree in MODULES.items():
        defined = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)}
        defined |= {t.attr for n in ast.walk(tree) if isinstance(n, ast.Assign) for t in n.targets
                    if isinstance(t, ast.Attribute)}
        defined |= {t.id for n in ast.walk(tree) if isinstance(n, ast.Assign | ast.AnnAssign)
                    for t in (n.targets if isinstance(n, ast.Assign) else [n.target]) if isinstance(t, ast.Name)}
        defined |= {n.target.id for n in ast.walk(tree) if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("verbalize"):
                problems += [f"{name}: from {node.module} import {a.name}" for a in node.names
                             if a.name.startswith("_") and not a.name.startswith("__")]
            elif (isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
                  and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
                  and node.attr not in defined):
                problems.append(f"{name}:{node.lineno}: .{node.attr}")
    # Third-party names that happen to start with "_" (nothing of ours): EfficientNet-Lite's head
    # convolution (the CAM layer) and langchain-core's model-type tag.
    allowed = {"._conv_head", "._llm_type"}
    assert [p for p in problems if not any(p.endswith(a) for a in allowed)] == []


def test_registries_list_what_the_help_and_the_service_offer() -> None:
    assert {"gradcam", "shap", "occlusion", "lime"} <= set(SALIENCY_METHODS.names())
    assert TEXT_METHODS.names()[:3] == ["occlusion", "lime", "shap"]
    assert {e.meta["prefix"] for e in LLM_BACKENDS} == {"local:", "openai:", "langchain:"}
    assert "shared_prefix" in LLM_BACKENDS.get("local").meta["capabilities"]
    for e in AGREEMENT_METRICS:
        assert e.meta["direction"] in ("higher", "lower") and len(e.meta["range"]) == 2
    result = CliRunner().invoke(app, ["methods"])
    assert result.exit_code == 0, result.output
    for name in (*SALIENCY_METHODS.names(), *TEXT_METHODS.names(), *LLM_BACKENDS.names(), *AGREEMENT_METRICS.names()):
        assert name in result.output


class CentreParams(Params):
    sigma: float = Field(default=0.25, gt=0, description="width of the blob as a share of the view")


def centre_blob(ctx: MethodContext) -> tuple[np.ndarray, dict[str, object]]:
    """A toy 'method': a Gaussian blob in the middle of the view, scaled by p(target)."""
    h, w = ctx.view.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    s = ctx.params.sigma * max(h, w)
    p = float(ctx.scorer([ctx.view])[0, ctx.target])
    blob = np.exp(-(((yy - h / 2) ** 2 + (xx - w / 2) ** 2) / (2 * s * s))) * p
    return blob.astype(np.float32), {"sigma": ctx.params.sigma}


@pytest.fixture
def toy_method():
    SALIENCY_METHODS.register("centre-blob", params=CentreParams, description="a toy method for this test")(centre_blob)
    yield "centre-blob"
    SALIENCY_METHODS.remove("centre-blob")


def test_a_new_method_is_one_function_plus_its_registration(toy_method: str, tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("saliency:\n  centre-blob:\n    sigma: 0.1\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["explain", "--sample", "chelsea", "--method", toy_method,
                                      "--config", str(cfg), "--out", str(out)])
    assert result.exit_code == 0, result.output
    ex = json.loads((out / "explanation.json").read_text())
    assert ex["attribution"]["method"] == "centre-blob" and ex["attribution"]["params"] == {"sigma": 0.1}
    px, py = ex["attribution"]["summary"]["peak_xy"]
    assert abs(px - ex["image"]["width"] / 2) < 0.05 * ex["image"]["width"]
    assert abs(py - ex["image"]["height"] / 2) < 0.05 * ex["image"]["height"]
    assert ex["verbalizations"][0]["verification"]["fidelity"] == 1.0
    bad = CliRunner().invoke(app, ["explain", "--sample", "chelsea", "--method", "no-such-method"])
    assert bad.exit_code != 0 and "centre-blob" in str(bad.exception or bad.output)


def test_a_new_agreement_metric_is_one_function_plus_its_registration() -> None:
    def top1_match(a, b, k=None, rank_by="abs") -> float:  # type: ignore[no-untyped-def]
        return float(np.argmax(np.abs(a)) == np.argmax(np.abs(b)))

    AGREEMENT_METRICS.register("top1", description="same top token", title="top-1 match", range=(0.0, 1.0),
                               direction="higher")(top1_match)
    try:
        m = agreement_matrix({"x": [0.1, 0.9, 0.0], "y": [0.8, 0.2, 0.0]})
        assert m["top1"].get("x", "y") == 0.0 and m["top1"].get("x", "x") == 1.0
    finally:
        AGREEMENT_METRICS.remove("top1")


def test_the_public_api_resolves_where_the_readme_says() -> None:
    import verbalize
    from verbalize.pipeline import batch

    for name in verbalize.__all__:
        assert callable(getattr(verbalize, name))
    for name in batch.__all__:
        assert getattr(batch, name) is not None
