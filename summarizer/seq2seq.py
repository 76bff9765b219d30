"""The seq2seq backend: abstractive summaries from any encoder-decoder model.

transformers 5 removed `pipeline("summarization")`, so this module does the pipeline's job
itself: tokenizer -> `AutoModelForSeq2SeqLM.generate()` -> decode. Any model id in the local
Hugging Face cache or any local directory works (BART, DistilBART, PEGASUS, T5: a T5-style
"summarize: " prefix is taken from the model's `task_specific_params`). Models are loaded
with `local_files_only=True`: the bot never downloads weights at run time; fetch them once
beforehand (`huggingface-cli download <id>`) or point `NEWSBRIEF_SUMMARIZER_MODEL` at a
directory.

Long articles are split at sentence boundaries into chunks that fit the model's input window
(at most `max_chunks`, from the top: news is front-loaded). Chunk summaries are generated in
batches; when there are several, their concatenation is summarised once more if it fits the
window. Generation settings: beam search (4 beams), `no_repeat_ngram_size=3`, and length
bounds derived from the word budget. A summary cut off by the token limit loses its
unfinished last sentence (or, when it is the only one, ends with "…"); one the model ended
without punctuation gets a full stop.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from summarizer.base import BackendUnavailable, Budget, Document
from summarizer.budget import ELLIPSIS, fit
from summarizer.runtime import prepare_torch
from summarizer.sentences import ends_sentence, split_sentences

logger = logging.getLogger(__name__)

DEFAULT_MODEL = "sshleifer/distilbart-cnn-12-6"
MAX_WINDOW = 1024
_FALLBACK_WINDOW = 512


@dataclass(frozen=True)
class GenerationSettings:
    """How summaries are generated; the model's own summarisation settings win for the
    beam count, `no_repeat_ngram_size` and length penalty."""

    num_beams: int = 4
    no_repeat_ngram_size: int = 3
    length_penalty: float = 1.0
    tokens_per_word: float = 1.5
    words_per_sentence: int = 25
    max_chunks: int = 4
    batch_size: int = 4


class Seq2SeqBackend:
    """Abstractive summaries with `AutoModelForSeq2SeqLM.generate()`; thread-safe.

    Args:
        model: Model id (from the local Hugging Face cache) or a local directory.
        settings: Generation settings.
        num_threads: torch threads (see `summarizer.runtime.prepare_torch`).
    """

    name = "seq2seq"

    def __init__(
        self,
        model: str | None = None,
        *,
        settings: GenerationSettings | None = None,
        num_threads: int | None = None,
    ) -> None:
        self._model_name = model or DEFAULT_MODEL
        self._settings = settings or GenerationSettings()
        self._num_threads = num_threads
        self._lock = threading.Lock()
        self._tokenizer: Any = None
        self._model: Any = None
        self._prefix = ""
        self._window = _FALLBACK_WINDOW
        self._generate_kwargs: dict[str, Any] = {}

    def load(self) -> None:
        """Load tokenizer and model once.

        Raises:
            BackendUnavailable: The model is not available locally or cannot be loaded.
        """
        with self._lock:
            if self._model is None:
                self._load_locked()

    def _load_locked(self) -> None:
        try:
            prepare_torch(self._num_threads)
            from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

            tokenizer = AutoTokenizer.from_pretrained(self._model_name, local_files_only=True)
            model = AutoModelForSeq2SeqLM.from_pretrained(
                self._model_name, local_files_only=True
            ).eval()
        except (ImportError, OSError, ValueError, KeyError) as exc:
            raise BackendUnavailable(
                f"cannot load seq2seq model {self._model_name}: {exc}"
            ) from exc
        task = (getattr(model.config, "task_specific_params", None) or {}).get("summarization", {})
        self._prefix = str(task.get("prefix", ""))
        self._generate_kwargs = {
            "num_beams": int(task.get("num_beams", self._settings.num_beams)),
            "no_repeat_ngram_size": int(
                task.get("no_repeat_ngram_size", self._settings.no_repeat_ngram_size)
            ),
            "length_penalty": float(task.get("length_penalty", self._settings.length_penalty)),
            "do_sample": False,
        }
        if self._generate_kwargs["num_beams"] > 1:
            self._generate_kwargs["early_stopping"] = True
        limits = [
            getattr(model.config, "max_position_embeddings", None),
            tokenizer.model_max_length if tokenizer.model_max_length < 10**6 else None,
        ]
        known = [int(limit) for limit in limits if limit]
        self._window = min([MAX_WINDOW, *known]) if known else _FALLBACK_WINDOW
        self._tokenizer, self._model = tokenizer, model
        logger.info("loaded seq2seq model %s (window %d tokens)", self._model_name, self._window)

    def summarize_documents(
        self, documents: Sequence[Document], budget: Budget
    ) -> list[tuple[str, ...]]:
        """Generate a summary per document and fit it to the budget."""
        self.load()
        target_words = (
            budget.max_words
            if budget.sentences is None
            else budget.sentences * self._settings.words_per_sentence
        )
        max_new = math.ceil(target_words * self._settings.tokens_per_word) + 8
        with self._lock:
            chunked = [self._chunks(doc.sentences) for doc in documents]
            flat = self._generate([c for chunks in chunked for c in chunks], max_new)
            texts: list[tuple[str, bool]] = []
            start = 0
            for chunks in chunked:
                parts = flat[start : start + len(chunks)]
                start += len(chunks)
                texts.append(self._combine(parts, max_new))
        return [
            fit(
                enumerate(_complete_sentences(text, finished)),
                budget,
                title=doc.title,
                contiguous=True,
            )
            for doc, (text, finished) in zip(documents, texts, strict=True)
        ]

    def _combine(self, parts: list[tuple[str, bool]], max_new: int) -> tuple[str, bool]:
        if len(parts) == 1:
            return parts[0]
        joined = " ".join(text for text, _ in parts if text)
        if self._count_tokens(self._prefix + joined) <= self._window - 2:
            return self._generate([joined], max_new)[0]
        return joined, all(finished for _, finished in parts)

    def _count_tokens(self, text: str) -> int:
        # verbose=False: counting a long text is fine; it is never fed to the model whole.
        return len(self._tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"])

    def _chunks(self, sentences: Sequence[str]) -> list[str]:
        """Pack sentences into at most `max_chunks` pieces that fit the input window."""
        room = self._window - 2 - self._count_tokens(self._prefix)
        counts = self._tokenizer(list(sentences), add_special_tokens=False, verbose=False)[
            "input_ids"
        ]
        chunks: list[list[str]] = [[]]
        used = 0
        for sentence, ids in zip(sentences, counts, strict=True):
            if chunks[-1] and used + len(ids) > room:
                if len(chunks) == self._settings.max_chunks:
                    break
                chunks.append([])
                used = 0
            chunks[-1].append(sentence)
            used += len(ids)
        return [" ".join(chunk) for chunk in chunks]

    def _generate(self, texts: list[str], max_new: int) -> list[tuple[str, bool]]:
        """Summaries of `texts` (length-sorted batches) and whether each ended by itself."""
        import torch

        results: list[tuple[str, bool]] = [("", False)] * len(texts)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        eos = self._model.config.eos_token_id
        for start in range(0, len(order), self._settings.batch_size):
            batch = order[start : start + self._settings.batch_size]
            encoded = self._tokenizer(
                [self._prefix + texts[i] for i in batch],
                truncation=True,
                max_length=self._window,
                padding=True,
                return_tensors="pt",
            )
            with torch.inference_mode():
                output = self._model.generate(
                    **encoded,
                    max_new_tokens=max_new,
                    min_new_tokens=min(max_new // 3, 24),
                    **self._generate_kwargs,
                )
            for row, i in zip(output, batch, strict=True):
                finished = eos is not None and bool((row[1:] == eos).any())
                text = self._tokenizer.decode(row, skip_special_tokens=True).strip()
                results[i] = (" ".join(text.split()), finished)
        return results


def _complete_sentences(text: str, finished: bool) -> list[str]:
    """Sentences of a generated summary, without an unfinished last one."""
    sentences = split_sentences(text)
    if not sentences or ends_sentence(sentences[-1]):
        return sentences
    if finished:  # the model ended it without punctuation
        return [*sentences[:-1], sentences[-1].rstrip(" ,;:-–—") + "."]
    if len(sentences) > 1:
        return sentences[:-1]
    return [sentences[0].rstrip(" ,;:-–—") + ELLIPSIS]
