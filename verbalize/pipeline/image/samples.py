"""Real sample images that installed packages ship (scikit-image, matplotlib, scikit-learn)."""

from __future__ import annotations

from pathlib import Path

from verbalize.core.errors import UserError


def _skimage(name: str) -> Path:
    import skimage.data

    return Path(skimage.data.__file__).parent / name


def _matplotlib(name: str) -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "sample_data" / name


def _sklearn(name: str) -> Path:
    import sklearn.datasets

    return Path(sklearn.datasets.__file__).parent / "images" / name


SAMPLES = {
    "chelsea": lambda: _skimage("chelsea.png"),
    "coffee": lambda: _skimage("coffee.png"),
    "astronaut": lambda: _skimage("astronaut.png"),
    "rocket": lambda: _skimage("rocket.jpg"),
    "motorcycle": lambda: _skimage("motorcycle_left.png"),
    "grace_hopper": lambda: _matplotlib("grace_hopper.jpg"),
    "china": lambda: _sklearn("china.jpg"),
    "flower": lambda: _sklearn("flower.jpg"),
}


def sample_path(name: str) -> Path:
    """Path of a packaged sample image, e.g. 'chelsea' (the cat)."""
    if name not in SAMPLES:
        raise UserError(f"unknown sample {name!r}; choose from {', '.join(SAMPLES)}")
    path = SAMPLES[name]()
    if not path.is_file():
        raise UserError(f"sample {name!r} is not installed here ({path})")
    return path
