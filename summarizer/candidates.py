"""Features of candidate summaries (sets of an article's sentences), for the learned selection.

ROUGE rewards the right *set* of sentences (coverage, little repetition, the length used),
not the best sentences one by one, so the learned backend scores whole candidate summaries
(`summarizer.knapsack` enumerates them). One row per candidate, pure numpy; all columns are
computed from the article itself (no reference), named in `SET_FEATURES`:

* meaning: cosine of the set's mean embedding to the article centroid and to the centroid of
  the sentences left out; mean and max cosine between two chosen sentences (repetition);
* words (content words, `summarizer.words.content_tokens`): unigram F1 and precision and
  bigram F1 of the set against the rest of the article, the share of the article's repeated
  words (weighted by how many sentences use them) that the set contains, and the share of
  the set's own words that it repeats;
* the `embedding` relevance of its sentences (`summarizer.scoring.relevance`): sum, mean, min;
* position: has the first sentence, first / mean / last position, is a prefix of the article;
* length: one / two / three sentences, sentences and words relative to the budget (and words
  squared), over the word budget, the shortest sentence;
* the lead, for a budget of N sentences: is the candidate the article's first N sentences, and
  how many of them it holds (0 for word budgets, where the column cost ROUGE in
  cross-validation). Lead-N is a strong summary of news; these let the scorer keep it unless
  another set looks clearly better.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from summarizer.base import Budget
from summarizer.words import content_tokens, count_words

SET_FEATURES = (
    "centroid_similarity",
    "rest_similarity",
    "mean_pair_similarity",
    "max_pair_similarity",
    "unigram_f1_rest",
    "unigram_precision_rest",
    "bigram_f1_rest",
    "repeated_word_coverage",
    "self_repetition",
    "relevance_sum",
    "relevance_mean",
    "relevance_min",
    "has_first",
    "log_first_position",
    "mean_relative_position",
    "log_last_position",
    "prefix",
    "one_sentence",
    "two_sentences",
    "three_sentences",
    "sentence_share",
    "word_share",
    "word_share_squared",
    "over_budget",
    "log_shortest",
    "is_lead",
    "lead_sentences",
)
_SENTENCES_AT_A_WORD_BUDGET = 4  # the scale of `sentence_share` when the budget is in words

Matrix = npt.NDArray[np.float64]


def count_matrix(token_lists: Sequence[Sequence[str]], order: int) -> Matrix:
    """`(n, v)` counts of each list's n-grams of `order` over their joint vocabulary."""
    vocabulary: dict[tuple[str, ...], int] = {}
    cells: list[tuple[int, int]] = []
    for row, tokens in enumerate(token_lists):
        for start in range(len(tokens) - order + 1):
            gram = tuple(tokens[start : start + order])
            cells.append((row, vocabulary.setdefault(gram, len(vocabulary))))
    counts = np.zeros((len(token_lists), max(1, len(vocabulary))))
    for row, column in cells:
        counts[row, column] += 1
    return counts


def f1(candidates: Matrix, reference: Matrix) -> npt.NDArray[np.float64]:
    """Per row, the n-gram F1 of `candidates[m]` against `reference[m]` (rows of counts)."""
    overlap = np.minimum(candidates, reference).sum(axis=1)
    precision = overlap / np.maximum(candidates.sum(axis=1), 1e-12)
    recall = overlap / np.maximum(reference.sum(axis=1), 1e-12)
    result: npt.NDArray[np.float64] = np.where(
        overlap > 0, 2 * precision * recall / np.maximum(precision + recall, 1e-12), 0.0
    )
    return result


def _unit_rows(vectors: Matrix) -> Matrix:
    result: Matrix = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return result


def _lead_columns(
    index: npt.NDArray[np.int_], masks: Matrix, size: Matrix, n: int, budget: Budget
) -> tuple[Matrix, Matrix]:
    """`is_lead` and `lead_sentences` (module docstring); zeros for a word budget."""
    if budget.sentences is None:
        return np.zeros(len(masks)), np.zeros(len(masks))
    lead = min(budget.sentences, n)
    held = masks @ (index < lead).astype(np.float64)
    return ((held == lead) & (size == lead)).astype(np.float64), held


