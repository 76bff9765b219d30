"""Sentence features for the learned scorer (`summarizer.learned`), pure numpy.

One row per sentence of an article: the sentence's MiniLM embedding followed by the surface
and context features named in `SURFACE_FEATURES`. The headline is optional: the query the
sentences are compared with is the article's centroid, moved towards the headline when there
is one (the development data has no headlines, so no weight can be learned for a headline
term of its own; the headline instead sharpens a feature the model already weighs).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from summarizer.scoring import lexical_centrality

_POSITION_BINS = (0, 1, 2, 3, 4, 5, 6, 9, 15)  # bin b holds positions [BINS[b], BINS[b+1])
SURFACE_FEATURES = (
    *(f"position_{start}" for start in _POSITION_BINS),
    "relative_position",
    "query_similarity",
    "query_similarity_rank",
    "lexical_centrality",
    "mean_similarity",
    "max_similarity",
    "first_similarity",
    "log_words",
    "short",
    "long",
    "numbers",
    "has_number",
    "names",
    "name_share",
    "quote",
    "starts_with_quote",
    "question",
    "said",
    "log_sentences",
    "short_article_lead",
)
_NUMBER = re.compile(r"\d")
_NUMBER_TOKEN = re.compile(
    r"\b(?:\d[\d,.]*|one|two|three|four|five|six|seven|eight|nine|ten|dozens?|hundreds?|"
    r"thousands?|millions?|billions?)\b",
    re.I,
)
_QUOTES = '"“”‘’'
_SAID = re.compile(r"\b(?:said|says|told|added|according)\b", re.I)
_CAPITALISED = re.compile(r"^[A-Z][\w'’-]*")


def _names(sentence: str) -> int:
    """Capitalised words that do not start the sentence: names, places, organisations."""
    tokens = sentence.split()
    count = 0
    for i, token in enumerate(tokens[1:], start=1):
        stripped = token.strip(_QUOTES + "([")
        previous = tokens[i - 1]
        if _CAPITALISED.match(stripped) and not previous.endswith((".", "!", "?", ":")):
            count += 1
    return count


def _unit(vector: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


def sentence_features(
    embeddings: npt.NDArray[np.float32],
    sentences: Sequence[str],
    title_embedding: npt.NDArray[np.float32] | None = None,
) -> npt.NDArray[np.float64]:
    """The feature matrix of one article.

    Args:
        embeddings: `(n, 384)` unit sentence embeddings, article order.
        sentences: The `n` sentences.
        title_embedding: `(384,)` unit embedding of the headline, or None.

    Returns:
        `(n, 384 + len(SURFACE_FEATURES))` float64 rows.
    """
    n = len(sentences)
    vectors = embeddings.astype(np.float64)
    query = _unit(vectors.sum(axis=0))
    if title_embedding is not None:
        query = _unit(query + title_embedding.astype(np.float64))
    similarity = vectors @ vectors.T
    off_diagonal = ~np.eye(n, dtype=bool)
    others = max(1, n - 1)
    to_query = vectors @ query
    rank = np.argsort(np.argsort(-to_query, kind="stable"), kind="stable")
    positions = np.arange(n)
    words = np.array([len(s.split()) for s in sentences], dtype=np.float64)
    numbers = np.array([len(_NUMBER_TOKEN.findall(s)) for s in sentences], dtype=np.float64)
    names = np.array([_names(s) for s in sentences], dtype=np.float64)
    columns: list[npt.NDArray[np.float64]] = []
    edges = (*_POSITION_BINS, 10**9)
    for start, stop in itertools.pairwise(edges):
        columns.append(((positions >= start) & (positions < stop)).astype(np.float64))
    columns += [
        positions / others,
        to_query,
        rank / others,
        lexical_centrality(sentences),
        np.where(off_diagonal, similarity, 0.0).sum(axis=1) / others,
        np.where(off_diagonal, similarity, -1.0).max(axis=1) if n > 1 else np.zeros(n),
        similarity[:, 0],
        np.log1p(words),
        (words < 10).astype(np.float64),
        (words > 45).astype(np.float64),
        np.minimum(numbers, 5.0),
        np.array([bool(_NUMBER.search(s)) for s in sentences], dtype=np.float64),
        np.minimum(names, 8.0),
        names / np.maximum(words, 1.0),
        np.array([any(q in s for q in _QUOTES) for s in sentences], dtype=np.float64),
        np.array([s[:1] in _QUOTES for s in sentences], dtype=np.float64),
        np.array(["?" in s for s in sentences], dtype=np.float64),
        np.array([bool(_SAID.search(s)) for s in sentences], dtype=np.float64),
        np.full(n, np.log1p(n)),
        (positions < 3).astype(np.float64) * (n <= 12),
    ]
    surface = np.stack(columns, axis=1)
    return np.concatenate([vectors, surface], axis=1)
