"""Train the learned sentence scorer and report cross-validated ROUGE on the development data.

    PYTHONPATH=. python bench/train_scorer.py          # k-fold CV: learned, lead, embedding
    PYTHONPATH=. python bench/train_scorer.py --write  # retrain on all dev data, write weights
    PYTHONPATH=. python bench/train_scorer.py --check  # retrain, compare with shipped weights

Data: ../shared/eval-data (CNN/DM dev 150, BBC/XSum non-test 999; never copied into the
repository), cleaned and split exactly as the summariser does (`summarizer.chain.prepare`,
no headline), the first 40 sentences of each article. MiniLM embeddings (from the encoder
the summariser uses, `NEWSBRIEF_ENCODER`, default onnx-int8) and the oracle labels are cached
in --cache (default /tmp/newsbrief-scorer), keyed by the encoder and a hash of the sentences
(and references), so a warm `--check` takes about half a minute of CPU.

Labels come from a ROUGE oracle (rouge-score's tokenizer and Porter stemmer): a sentence's
label is 1 when the greedy oracle of up to 3 sentences (mean ROUGE-1/ROUGE-2 F1) picks it,
plus its own mean ROUGE-1/ROUGE-2 F1 against the reference. The model is linear over the
standardised surface features of `summarizer.features` (the raw embedding columns are kept
at weight 0: in cross-validation they over-fitted and cost CNN/DM ROUGE-1) and is trained
pairwise within each article (RankNet) by full-batch Adam from zeros for a fixed number of
steps: deterministic, so the same data give the same weights. CNN/DM and XSum weigh the same.

Then the two set scorers (`summarizer.candidates`; one for sentence-count budgets, trained on
3 sentences for CNN/DM and 1 for XSum, one for 60 words): each training article's candidate
summaries are pooled by the sentence scorer just trained, as the backend does, and a linear
model over their standardised set features is fitted listwise (cross-entropy of the softmax of
its scores against the softmax of each candidate's true mean ROUGE-1/ROUGE-2 F1 over
a temperature: `COUNT_TEMPERATURE` for sentence counts, `SET_TEMPERATURE` for words), by the
same full-batch Adam from zeros; each file weighs half, except that XSum weighs
`WORDS_XSUM_SHARE` in the word-budget scorer (the share and the count temperature were chosen
on the CV figures).

Cross-validation: articles are split into `--folds` folds (seed 0, per file); each fold is
summarised by a model trained on the other folds, through the real backends (a cache stands in
for the encoder), and scored with `summarizer.metrics.RougeScorer`. Intervals are 95%
percentile bootstrap intervals over articles (`summarizer.metrics.bootstrap`), and the
differences to lead are paired (the same resampled articles for both methods).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from summarizer.base import Article, Backend, Budget, Document
from summarizer.candidates import count_matrix, f1, set_features
from summarizer.chain import prepare
from summarizer.embedding import EmbeddingBackend
from summarizer.encoder import EMBEDDING_SIZE, SentenceEncoder
from summarizer.features import sentence_features
from summarizer.knapsack import candidates
from summarizer.lead import LeadBackend
from summarizer.learned import (
    DEFAULT_MAX_SENTENCES,
    WEIGHTS_PATH,
    LearnedBackend,
    Linear,
    ScorerWeights,
)
from summarizer.metrics import ROUGE_TYPES, RougeScorer, bootstrap
from summarizer.scoring import ScoringConfig, relevance

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "eval-data"
FILES = (("cnndm-dev.jsonl", "CNN/DM dev", 3), ("xsum-nontest-999.jsonl", "XSum non-test", 1))
SEED = 0
LABELS = "oracle+gains"
USE_EMBEDDING = False
L2 = 3e-3
STEPS = 300
LEARNING_RATE = 0.05
TOP_K = 8
WORDS = 60
SET_TEMPERATURE = 0.5  # the word-budget set scorer's target softmax temperature
COUNT_TEMPERATURE = 0.15  # the sentence-count set scorer's (chosen on the CV figures)
SET_L2 = 1e-3
WORDS_XSUM_SHARE = 0.75  # the word-budget set scorer's loss: XSum 0.75, CNN/DM 0.25


@dataclass
class Item:
    """One development article."""

    file: str
    document: Document
    reference: str
    embeddings: np.ndarray
    features: np.ndarray
    gains: np.ndarray
    oracle: np.ndarray
    tokens: list[list[str]]
    reference_tokens: list[str]
    relevance: np.ndarray


class CachedEncoder(SentenceEncoder):
    """The encoder API over precomputed vectors (the development sentences)."""

    def __init__(self, vectors: dict[str, np.ndarray]) -> None:
        super().__init__()
        self._vectors = vectors

    def load(self) -> None:
        """Nothing to load."""

    def encode(self, sentences: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(sentences), EMBEDDING_SIZE), dtype=np.float32)
        for i, sentence in enumerate(sentences):
            out[i] = self._vectors[sentence]
        return out


def _ngrams(tokens: list[str], n: int) -> Counter[tuple[str, ...]]:
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def _f1(candidate: Counter[tuple[str, ...]], reference: Counter[tuple[str, ...]]) -> float:
    overlap = sum((candidate & reference).values())
    if not overlap:
        return 0.0
    precision = overlap / sum(candidate.values())
    recall = overlap / sum(reference.values())
    return 2 * precision * recall / (precision + recall)


def oracle_gains(
    sentences: Sequence[str], reference: str, tokenize: Callable[[str], list[str]]
) -> np.ndarray:
    """Each sentence's mean ROUGE-1/ROUGE-2 F1 against the reference (0..1)."""
    ref = tokenize(reference)
    ref1, ref2 = _ngrams(ref, 1), _ngrams(ref, 2)
    gains = []
    for sentence in sentences:
        tokens = tokenize(sentence)
        gains.append((_f1(_ngrams(tokens, 1), ref1) + _f1(_ngrams(tokens, 2), ref2)) / 2)
    return np.array(gains)


