"""Article-text extraction quality on ``../shared/corpora/article-pages`` (88 real news pages).

For each page the corpus says which snippets the main text must include and which
boilerplate it must exclude (``index.jsonl``); 60 pages also carry the full human-written
body, against which token precision, recall and F1 are computed. Snippets are matched as
substrings after Unicode NFC and whitespace collapsing, as the corpus README prescribes.

Measured: ``bot.feeds.article.extract_text`` (what ``HttpFeedSource.enrich`` and the CLI use)
against a baseline measured in the same run: all visible text of the page
(``bot.core.text.plain_text``). Also: the reader-comment snippets kept out, and time.

Run: ``PYTHONPATH=$PWD python bench/extraction.py``
"""

from __future__ import annotations

import contextlib
import json
import re
import statistics
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.core.errors import FeedError
from bot.core.text import plain_text
from bot.feeds.article import extract_text

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpora" / "article-pages"


@dataclass
class Figures:
    """Scores of one extractor over the corpus."""

    name: str
    pages: int = 0
    failed: int = 0
    include_kept: int = 0
    include_total: int = 0
    exclude_dropped: int = 0
    exclude_total: int = 0
    comments_dropped: int = 0
    comments_total: int = 0
    seconds: float = 0.0
    f1: list[float] | None = None
    precision: list[float] | None = None
    recall: list[float] | None = None

    @property
    def include_share(self) -> float:
        return self.include_kept / max(self.include_total, 1)

    @property
    def exclude_share(self) -> float:
        return self.exclude_dropped / max(self.exclude_total, 1)

    @property
    def mean_f1(self) -> float:
        return statistics.fmean(self.f1 or [0.0])


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


def _tokens(text: str) -> Counter[str]:
    return Counter(re.findall(r"\w+", text.lower()))


def prf(predicted: str, gold: str) -> tuple[float, float, float]:
    """Token precision, recall and F1 (bag of words, case-folded)."""
    p, g = _tokens(predicted), _tokens(gold)
    common = sum((p & g).values())
    if not common:
        return 0.0, 0.0, 0.0
    precision, recall = common / sum(p.values()), common / sum(g.values())
    return precision, recall, 2 * precision * recall / (precision + recall)


def load_index(corpus: Path = CORPUS) -> list[dict[str, object]]:
    """The corpus index (one dict per page)."""
    lines = (corpus / "index.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def evaluate(name: str, extractor: Callable[[bytes, str], str], corpus: Path = CORPUS) -> Figures:
    """Run ``extractor(html_bytes, url) -> text`` over every page and score it."""
    fig = Figures(name, f1=[], precision=[], recall=[])
    for page in load_index(corpus):
        html = (corpus / str(page["file"])).read_bytes()
        started = time.perf_counter()
        try:
            text = extractor(html, str(page["url"]))
        except FeedError:
            text = ""
            fig.failed += 1
        fig.seconds += time.perf_counter() - started
        fig.pages += 1
        found = _norm(text)
        for snippet in page.get("must_include") or []:  # type: ignore[union-attr]
            fig.include_total += 1
            fig.include_kept += _norm(str(snippet)) in found
        for snippet in page.get("must_exclude") or []:  # type: ignore[union-attr]
            fig.exclude_total += 1
            fig.exclude_dropped += _norm(str(snippet)) not in found
        for snippet in page.get("comment_snippets") or []:  # type: ignore[union-attr]
            fig.comments_total += 1
            fig.comments_dropped += _norm(str(snippet)) not in found
        if page.get("body"):
            p, r, f = prf(text, str(page["body"]))
            fig.precision.append(p)  # type: ignore[union-attr]
            fig.recall.append(r)  # type: ignore[union-attr]
            fig.f1.append(f)  # type: ignore[union-attr]
    return fig


def newsbrief(html: bytes, url: str) -> str:
    """The extractor newsbrief uses."""
    return extract_text(html, url)[1]


def baseline(html: bytes, url: str) -> str:
    """All visible text of the page: what a reader without extraction would get."""
    return plain_text(html.decode("utf-8", "replace"))


def report(fig: Figures) -> str:
    f1 = fig.f1 or [0.0]
    return (
        f"{fig.name:<10} pages {fig.pages}  failed {fig.failed}  "
        f"must-include kept {fig.include_kept}/{fig.include_total} = {fig.include_share:.3f}  "
        f"must-exclude dropped {fig.exclude_dropped}/{fig.exclude_total} = "
        f"{fig.exclude_share:.3f}  comments dropped {fig.comments_dropped}/"
        f"{fig.comments_total}\n{'':<10} token F1 over {len(f1)} bodies: mean "
        f"{statistics.fmean(f1):.3f} median {statistics.median(f1):.3f} min {min(f1):.3f}; "
        f"precision {statistics.fmean(fig.precision or [0]):.3f} recall "
        f"{statistics.fmean(fig.recall or [0]):.3f}; {1000 * fig.seconds / fig.pages:.1f} ms/page"
    )


def main() -> int:
    if not (CORPUS / "index.jsonl").exists():
        print(f"corpus not found: {CORPUS}", file=sys.stderr)
        return 1
    with contextlib.suppress(FeedError):
        newsbrief(b"<html><body><p>warm up</p></body></html>", "")  # import cost not timed
    ours = evaluate("newsbrief", newsbrief)
    base = evaluate("baseline", baseline)
    print(report(ours))
    print(report(base))
    print(
        f"ratio newsbrief/baseline: F1 {ours.mean_f1 / base.mean_f1:.2f}x, "
        f"boilerplate dropped {ours.exclude_share / max(base.exclude_share, 1e-9):.2f}x, "
        f"snippets kept {ours.include_share / base.include_share:.2f}x, "
        f"time {ours.seconds / base.seconds:.1f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
