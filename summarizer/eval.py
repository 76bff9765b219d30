"""`newsbrief eval summarizer`: ROUGE of a summarisation method on a JSONL file.

    newsbrief eval summarizer --data FILE.jsonl --method lead|embedding|learned|seq2seq
        [--model M] [--sentences K | --words N] [--limit N] [--json]

(or `python -m summarizer.eval ...`). Each line of the data file is a JSON object with
string fields "article" and "reference" (reference sentences separated by "\\n"); "id" and
other fields are ignored. The articles are summarised with `build_summarizer(method)`, in
batches, exactly as the bot would, and scored with ROUGE-1/2/Lsum F1 x 100 (see
`summarizer.metrics`) with 95% bootstrap intervals. Throughput (articles per second) covers
summarising only: the models are loaded by a warm-up call before the clock starts.

A rich progress bar goes to stderr when stderr is a terminal. With `--json`, stdout carries
exactly one JSON object: {"n", "rouge1", "rouge2", "rougeLsum", "ci95": {"rouge1": [lo, hi],
...}, "articles_per_second", "mean_words"}. Bad input (missing or unreadable file, invalid
JSON line, missing fields, unknown method, bad numbers) prints a message to stderr and
returns exit code 2.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from summarizer.base import DEFAULT_MAX_WORDS, Article, Summary
from summarizer.factory import METHODS, build_summarizer
from summarizer.metrics import ROUGE_TYPES, RougeScorer, Score, bootstrap
from summarizer.words import count_words

logger = logging.getLogger(__name__)

BATCH_SIZE = 8
EXIT_USAGE = 2


class EvalInputError(Exception):
    """The data file cannot be used; the message says why and where."""


@dataclass(frozen=True)
class Item:
    """One evaluation pair."""

    article: str
    reference: str


@dataclass(frozen=True)
class Report:
    """The figures `main` prints."""

    n: int
    scores: dict[str, Score]
    articles_per_second: float
    mean_words: float
    methods: dict[str, int]

    def as_json(self) -> dict[str, Any]:
        """The `--json` object (see the module docstring)."""
        result: dict[str, Any] = {"n": self.n}
        result.update({name: round(self.scores[name].mean, 2) for name in ROUGE_TYPES})
        result["ci95"] = {
            name: [round(self.scores[name].low, 2), round(self.scores[name].high, 2)]
            for name in ROUGE_TYPES
        }
        result["articles_per_second"] = round(self.articles_per_second, 2)
        result["mean_words"] = round(self.mean_words, 1)
        return result


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsbrief eval summarizer",
        description="ROUGE-1/2/Lsum (F1 x100, 95% bootstrap CI) of a summarisation method.",
    )
    parser.add_argument("--data", type=Path, required=True, help="JSONL with article, reference")
    parser.add_argument("--method", choices=METHODS, required=True)
    parser.add_argument("--model", help="seq2seq model id or local directory")
    budget = parser.add_mutually_exclusive_group()
    budget.add_argument("--sentences", type=_positive, help="summary length in sentences")
    budget.add_argument(
        "--words", type=_positive, help=f"summary length in words (default {DEFAULT_MAX_WORDS})"
    )
    parser.add_argument("--limit", type=_positive, help="use only the first N items")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


def load_items(path: Path, limit: int | None = None) -> list[Item]:
    """Read evaluation pairs from a JSONL file.

    Raises:
        EvalInputError: Unreadable file, invalid JSON, missing or non-string fields, or no
            items at all.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalInputError(f"cannot read {path}: {exc}") from exc
    items: list[Item] = []
    for number, line in enumerate(lines, start=1):
        if limit is not None and len(items) == limit:
            break
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalInputError(f"{path}:{number}: invalid JSON: {exc.msg}") from exc
        if not isinstance(row, dict) or not all(
            isinstance(row.get(key), str) for key in ("article", "reference")
        ):
            raise EvalInputError(f'{path}:{number}: needs string fields "article" and "reference"')
        items.append(Item(row["article"], row["reference"]))
    if not items:
        raise EvalInputError(f"{path}: no items")
    return items


def _summarize_all(
    summarize: Callable[[list[Article]], list[Summary]], items: Sequence[Item]
) -> tuple[list[Summary], float]:
    """Summarise in batches (with a progress bar on a terminal); returns summaries, seconds."""
    batches = [items[i : i + BATCH_SIZE] for i in range(0, len(items), BATCH_SIZE)]
    summaries: list[Summary] = []
    elapsed = 0.0
    progress = None
    if sys.stderr.isatty():
        from rich.console import Console
        from rich.progress import Progress

        progress = Progress(console=Console(stderr=True), transient=True)
        progress.start()
        task = progress.add_task("summarising", total=len(items))
    try:
        for batch in batches:
            start = time.perf_counter()
            summaries.extend(summarize([Article("", item.article) for item in batch]))
            elapsed += time.perf_counter() - start
            if progress is not None:
                progress.advance(task, len(batch))
    finally:
        if progress is not None:
            progress.stop()
    return summaries, elapsed


def evaluate(
    items: Sequence[Item],
    method: str,
    *,
    model: str | None = None,
    sentences: int | None = None,
    words: int | None = None,
) -> Report:
    """Summarise `items` with `method` and score them (see the module docstring)."""
    summarizer = build_summarizer(method, model=model)
    budget: dict[str, Any] = {"max_words": words or DEFAULT_MAX_WORDS, "sentences": sentences}

    def summarize(articles: list[Article]) -> list[Summary]:
        return summarizer.summarize(articles, **budget)

    summarize([Article("", items[0].article)])  # warm-up: loads the models
    summaries, seconds = _summarize_all(summarize, items)
    scorer = RougeScorer()
    per_item = [
        scorer(s.sentences, item.reference) for s, item in zip(summaries, items, strict=True)
    ]
    methods: dict[str, int] = {}
    for summary in summaries:
        methods[summary.method] = methods.get(summary.method, 0) + 1
    return Report(
        n=len(items),
        scores={name: bootstrap([row[name] for row in per_item]) for name in ROUGE_TYPES},
        articles_per_second=len(items) / seconds if seconds > 0 else float("inf"),
        mean_words=sum(count_words(s.text) for s in summaries) / len(summaries),
        methods=methods,
    )


def _print_report(report: Report, args: argparse.Namespace) -> None:
    if args.sentences:
        budget = f"{args.sentences} sentence{'s' if args.sentences > 1 else ''}"
    else:
        budget = f"{args.words or DEFAULT_MAX_WORDS} words"
    print(f"method {args.method}  data {args.data}  n={report.n}  budget {budget}")
    for name, label in zip(ROUGE_TYPES, ("ROUGE-1", "ROUGE-2", "ROUGE-Lsum"), strict=True):
        score = report.scores[name]
        print(f"{label:<11}{score.mean:6.2f}  95% CI [{score.low:.2f}, {score.high:.2f}]")
    print(f"articles/s {report.articles_per_second:8.2f}")
    print(f"mean words {report.mean_words:8.1f}")
    produced = ", ".join(f"{name} {count}" for name, count in sorted(report.methods.items()))
    print(f"produced by: {produced}")


def main(argv: list[str] | None = None) -> int:
    """Run the evaluation; returns the exit code (0, or 2 for bad input)."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage error (or --help)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    try:
        items = load_items(args.data, args.limit)
    except EvalInputError as exc:
        print(f"newsbrief eval summarizer: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    report = evaluate(
        items, args.method, model=args.model, sentences=args.sentences, words=args.words
    )
    if args.json:
        print(json.dumps(report.as_json()))
    else:
        _print_report(report, args)
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    sys.exit(main())