def greedy_oracle(
    sentences: Sequence[str], reference: str, tokenize: Callable[[str], list[str]], size: int = 3
) -> np.ndarray:
    """0/1 per sentence: the greedy ROUGE oracle (add the sentence that most raises the mean
    ROUGE-1/ROUGE-2 F1 of the set, up to `size`, while it rises)."""
    ref = tokenize(reference)
    ref1, ref2 = _ngrams(ref, 1), _ngrams(ref, 2)
    tokens = [tokenize(sentence) for sentence in sentences]
    chosen: list[int] = []
    best = 0.0
    while len(chosen) < size:
        pick = None
        for j in range(len(sentences)):
            if j in chosen:
                continue
            joined = [t for q in sorted([*chosen, j]) for t in tokens[q]]
            value = (_f1(_ngrams(joined, 1), ref1) + _f1(_ngrams(joined, 2), ref2)) / 2
            if value > best + 1e-12:
                best, pick = value, j
        if pick is None:
            break
        chosen.append(pick)
    labels = np.zeros(len(sentences))
    labels[chosen] = 1.0
    return labels


def _cached(file: Path, build: Callable[[], np.ndarray]) -> np.ndarray:
    """`build()`, saved to `file` the first time and read back afterwards."""
    if file.exists():
        return np.load(file)
    print(f"computing {file.name} (cached in {file.parent}) ...", file=sys.stderr)
    value = build()
    file.parent.mkdir(parents=True, exist_ok=True)
    np.save(file, value)
    return value


