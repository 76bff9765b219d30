"""Tune the embedding backend's ranking weights on the development data.

Embeds every cleaned sentence of both development files once (cached in --cache), then
scores a grid of `ScoringConfig` values with ROUGE at the evaluation budgets (CNN/DM: 3
sentences, BBC/XSum: 1 sentence) and prints the best settings next to Lead-3 and Lead-1.

    PYTHONPATH=. python bench/tune_embedding.py [--cache /tmp/newsbrief-tune]

Reads ../shared/eval-data (never copied into the repository).
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from summarizer.base import Article
from summarizer.chain import prepare
from summarizer.embedding import DEFAULT_MAX_SENTENCES
from summarizer.encoder import SentenceEncoder
from summarizer.metrics import RougeScorer
from summarizer.scoring import ScoringConfig, rank

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "eval-data"
FILES = (("cnndm-dev.jsonl", 3), ("xsum-nontest-999.jsonl", 1))
GRID = {
    "lead_weight": [0.0, 0.25, 0.35, 0.45],
    "lead_sentences": [3.0, 4.0, 5.0],
    "lexical_weight": [0.0, 0.5, 0.75, 1.0],
    "length_weight": [0.0, 0.15, 0.3],
    "redundancy": [0.5, 0.7],
}


@dataclass
class _Doc:
    sentences: tuple[str, ...]
    reference: str
    embeddings: np.ndarray = field(default_factory=lambda: np.zeros((0, 384), np.float32))


def _load(path: Path, cache: Path, encoder: SentenceEncoder) -> list[_Doc]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    docs = [
        _Doc(
            prepare(Article("", row["article"])).sentences[:DEFAULT_MAX_SENTENCES], row["reference"]
        )
        for row in rows
    ]
    key = hashlib.sha256(json.dumps([d.sentences for d in docs]).encode()).hexdigest()[:16]
    file = cache / f"{path.stem}-{key}.npy"
    if file.exists():
        flat = np.load(file)
    else:
        flat = encoder.encode([s for d in docs for s in d.sentences])
        cache.mkdir(parents=True, exist_ok=True)
        np.save(file, flat)
    bounds = np.cumsum([0, *(len(d.sentences) for d in docs)])
    for doc, start, end in zip(docs, bounds[:-1], bounds[1:], strict=True):
        doc.embeddings = flat[start:end]
    return docs


class _Scorer:
    """ROUGE-1/2/Lsum means of selections, memoised per (file, article, selection)."""

    def __init__(self) -> None:
        self._rouge = RougeScorer()
        self._memo: dict[tuple[str, int, tuple[int, ...]], dict[str, float]] = {}

    def mean(self, name: str, docs: list[_Doc], picks: list[tuple[int, ...]]) -> dict[str, float]:
        total = dict.fromkeys(("rouge1", "rouge2", "rougeLsum"), 0.0)
        for i, (doc, pick) in enumerate(zip(docs, picks, strict=True)):
            key = (name, i, pick)
            if key not in self._memo:
                self._memo[key] = self._rouge([doc.sentences[j] for j in pick], doc.reference)
            for metric, value in self._memo[key].items():
                total[metric] += value
        return {metric: value / len(docs) for metric, value in total.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path("/tmp/newsbrief-tune"))
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    if not DATA.is_dir():
        print(f"error: development data not found at {DATA}", file=sys.stderr)
        return 2
    encoder = SentenceEncoder()
    sets = [(name, k, _load(DATA / name, args.cache, encoder)) for name, k in FILES]
    scorer = _Scorer()
    leads = {
        name: scorer.mean(name, docs, [tuple(range(min(k, len(d.sentences)))) for d in docs])
        for name, k, docs in sets
    }
    for name, k, _ in sets:
        print(f"lead-{k} {name}: " + " ".join(f"{m}={v:.2f}" for m, v in leads[name].items()))

    def evaluate(config: ScoringConfig) -> tuple[float, dict[str, float], dict[str, float]]:
        result = {}
        for name, k, docs in sets:
            picks = [tuple(sorted(rank(d.embeddings, d.sentences, config, limit=k))) for d in docs]
            result[name] = scorer.mean(name, docs, picks)
        cnn, bbc = (result[name] for name, _, _ in sets)
        lead3, lead1 = (leads[name] for name, _, _ in sets)
        # Targets: at least Lead-3 on CNN/DM, at least Lead-1 + 2 ROUGE-1 on BBC.
        margin = min(cnn["rouge1"] - lead3["rouge1"], bbc["rouge1"] - lead1["rouge1"] - 2.0)
        return margin, cnn, bbc

    def show(label: str, config: ScoringConfig) -> None:
        margin, cnn, bbc = evaluate(config)
        print(
            f"{label} margin={margin:+.2f}"
            f" cnn={cnn['rouge1']:.2f}/{cnn['rouge2']:.2f}/{cnn['rougeLsum']:.2f}"
            f" bbc={bbc['rouge1']:.2f}/{bbc['rouge2']:.2f}/{bbc['rougeLsum']:.2f} {asdict(config)}"
        )

    show("default", ScoringConfig())
    keys = list(GRID)
    configs = [
        ScoringConfig(**dict(zip(keys, values, strict=True)))
        for values in itertools.product(*(GRID[key] for key in keys))
    ]
    configs.sort(key=lambda config: evaluate(config)[0], reverse=True)
    for config in configs[: args.top]:
        show("grid", config)
    return 0


if __name__ == "__main__":
    sys.exit(main())
