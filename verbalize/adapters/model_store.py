"""Download and find the official Segment Anything (SAM, SAM 2) checkpoints (`verbalize models pull sam-vit-b`).

Why a store of our own rather than `torch.hub`: the machines this runs on are often offline, so
the download must be explicit (a CLI command, never a side effect of `explain`), say in one line
what to do when it cannot reach the network, and never leave a half-written file that a later
run would try to load. So: stream into a temporary file beside the target, check the digests,
then rename.

Checksums. Meta publishes no digest file, but each file name carries the first six hex digits of
the file's MD5 (`sam_vit_b_01ec64.pth` -> md5 starts with `01ec64`). We check that prefix *and* the
full SHA-256 of the official files (recorded below; the same values are used across many public
projects). The MD5 prefix alone is only 24 bits: enough to catch a truncated or wrong file, not a
forged one; the SHA-256 is what makes the check meaningful.

SAM 2 / 2.1 file names carry no digest. Meta also ships the same files in its own Hugging Face
repositories (facebook/sam2-hiera-tiny, facebook/sam2.1-hiera-tiny, ...), where each is a Git LFS
pointer whose `oid sha256:` is the file's SHA-256; the values below are read from those pointers.
Only files whose pointer we could read in a facebook/ repository are listed (SAM 2.1 base_plus and
large, SAM 2 large are not: a digest we cannot trace to Meta would only look like a check).

Checkpoints live in `platformdirs.user_cache_dir("verbalize")/sam/` (on Linux
`$XDG_CACHE_HOME/verbalize/sam`, by default `~/.cache/verbalize/sam`).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import httpx
import platformdirs

from verbalize.core.errors import UserError

ProgressCallback = Callable[[int, int | None], None]
"""Called as `progress(bytes_done, bytes_total_or_None)` while a download runs."""

MODEL_TYPES = ("vit_b", "vit_l", "vit_h")


@dataclass(frozen=True)
class SamCheckpoint:
    """One official SAM or SAM 2 checkpoint: where it comes from and how to recognise it."""

    name: str
    model_type: str
    url: str
    sha256: str
    approx_mb: int
    family: str = "sam"  # 'sam' (the segment-anything package) or 'sam2' (the sam2 package)

    @property
    def filename(self) -> str:
        return self.url.rsplit("/", 1)[1]

    @property
    def md5_prefix(self) -> str:
        """The hex digits of the MD5 that Meta put in a SAM file name; '' for SAM 2 names, which carry none."""
        m = re.search(r"_([0-9a-f]{6})\.pth$", self.filename)
        return m.group(1) if m else ""

    @property
    def hint(self) -> str:
        """What to do when the download cannot happen here."""
        var = "VERBALIZE_SAM2_CHECKPOINT" if self.family == "sam2" else "VERBALIZE_SAM_CHECKPOINT"
        return f"download it elsewhere and set {var}=/path"


_BASE = "https://dl.fbaipublicfiles.com/segment_anything/"
_BASE2 = "https://dl.fbaipublicfiles.com/segment_anything_2/072824/"
_BASE2_1 = "https://dl.fbaipublicfiles.com/segment_anything_2/092824/"
CHECKPOINTS: dict[str, SamCheckpoint] = {
    c.name: c
    for c in (
        SamCheckpoint("sam-vit-b", "vit_b", _BASE + "sam_vit_b_01ec64.pth",
                      "ec2df62732614e57411cdcf32a23ffdf28910380d03139ee0f4fcbe91eb8c912", 358),
        SamCheckpoint("sam-vit-l", "vit_l", _BASE + "sam_vit_l_0b3195.pth",
                      "3adcc4315b642a4d2101128f611684e8734c41232a17c648ed1693702a49a622", 1192),
        SamCheckpoint("sam-vit-h", "vit_h", _BASE + "sam_vit_h_4b8939.pth",
                      "a7bf3b02f3ebf1267aba913ff637d9a2d5c33d3173bb679e46d9f338c26f262e", 2446),
        # SHA-256: the LFS pointers in huggingface.co/facebook/sam2.1-hiera-{tiny,small} (sam2.1_hiera_*.pt)
        # and huggingface.co/facebook/sam2-hiera-{tiny,small,base-plus} (sam2_hiera_*.pt).
        SamCheckpoint("sam2.1-hiera-tiny", "hiera_t", _BASE2_1 + "sam2.1_hiera_tiny.pt",
                      "7402e0d864fa82708a20fbd15bc84245c2f26dff0eb43a4b5b93452deb34be69", 156, "sam2"),
        SamCheckpoint("sam2.1-hiera-small", "hiera_s", _BASE2_1 + "sam2.1_hiera_small.pt",
                      "6d1aa6f30de5c92224f8172114de081d104bbd23dd9dc5c58996f0cad5dc4d38", 184, "sam2"),
        SamCheckpoint("sam2-hiera-tiny", "hiera_t", _BASE2 + "sam2_hiera_tiny.pt",
                      "65b50056e05bcb13694174f51bb6da89c894b57b75ccdf0ba6352c597c5d1125", 156, "sam2"),
        SamCheckpoint("sam2-hiera-small", "hiera_s", _BASE2 + "sam2_hiera_small.pt",
                      "95949964d4e548409021d47b22712d5f1abf2564cc0c3c765ba599a24ac7dce3", 184, "sam2"),
        SamCheckpoint("sam2-hiera-base-plus", "hiera_b+", _BASE2 + "sam2_hiera_base_plus.pt",
                      "d0bb7f236400a49669ffdd1be617959a8b1d1065081789d7bbff88eded3a8071", 323, "sam2"),
    )
}


def cache_dir() -> Path:
    """Where pulled SAM checkpoints live (not created here)."""
    return Path(platformdirs.user_cache_dir("verbalize")) / "sam"


def get_checkpoint(name: str) -> SamCheckpoint:
    """Look a checkpoint up by `sam-vit-b`, `sam_vit_b`, `vit_b` or `sam2.1_hiera_tiny`; a user-facing error otherwise."""
    key = name.strip().lower().replace("_", "-")
    if not key.startswith(("sam-", "sam2")):
        key = "sam-" + key
    if key not in CHECKPOINTS:
        raise UserError(f"{name}: unknown model (known: {', '.join(CHECKPOINTS)})")
    return CHECKPOINTS[key]


def checkpoint_path(name: str, cache: Path | None = None) -> Path:
    """Where `pull(name)` puts the file, whether or not it is there yet."""
    return (cache or cache_dir()) / get_checkpoint(name).filename


def find_checkpoint(model_type: str = "auto", cache: Path | None = None) -> Path | None:
    """A pulled checkpoint of `model_type`, or for 'auto' the first of vit_b, vit_l, vit_h present.

    vit_b comes first for 'auto' because it is the one we tell users to pull and by far the
    fastest on a CPU; someone who wants vit_h with several pulled says so in the config.
    """
    types = MODEL_TYPES if model_type == "auto" else (model_type,)
    for t in types:
        path = checkpoint_path(t, cache)
        if path.is_file():
            return path
    return None


def find_sam2_checkpoint(cache: Path | None = None) -> Path | None:
    """The first pulled SAM 2 checkpoint, SAM 2.1 before SAM 2 and smaller before larger (the table's order)."""
    for c in CHECKPOINTS.values():
        if c.family == "sam2" and checkpoint_path(c.name, cache).is_file():
            return checkpoint_path(c.name, cache)
    return None


def list_checkpoints(cache: Path | None = None) -> dict[str, Path | None]:
    """Every known checkpoint name -> its pulled path, or None when not downloaded (`models list`)."""
    base = cache or cache_dir()
    return {c.name: (base / c.filename if (base / c.filename).is_file() else None) for c in CHECKPOINTS.values()}


def pull(
    name: str,
    *,
    cache: Path | None = None,
    url: str | None = None,
    sha256: str | None = None,
    md5_prefix: str | None = None,
    progress: ProgressCallback | None = None,
    force: bool = False,
    timeout_s: float = 30.0,
) -> Path:
    """Download the checkpoint `name` into the cache and return its path.

    A file already at the target is returned as is (it only got there by passing the checks
    below); `force=True` downloads again.

    `url`, `sha256` and `md5_prefix` override the official values (mirrors, tests). A file that
    fails either digest is deleted and reported; nothing is ever left at the final path unless it
    passed both checks.
    """
    ckpt = get_checkpoint(name)
    target = checkpoint_path(ckpt.name, cache)
    if target.is_file() and not force:
        return target
    src = url or ckpt.url
    want_sha = (sha256 or ckpt.sha256).lower()
    want_md5 = (md5_prefix if md5_prefix is not None else ckpt.md5_prefix).lower()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    except OSError as e:
        raise UserError(f"{target.parent}: cannot write the model cache ({e.strerror or e})") from None
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            got_sha, got_md5 = _download(src, out, ckpt.name, progress, timeout_s, ckpt.hint)
        if got_sha != want_sha or not got_md5.startswith(want_md5):
            md5_part = f"; md5 {got_md5[:6]}, expected {want_md5}" if want_md5 else ""
            raise UserError(
                f"cannot use {ckpt.name} from {src}: checksum mismatch (sha256 {got_sha[:12]}…, "
                f"expected {want_sha[:12]}…{md5_part}); the download was discarded"
            )
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def _download(url: str, out: BinaryIO, name: str, progress: ProgressCallback | None, timeout_s: float,
              hint: str) -> tuple[str, str]:
    """Stream `url` into `out`, hashing as it goes; every network failure becomes one UserError."""
    sha, md5 = hashlib.sha256(), hashlib.md5(usedforsecurity=False)
    try:
        with httpx.stream("GET", url, follow_redirects=True,
                          timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 10.0))) as resp:
            if resp.status_code != 200:
                raise UserError(f"cannot download {name} from {url}: HTTP {resp.status_code}; {hint}")
            total = int(resp.headers["content-length"]) if "content-length" in resp.headers else None
            done = 0
            if progress:
                progress(0, total)
            for chunk in resp.iter_bytes(chunk_size=1 << 20):
                out.write(chunk)
                sha.update(chunk)
                md5.update(chunk)
                done += len(chunk)
                if progress:
                    progress(done, total)
    except (httpx.ConnectError, httpx.ConnectTimeout) as e:
        raise UserError(f"cannot download {name} from {url}: no network ({_brief(e)}); {hint}") from None
    except httpx.HTTPError as e:  # read timeouts, dropped connections, bad redirects, proxies
        raise UserError(f"cannot download {name} from {url}: download failed ({_brief(e)}); {hint}") from None
    except OSError as e:
        raise UserError(f"cannot download {name}: cannot write the file ({e.strerror or e})") from None
    return sha.hexdigest(), md5.hexdigest()


def _brief(e: Exception) -> str:
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0]}" if text else type(e).__name__