def load(cache: Path) -> list[Item]:
    """Read, clean, embed and label both development files (embeddings and labels cached)."""
    from rouge_score.tokenizers import DefaultTokenizer

    tokenize = DefaultTokenizer(use_stemmer=True).tokenize
    encoder = SentenceEncoder()
    items: list[Item] = []
    for name, _, _ in FILES:
        rows = [json.loads(line) for line in (DATA / name).read_text("utf-8").splitlines() if line]
        docs = [prepare(Article("", row["article"])) for row in rows]
        docs = [Document(d.title, d.sentences[:DEFAULT_MAX_SENTENCES]) for d in docs]
        sentences = [s for d in docs for s in d.sentences]
        key = hashlib.sha256(json.dumps([d.sentences for d in docs]).encode()).hexdigest()[:16]
        labelled = json.dumps(
            [[d.sentences, row["reference"]] for d, row in zip(docs, rows, strict=True)]
        )
        label_key = hashlib.sha256(labelled.encode()).hexdigest()[:16]
        stem = Path(name).stem
        flat = _cached(
            cache / f"{stem}-{encoder.backend}-{key}.npy",
            lambda sentences=sentences: encoder.encode(sentences),
        )

        def labels(docs: list[Document] = docs, rows: list[dict[str, str]] = rows) -> np.ndarray:
            return np.array(
                [
                    (gain, chosen)
                    for d, row in zip(docs, rows, strict=True)
                    for gain, chosen in zip(
                        oracle_gains(d.sentences, row["reference"], tokenize),
                        greedy_oracle(d.sentences, row["reference"], tokenize),
                        strict=True,
                    )
                ]
            ).reshape(-1, 2)

        gains_oracle = _cached(cache / f"{stem}-labels-{label_key}.npy", labels)
        bounds = np.cumsum([0, *(len(d.sentences) for d in docs)])
        for doc, row, start, end in zip(docs, rows, bounds[:-1], bounds[1:], strict=True):
            if not doc.sentences:
                continue
            vectors = flat[start:end]
            items.append(
                Item(
                    name, doc, row["reference"], vectors,
                    sentence_features(vectors, doc.sentences),
                    gains_oracle[start:end, 0], gains_oracle[start:end, 1],
                    [tokenize(s) for s in doc.sentences], tokenize(row["reference"]),
                    relevance(vectors, doc.sentences, ScoringConfig()),
                )
            )  # fmt: skip
    return items


def train(items: Sequence[Item]) -> ScorerWeights:
    """Fit the sentence scorer, then the two set scorers on its candidates (deterministic)."""
    sentences = train_sentences(items)
    count_budgets = {name: Budget(sentences=n) for name, _, n in FILES}
    return ScorerWeights(
        sentences,
        train_sets(
            items,
            sentences,
            lambda item: count_budgets[item.file],
            temperature=COUNT_TEMPERATURE,
        ),
        train_sets(
            items, sentences, lambda item: Budget(max_words=WORDS), xsum_share=WORDS_XSUM_SHARE
        ),
        TOP_K,
    )


def _file_weights(items: Sequence[Item], xsum_share: float = 0.5) -> np.ndarray:
    """Each article's weight: XSum `xsum_share` of the total, CNN/DM the rest (by default
    each file half), the articles of a file equal."""
    per_file = Counter(item.file for item in items)
    share = {FILES[0][0]: 1.0 - xsum_share, FILES[1][0]: xsum_share}
    weights = np.array([share[item.file] / per_file[item.file] for item in items])
    return weights / weights.sum()


def _adam(gradient: Callable[[np.ndarray], np.ndarray], size: int) -> np.ndarray:
    """Full-batch Adam from zeros for `STEPS` steps (deterministic)."""
    w = np.zeros(size)
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    for step in range(1, STEPS + 1):
        grad = gradient(w)
        m = beta1 * m + (1 - beta1) * grad
        v = beta2 * v + (1 - beta2) * grad * grad
        w -= LEARNING_RATE * (m / (1 - beta1**step)) / (np.sqrt(v / (1 - beta2**step)) + eps)
    return w


