"""Benchmark: articles per second and peak RSS of each summarisation method.

    PYTHONPATH=. python bench/summarize.py [--batch 8] [--repeat 2] [--threads N]
        [--encoders onnx-int8,onnx,torch]

Articles: the CNN/DailyMail development articles of 500-700 words (~600 on average), read
from ../shared/eval-data (never copied into the repository). Methods: lead, embedding
(packaged MiniLM) and seq2seq with a tiny random BART that this script builds in a
temporary directory (it measures the plumbing, not a real model's speed), and every other
method the factory knows. Each method that uses the sentence encoder is run once per encoder
backend of `--encoders` (`summarizer.encoder.BACKENDS`); ONNX exports are built in their own
subprocess before the clock (as on a bot's second start: the export is cached), so a worker
measures the steady state.

Each method runs in its own subprocess, so its peak RSS is its own and one method's imports
or caches cannot help or hurt another. Peak RSS is `VmHWM` from /proc/self/status (the
peak of the process's own address space; `ru_maxrss` would include the parent's RSS at fork
time on Linux); the parent never imports torch (the tiny model is built in a subprocess).
Models are loaded by a warm-up call before the clock starts; load time is reported
separately. Throughput is the best of `--repeat` passes over the articles, summarised in
batches of `--batch` (the bot summarises the new stories of a poll together). Figures are
printed with their ratio to lead and to the fp32 torch encoder measured in the same run,
because these machines are noisy;
the load average is printed too. CPU ms per article is the process CPU time (all threads):
unlike art/s it does not grow while the process waits for a core another process holds.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "eval-data" / "cnndm-dev.jsonl"
ENCODER_FREE = ("lead",)
MIN_WORDS, MAX_WORDS = 500, 700


def _articles() -> list[str]:
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line]
    return [r["article"] for r in rows if MIN_WORDS <= len(r["article"].split()) <= MAX_WORDS]


def _peak_rss_mb() -> float:
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _worker(
    method: str, model: str | None, batch: int, repeat: int, threads: int | None
) -> dict[str, float]:
    """Runs in the subprocess: summarise the articles, report speed and peak RSS."""
    from summarizer import Article, build_summarizer

    articles = [Article("", text) for text in _articles()]
    summarizer = build_summarizer(method, model=model, num_threads=threads)
    start = time.perf_counter()
    summarizer.summarize(articles[:1])
    load_seconds = time.perf_counter() - start
    best = best_cpu = float("inf")
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        for i in range(0, len(articles), batch):
            summaries = summarizer.summarize(articles[i : i + batch])
            if any(s.method != method for s in summaries):
                raise SystemExit(f"{method} fell back: {[s.method for s in summaries]}")
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - start_cpu)
    return {
        "articles": len(articles),
        "articles_per_second": len(articles) / best,
        "cpu_ms_per_article": 1000 * best_cpu / len(articles),
        "load_seconds": load_seconds,
        "peak_rss_mb": _peak_rss_mb(),
        "torch_imported": float("torch" in sys.modules),
    }


def _run(
    method: str,
    model: str | None,
    batch: int,
    repeat: int,
    threads: int | None,
    encoder: str,
) -> dict[str, float]:
    command = [sys.executable, __file__, "--worker", method, "--batch", str(batch)]
    command += ["--repeat", str(repeat)] + (["--model", model] if model else [])
    command += ["--threads", str(threads)] if threads else []
    env = {**os.environ, "NEWSBRIEF_ENCODER": encoder}
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    if done.returncode != 0:
        raise SystemExit(f"{method} worker failed:\n{done.stderr}")
    result: dict[str, float] = json.loads(done.stdout.splitlines()[-1])
    return result


def _export(encoder: str) -> None:
    """Build (or check) the encoder's cached export, in a subprocess of its own."""
    if encoder != "torch":
        env = {**os.environ, "NEWSBRIEF_ENCODER": encoder}
        subprocess.run([sys.executable, __file__, "--build-encoder"], check=True, env=env)


def main() -> int:
    from summarizer.encoder import BACKENDS
    from summarizer.factory import METHODS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--threads", type=int, help="torch threads (default: the library's)")
    parser.add_argument(
        "--encoders",
        default=",".join(BACKENDS),
        help="encoder backends to compare, comma-separated (default: %(default)s)",
    )
    parser.add_argument("--worker", choices=METHODS, help=argparse.SUPPRESS)
    parser.add_argument("--build-encoder", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    parser.add_argument("--build-tiny", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not DATA.exists():
        print(f"error: development data not found at {DATA}", file=sys.stderr)
        return 2
    if args.build_tiny:
        from summarizer.tiny_model import build_tiny_seq2seq

        build_tiny_seq2seq(args.build_tiny)
        return 0
    if args.build_encoder:
        from summarizer.encoder import SentenceEncoder

        SentenceEncoder().load()
        return 0
    if args.worker:
        result = _worker(args.worker, args.model, args.batch, args.repeat, args.threads)
        print(json.dumps(result))
        return 0
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the workers inherit it: never download
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    encoders = [e for e in args.encoders.split(",") if e]
    if unknown := set(encoders) - set(BACKENDS):
        print(f"error: unknown encoders {sorted(unknown)}; known: {BACKENDS}", file=sys.stderr)
        return 2
    if "torch" not in encoders:
        encoders.append("torch")  # the baseline of the ratios
    for encoder in encoders:
        _export(encoder)
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tiny:
        subprocess.run([sys.executable, __file__, "--build-tiny", tiny], check=True)
        for method in METHODS:
            model = tiny if method == "seq2seq" else None
            for encoder in ("torch",) if method in ENCODER_FREE else encoders:
                label = method if method in ENCODER_FREE else f"{method} [{encoder}]"
                if method == "seq2seq":
                    label = f"seq2seq (tiny BART) [{encoder}]"
                    if encoder != "torch":
                        continue  # its encoder is only the fallback: one row is enough
                results[label] = _run(method, model, args.batch, args.repeat, args.threads, encoder)
    lead = results["lead"]
    base = results.get("embedding [torch]", lead)
    print(
        f"{int(lead['articles'])} CNN/DM dev articles of {MIN_WORDS}-{MAX_WORDS} words, "
        f"batches of {args.batch}, best of {args.repeat}; {os.cpu_count()} CPUs, "
        f"torch threads {args.threads or 'default'}, "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    print("ratios: to lead, and to `embedding [torch]` (the fp32 torch encoder) in this run")
    header = (
        *("method [encoder]", "art/s", "vs lead", "vs torch", "CPU ms/art", "vs torch"),
        *("peak RSS MB", "vs torch", "load s", "torch"),
    )
    print("{:<34}{:>8}{:>9}{:>9}{:>11}{:>9}{:>12}{:>9}{:>7}{:>6}".format(*header))
    for label, r in results.items():
        speed, cpu, rss = r["articles_per_second"], r["cpu_ms_per_article"], r["peak_rss_mb"]
        print(
            f"{label:<34}{speed:8.2f}{speed / lead['articles_per_second']:9.4f}"
            f"{speed / base['articles_per_second']:9.2f}{cpu:11.1f}"
            f"{cpu / base['cpu_ms_per_article']:9.2f}{rss:12.0f}"
            f"{rss / base['peak_rss_mb']:9.2f}{r['load_seconds']:7.2f}"
            f"{'yes' if r['torch_imported'] else 'no':>6}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
