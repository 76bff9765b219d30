"""Text cleaning, sentence splitting and summarisation of news articles for newsbrief.

Independent of the bot: it never imports `bot`. Importing it is cheap; torch and
transformers load only when a model backend first runs.

    from summarizer import Article, build_summarizer
    summarizer = build_summarizer("embedding")
    [summary] = summarizer.summarize([Article(title, html)], max_words=60, max_chars=600)
"""

from summarizer.base import Article, Summarizer, Summary
from summarizer.clean import clean_text, clean_title
from summarizer.factory import METHODS, build_summarizer
from summarizer.sentences import split_sentences

__all__ = [
    "METHODS",
    "Article",
    "Summarizer",
    "Summary",
    "build_summarizer",
    "clean_text",
    "clean_title",
    "split_sentences",
]
