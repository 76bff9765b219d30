"""A tiny randomly initialised seq2seq model, built offline, for tests and benchmarks.

No weights can be downloaded here, so the seq2seq backend's real loading and generation path
is exercised with a model built on the spot: a byte-level BPE tokenizer trained in
milliseconds on a few sentences, and a BART (or T5) with 32-dimensional layers. Saved with
`save_pretrained`, it loads through `AutoTokenizer`/`AutoModelForSeq2SeqLM` like any model
directory. Its output is gibberish; only the plumbing is real.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

_TRAINING_TEXT = (
    "Rescue teams reached the flooded village on Tuesday, officials said.",
    "The government promised new funding for schools and hospitals.",
    "Shares in the company fell after it reported lower profits.",
    "The striker scored twice as his team won the cup final.",
    "Scientists said the new vaccine had worked well in early trials.",
    "Police asked witnesses to come forward after the crash.",
)
_SPECIAL_TOKENS = ("<pad>", "<s>", "</s>", "<unk>", "<mask>")
WINDOW = 128


def _tokenizer(vocab_size: int) -> Any:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    core = Tokenizer(models.BPE(unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(_SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    core.train_from_iterator(list(_TRAINING_TEXT) * 10, trainer=trainer)
    start, end = core.token_to_id("<s>"), core.token_to_id("</s>")
    core.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", start), ("</s>", end)],
    )
    return PreTrainedTokenizerFast(  # type: ignore[no-untyped-call]
        tokenizer_object=core,
        bos_token="<s>",
        eos_token="</s>",
        pad_token="<pad>",
        unk_token="<unk>",
        mask_token="<mask>",
        model_max_length=WINDOW,
    )


def build_tiny_seq2seq(directory: str | Path, *, kind: str = "bart", seed: int = 0) -> Path:
    """Build and save a tiny random seq2seq model and its tokenizer.

    Args:
        directory: Where to save (created if missing).
        kind: "bart" or "t5".
        seed: torch seed for the random weights.

    Returns:
        The directory, loadable with `from_pretrained(directory, local_files_only=True)`.
    """
    import torch
    from transformers import (
        BartConfig,
        BartForConditionalGeneration,
        T5Config,
        T5ForConditionalGeneration,
    )

    path = Path(directory)
    tokenizer = _tokenizer(vocab_size=300)
    torch.manual_seed(seed)
    ids: dict[str, Any] = {
        "vocab_size": len(tokenizer),
        "pad_token_id": tokenizer.pad_token_id,
        "eos_token_id": tokenizer.eos_token_id,
    }
    model: Any
    if kind == "bart":
        bart = BartConfig(
            d_model=32, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
            decoder_attention_heads=2, encoder_ffn_dim=64, decoder_ffn_dim=64,
            max_position_embeddings=WINDOW, bos_token_id=tokenizer.bos_token_id,
            decoder_start_token_id=tokenizer.eos_token_id, **ids,
        )  # fmt: skip
        model = BartForConditionalGeneration(bart)
    elif kind == "t5":
        # T5 starts decoding from the pad token (BART from the end token).
        ids["decoder_start_token_id"] = tokenizer.pad_token_id
        t5 = T5Config(
            d_model=32, d_kv=16, d_ff=64, num_layers=1, num_decoder_layers=1, num_heads=2, **ids
        )
        model = T5ForConditionalGeneration(t5)
    else:
        raise ValueError(f"unknown tiny model kind {kind!r}; use 'bart' or 't5'")
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path
