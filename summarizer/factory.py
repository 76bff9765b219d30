"""Building a summariser by method name: the one entry point the bot configures.

The chain always ends with lead, so a summary is always produced: `seq2seq` falls back to
`embedding`, `learned` falls back to `embedding` (same encoder, no scorer weights needed),
and `embedding` falls back to `lead` (see `summarizer.chain`).
"""

from __future__ import annotations

from typing import Literal, get_args

from summarizer.base import Backend, Summarizer
from summarizer.chain import ChainSummarizer
from summarizer.embedding import EmbeddingBackend
from summarizer.encoder import SentenceEncoder
from summarizer.lead import LeadBackend
from summarizer.learned import LearnedBackend
from summarizer.seq2seq import Seq2SeqBackend

Method = Literal["lead", "embedding", "learned", "seq2seq"]
"""The summarisation methods (the type of the bot's ``NEWSBRIEF_SUMMARIZER`` setting)."""
METHODS: tuple[Method, ...] = get_args(Method)
DEFAULT_METHOD: Method = "learned"


def build_summarizer(
    method: str = DEFAULT_METHOD,
    *,
    model: str | None = None,
    num_threads: int | None = None,
    encoder: SentenceEncoder | None = None,
) -> Summarizer:
    """Build the summariser for `method`, wrapped in the fallback chain.

    Nothing is loaded here: models load lazily on the first `summarize` call.

    Args:
        method: "lead", "embedding", "learned" (default) or "seq2seq" (setting
            `NEWSBRIEF_SUMMARIZER`).
        model: The seq2seq model id or local directory (setting
            `NEWSBRIEF_SUMMARIZER_MODEL`); default `summarizer.seq2seq.DEFAULT_MODEL`.
            Ignored by the other methods.
        num_threads: torch threads for inference (process-wide); default: the CPUs this
            process may use minus one, at least one (see `summarizer.runtime.prepare_torch`).
        encoder: The sentence encoder of the embedding and learned backends (pass the one
            the rest of the process shares); default: a new one on the packaged MiniLM.

    Returns:
        A thread-safe `Summarizer` whose `name` is `method`.

    Raises:
        ValueError: `method` is not one of `METHODS`.
    """
    if method not in METHODS:
        raise ValueError(
            f"unknown summarizer method {method!r}; choose one of {', '.join(METHODS)}"
        )
    chain: list[Backend] = []
    if method == "seq2seq":
        chain.append(Seq2SeqBackend(model, num_threads=num_threads))
    encoder = encoder or SentenceEncoder(num_threads=num_threads)
    if method == "learned":
        chain.append(LearnedBackend(encoder))
    if method in ("seq2seq", "embedding", "learned"):
        chain.append(EmbeddingBackend(encoder))
    chain.append(LeadBackend())
    return ChainSummarizer(method, chain)