def _standardisation(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    return x.mean(axis=0), scale


def train_sentences(items: Sequence[Item]) -> Linear:
    """Fit the pairwise linear sentence scorer on `items` (zeros + full-batch Adam).

    RankNet within each article: for every pair of sentences whose labels differ, the
    logistic loss of their score difference, weighted by the label difference; each
    article's pairs weigh the same in total, and each file half of everything.
    """
    x = np.concatenate([item.features for item in items])
    mean, scale = _standardisation(x)
    if not USE_EMBEDDING:
        scale[:EMBEDDING_SIZE] = np.inf  # standardised to 0: the weights stay 0
    width = max(len(item.gains) for item in items)
    z = np.zeros((len(items), width, x.shape[1]))
    label = np.zeros((len(items), width))
    present = np.zeros((len(items), width))
    for k, item in enumerate(items):
        n = len(item.gains)
        z[k, :n] = (item.features - mean) / scale
        label[k, :n] = _label(item)
        present[k, :n] = 1.0
    pair = np.maximum(label[:, :, None] - label[:, None, :], 0.0)
    pair *= present[:, :, None] * present[:, None, :]
    pair /= np.maximum(pair.sum(axis=(1, 2), keepdims=True), 1e-12)
    pair *= _file_weights(items)[:, None, None]

    def gradient(w: np.ndarray) -> np.ndarray:
        s = z @ w
        d_pair = -pair / (1.0 + np.exp(np.clip(s[:, :, None] - s[:, None, :], -50, 50)))
        d_score = d_pair.sum(axis=2) - d_pair.sum(axis=1)
        return np.einsum("bl,bld->d", d_score, z) + L2 * w

    w = _adam(gradient, x.shape[1])
    if not USE_EMBEDDING:
        scale[:EMBEDDING_SIZE] = 1.0
    return Linear(mean, scale, w)


def summary_rouge(item: Item, pool: Sequence[int], masks: np.ndarray) -> np.ndarray:
    """Mean ROUGE-1/ROUGE-2 F1 (0..1) of each candidate summary against the reference
    (rouge-score's tokens, without the bigrams that span two sentences)."""
    values = []
    for order in (1, 2):
        counts = count_matrix([*item.tokens, item.reference_tokens], order)
        reference = np.broadcast_to(counts[-1], (len(masks), counts.shape[1]))
        values.append(f1(masks @ counts[np.asarray(pool)], reference))
    result: np.ndarray = (values[0] + values[1]) / 2
    return result


def train_sets(
    items: Sequence[Item],
    sentences: Linear,
    budget_of: Callable[[Item], Budget],
    xsum_share: float = 0.5,
    temperature: float = SET_TEMPERATURE,
) -> Linear:
    """Fit a linear scorer of candidate summaries (zeros + full-batch Adam).

    Listwise: within each article, the softmax of the scores over its candidates (pooled by
    `sentences`, as the backend does) is fitted by cross-entropy to the softmax of their
    true ROUGE / `temperature`; XSum weighs `xsum_share`, CNN/DM the rest.
    """
    rows, targets = [], []
    for item in items:
        budget = budget_of(item)
        scores = sentences.score(item.features)
        pool, masks = candidates(item.document.sentences, scores, budget, top_k=TOP_K)
        rows.append(
            set_features(
                item.embeddings, item.document.sentences, item.relevance, pool, masks, budget
            )
        )
        rouge = summary_rouge(item, pool, masks)
        target = np.exp((rouge - rouge.max()) / temperature)
        targets.append(target / target.sum())
    x = np.concatenate(rows)
    mean, scale = _standardisation(x)
    z = (x - mean) / scale
    starts = np.cumsum([0, *(len(r) for r in rows)])[:-1]
    article = np.repeat(np.arange(len(rows)), [len(r) for r in rows])
    weight = _file_weights(items, xsum_share)[article]
    target = np.concatenate(targets)

    def gradient(w: np.ndarray) -> np.ndarray:
        s = z @ w
        e = np.exp(s - np.maximum.reduceat(s, starts)[article])
        predicted = e / np.add.reduceat(e, starts)[article]
        result: np.ndarray = z.T @ (weight * (predicted - target)) + 2 * SET_L2 * w
        return result

    return Linear(mean, scale, _adam(gradient, x.shape[1]))


def _label(item: Item) -> np.ndarray:
    if LABELS == "gains":
        return item.gains
    if LABELS == "oracle":
        return item.oracle
    return item.oracle + item.gains  # oracle sentences first, then by their own gain


def folds(items: Sequence[Item], k: int) -> np.ndarray:
    """Fold number of each item: a seeded shuffle, dealt round-robin within each file."""
    rng = np.random.default_rng(SEED)
    fold = np.zeros(len(items), dtype=int)
    for name, _, _ in FILES:
        index = np.array([i for i, item in enumerate(items) if item.file == name])
        fold[rng.permutation(index)] = np.arange(len(index)) % k
    return fold


def _summaries(backend: Backend, items: Sequence[Item], budget: Budget) -> list[tuple[str, ...]]:
    return backend.summarize_documents([item.document for item in items], budget)


def cross_validate(items: list[Item], k: int, vectors: dict[str, np.ndarray]) -> None:
    """Print the CV table: learned (out of fold) vs lead vs embedding, per file and budget."""
    encoder = CachedEncoder(vectors)
    fold = folds(items, k)
    budgets = {name: (Budget(sentences=n), Budget(max_words=WORDS)) for name, _, n in FILES}
    out_of_fold: dict[tuple[int, Budget], tuple[str, ...]] = {}
    for f in range(k):
        backend = LearnedBackend(
            encoder, weights=train([it for i, it in enumerate(items) if fold[i] != f])
        )
        for name, _, _ in FILES:
            chosen = [i for i in range(len(items)) if fold[i] == f and items[i].file == name]
            for budget in budgets[name]:
                outs = _summaries(backend, [items[i] for i in chosen], budget)
                out_of_fold.update(((i, budget), out) for i, out in zip(chosen, outs, strict=True))
    scorer = RougeScorer()
    print(f"{k}-fold cross-validated ROUGE F1 x100 [95% bootstrap CI over articles]")
    print("| data | budget | method | ROUGE-1 | ROUGE-2 | ROUGE-Lsum | R1 - lead [95% CI] |")
    print("|---|---|---|---|---|---|---|")
    for name, label, _ in FILES:
        subset = [i for i in range(len(items)) if items[i].file == name]
        docs = [items[i] for i in subset]
        for budget in budgets[name]:
            methods = {
                "lead": _summaries(LeadBackend(), docs, budget),
                "embedding": _summaries(EmbeddingBackend(encoder), docs, budget),
                "learned (CV)": [out_of_fold[(i, budget)] for i in subset],
            }
            scores = {
                method: [scorer(out, doc.reference) for out, doc in zip(outs, docs, strict=True)]
                for method, outs in methods.items()
            }
            what = f"{budget.sentences} sent." if budget.sentences else f"{budget.max_words} words"
            lead_r1 = np.array([row["rouge1"] for row in scores["lead"]])
            for method, rows in scores.items():
                cells = []
                for metric in ROUGE_TYPES:
                    s = bootstrap([row[metric] for row in rows])
                    cells.append(f"{s.mean:.2f} [{s.low:.2f}, {s.high:.2f}]")
                d = bootstrap(np.array([row["rouge1"] for row in rows]) - lead_r1)
                gap = "" if method == "lead" else f"{d.mean:+.2f} [{d.low:+.2f}, {d.high:+.2f}]"
                print(
                    f"| {label} ({len(subset)}) | {what} | {method} | {' | '.join(cells)} | {gap} |"
                )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path("/tmp/newsbrief-scorer"))
    parser.add_argument("--folds", type=int, default=5)
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--write", action="store_true", help=f"write {WEIGHTS_PATH.name}")
    action.add_argument("--check", action="store_true", help="compare with the shipped weights")
    args = parser.parse_args(argv)
    if not DATA.is_dir():
        print(f"error: development data not found at {DATA}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    items = load(args.cache)
    vectors = {
        s: v
        for item in items
        for s, v in zip(item.document.sentences, item.embeddings, strict=True)
    }
    print(
        f"{len(items)} articles, {sum(len(i.gains) for i in items)} sentences"
        f" loaded in {time.perf_counter() - started:.1f} s"
    )
    if args.write or args.check:
        weights = train(items)
        scores = np.concatenate([weights.score(item.features) for item in items])
        if args.write:
            weights.save(WEIGHTS_PATH)
            print(f"wrote {WEIGHTS_PATH} ({WEIGHTS_PATH.stat().st_size} bytes)")
            return 0
        shipped = ScorerWeights.load(WEIGHTS_PATH)
        shipped_scores = np.concatenate([shipped.score(item.features) for item in items])
        gap = float(np.abs(scores - shipped_scores).max())
        set_gap = max(
            float(np.abs(getattr(new, part) - getattr(old, part)).max())
            for new, old in (
                (weights.by_count, shipped.by_count),
                (weights.by_words, shipped.by_words),
            )
            for part in ("mean", "scale", "weights")
        )
        same = gap <= 1e-6 and set_gap <= 1e-6 and shipped.top_k == weights.top_k
        print(
            f"max |retrained - shipped| score over {len(scores)} sentences: {gap:.3g},"
            f" set scorer weights: {set_gap:.3g} -> {'same' if same else 'DIFFERENT'}"
        )
        return 0 if same else 1
    cross_validate(items, args.folds, vectors)
    print(f"total {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
