"""Process-wide torch and transformers settings shared by the model backends.

torch and transformers are imported inside these functions only, so importing the package
stays cheap and the lead backend never loads them.
"""

from __future__ import annotations

import logging
import os

logger = logging.getLogger(__name__)


def available_cpus() -> int:
    """CPUs this process may run on (the affinity mask, which containers restrict)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def default_threads(num_threads: int | None = None) -> int:
    """Inference threads: `num_threads`, else the CPUs available minus one, at least one."""
    return num_threads or max(1, available_cpus() - 1)


def prepare_torch(num_threads: int | None = None) -> None:
    """Set torch's intra-op thread count and silence transformers' loading progress bars.

    torch defaults to the number of physical cores of the host, which oversubscribes a
    container limited to fewer CPUs. The default leaves one CPU to the rest of the bot (the
    event loop serving Telegram and Discord must not stall, feeds are parsed in threads):
    on the 2-CPU development machine one torch thread also encoded faster than two
    (bench/summarize.py: 3.34 and 3.95 against 1.82-3.19 articles/s, and ~40% less CPU
    time per article). The setting is process-wide; the backends are the only torch users
    in newsbrief.

    Args:
        num_threads: Threads for inference; default: the CPUs available to this process
            minus one, at least one.
    """
    import torch
    from transformers.utils import logging as hf_logging

    wanted = default_threads(num_threads)
    if torch.get_num_threads() != wanted:
        logger.info("setting torch intra-op threads from %d to %d", torch.get_num_threads(), wanted)
        torch.set_num_threads(wanted)
    # The "Loading weights" bar would go to the bot's stderr on every start.
    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