def set_features(
    embeddings: npt.NDArray[np.float32],
    sentences: Sequence[str],
    relevance: npt.NDArray[np.float64],
    pool: Sequence[int],
    masks: Matrix,
    budget: Budget,
) -> Matrix:
    """The feature rows of candidate summaries of one article.

    Args:
        embeddings: `(n, d)` unit sentence embeddings, article order.
        sentences: The `n` sentences.
        relevance: `(n,)` relevance of each sentence (`summarizer.scoring.relevance`).
        pool: `k` ascending sentence positions the candidates are made of.
        masks: `(m, k)` 0/1 rows, one per candidate (at least one 1 each).
        budget: The length limits the candidates were made for.

    Returns:
        `(m, len(SET_FEATURES))` float64 rows.
    """
    n = len(sentences)
    index = np.asarray(pool)
    vectors = embeddings.astype(np.float64)
    total = vectors.sum(axis=0)
    chosen = masks @ vectors[index]
    centroid = total / max(float(np.linalg.norm(total)), 1e-12)
    unit_chosen = _unit_rows(chosen)
    similarity = vectors[index] @ vectors[index].T
    size = masks.sum(axis=1)
    pairs = size * (size - 1) / 2
    pair_sum = (np.einsum("mi,ij,mj->m", masks, similarity, masks) - size) / 2
    max_pair = np.zeros(len(masks))
    for a, b in itertools.combinations(range(len(index)), 2):
        both = (masks[:, a] > 0) & (masks[:, b] > 0)
        max_pair = np.where(both, np.maximum(max_pair, similarity[a, b]), max_pair)
    tokens = [content_tokens(sentence) for sentence in sentences]
    unigrams, bigrams = count_matrix(tokens, 1), count_matrix(tokens, 2)
    set_unigrams, set_bigrams = masks @ unigrams[index], masks @ bigrams[index]
    rest_unigrams = unigrams.sum(axis=0) - set_unigrams
    rest_bigrams = bigrams.sum(axis=0) - set_bigrams
    spread = (unigrams > 0).sum(axis=0).astype(np.float64)
    repeated = np.where(spread >= 2, spread, 0.0)
    set_tokens = set_unigrams.sum(axis=1)
    words = np.array([count_words(sentences[i]) for i in index], dtype=np.float64)
    total_words = masks @ words
    positions = index.astype(np.float64)
    first = np.where(masks > 0, positions, np.inf).min(axis=1)
    last = np.where(masks > 0, positions, -1.0).max(axis=1)
    picked_relevance = relevance[index]
    by_words = budget.sentences is None
    columns = [
        unit_chosen @ centroid,
        (unit_chosen * _unit_rows(total - chosen)).sum(axis=1),
        np.where(pairs > 0, pair_sum / np.maximum(pairs, 1.0), 0.0),
        max_pair,
        f1(set_unigrams, rest_unigrams),
        np.minimum(set_unigrams, rest_unigrams).sum(axis=1) / np.maximum(set_tokens, 1.0),
        f1(set_bigrams, rest_bigrams),
        ((set_unigrams > 0) @ repeated) / max(float(repeated.sum()), 1.0),
        (set_tokens - (set_unigrams > 0).sum(axis=1)) / np.maximum(set_tokens, 1.0),
        masks @ picked_relevance,
        (masks @ picked_relevance) / size,
        np.where(masks > 0, picked_relevance, np.inf).min(axis=1),
        (first == 0).astype(np.float64),
        np.log1p(first),
        (masks @ positions) / size / max(n - 1, 1),
        np.log1p(last),
        (last + 1 == size).astype(np.float64),
        (size == 1).astype(np.float64),
        (size == 2).astype(np.float64),
        (size == 3).astype(np.float64),
        size / (_SENTENCES_AT_A_WORD_BUDGET if by_words else budget.sentences or 1),
        total_words / budget.max_words,
        (total_words / budget.max_words) ** 2,
        (total_words > budget.max_words).astype(np.float64) if by_words else np.zeros(len(masks)),
        np.log1p(np.where(masks > 0, words, np.inf).min(axis=1)),
        *_lead_columns(index, masks, size, n, budget),
    ]
    return np.stack(columns, axis=1)
