"""Benchmark the claim verifier on the labelled corpus in bench/verifier/ (issue 10).

For each sentence of `bench/verifier/corpus.jsonl` the verifier checks it against its source (a fact
sheet or a token attribution). Per claim kind and overall, for the dev and the held-out split:

- detection: false sentences with at least one contradicted claim;
- false alarms: true sentences with at least one contradicted claim;
- coverage: true sentences with at least one supported claim.

The held-out overall lines come last (each round from 2 on alone, then all rounds). Tune on `split=dev` only
(`--split dev` prints nothing else).

    OMP_NUM_THREADS=1 python bench/verifier.py [--show-misses dev] [--extractor rules]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).parent / "verifier"
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from verbalize.core.types import Verification  # noqa: E402
from verbalize.pipeline.image.types import FactSheet  # noqa: E402
from verbalize.pipeline.image.verify import verify_text  # noqa: E402
from verbalize.pipeline.text.verify import verify_text_verbalization  # noqa: E402


def check(row: dict, cache: dict[str, object]) -> Verification:
    src = row["source"]
    if src not in cache:
        data = json.loads((HERE / src).read_text())
        cache[src] = FactSheet.model_validate(data) if row["kind"] == "image" else data
    source = cache[src]
    if row["kind"] == "image":
        assert isinstance(source, FactSheet)
        return verify_text(row["text"], source)
    assert isinstance(source, dict)
    return verify_text_verbalization(row["text"], source["tokens"], source["scores"], source["label"],
                                     predicted=source["predicted"], labels=source["labels"],
                                     probability=source["probability"])


def pct(n: int, d: int) -> str:
    return f"{100 * n / d:5.1f}% ({n:>3}/{d:<3})" if d else "   n/a        "


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--show-misses", choices=["dev", "heldout"], help="print the sentences the verifier gets wrong")
    ap.add_argument("--split", choices=["dev", "heldout", "both"], default="both",
                    help="print only this split's figures (tune with --split dev: never look at held-out while tuning)")
    args = ap.parse_args()
    rows = [json.loads(line) for line in (HERE / "corpus.jsonl").read_text().splitlines() if line.strip()]
    cache: dict[str, object] = {}
    # stats[(split, kind, claim)] = [false_n, detected, true_n, false_alarms, covered]
    stats: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    t0 = time.perf_counter()
    for row in rows:
        v = check(row, cache)
        bad = v.contradicted > 0
        good = v.supported > 0
        keys = [(row["split"], row["kind"], row["claim"]), (row["split"], row["kind"], "ALL")]
        if row.get("round", 1) > 1:  # rounds from 2 on were each committed before their rule changes (corpus README)
            keys.append((row["split"], row["kind"], f"ALL round {row['round']}"))
        for key in keys:
            s = stats[key]
            if row["truth"]:
                s[2] += 1
                s[3] += bad
                s[4] += good
            else:
                s[0] += 1
                s[1] += bad
        miss = (not row["truth"] and not bad) or (row["truth"] and (bad or not good))
        if args.show_misses == row["split"] and miss:
            marks = "; ".join(f"{c.kind}:{c.text!r}={c.status}[{c.reason}]" for c in v.claims)
            print(f"MISS {row['id']} truth={row['truth']} {row['claim']}: {row['text']}\n     -> {marks}")
    ms = 1000 * (time.perf_counter() - t0) / len(rows)
    print(f"{len(rows)} sentences, {ms:.2f} ms per sentence (rule-based extractor, one thread: pure Python)\n")
    print(f"{'split':8} {'kind':5} {'claim':22} {'detection':>16} {'false alarms':>16} {'coverage':>16}")
    order = sorted(stats, key=lambda k: (k[0] == "heldout", k[2] == "ALL", k[2].startswith("ALL"), k[1], k[2]))
    # the overall lines of each split after its per-claim lines; held-out overall lines last
    for split in ("dev", "heldout") if args.split == "both" else (args.split,):
        for last in (False, True):
            for key in order:
                if key[0] != split or key[2].startswith("ALL") != last:
                    continue
                fn, det, tn, fa, cov = stats[key]
                print(f"{key[0]:8} {key[1]:5} {key[2]:22} {pct(det, fn):>16} {pct(fa, tn):>16} {pct(cov, tn):>16}")
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
