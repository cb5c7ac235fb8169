"""Plain-text pieces of the training report: the loss curve as a sparkline. Imports no Rich."""

from __future__ import annotations

from collections.abc import Sequence

BARS = "▁▂▃▄▅▆▇█"
WIDTH = 60  # characters of the sparkline; a longer run is averaged into this many buckets


def sparkline(values: Sequence[float], width: int = WIDTH) -> str:
    """The values as block characters, lowest ▁ to highest █; more values than `width` are averaged in buckets."""
    if not values:
        return ""
    if len(values) > width:
        buckets = []
        for k in range(width):
            lo, hi = k * len(values) // width, (k + 1) * len(values) // width
            part = values[lo:hi]
            buckets.append(sum(part) / len(part))
        values = buckets
    low, high = min(values), max(values)
    if high - low <= 0 or high - low != high - low:
        return BARS[len(BARS) // 2 - 1] * len(values)
    scale = (len(BARS) - 1) / (high - low)
    return "".join(BARS[min(len(BARS) - 1, int((v - low) * scale + 0.5))] for v in values)


def every(total: int, k: int) -> list[int]:
    """The steps `--every k` shows: the first, every k-th, and the last."""
    return sorted({1, total, *range(k, total + 1, k)}) if total else []


def default_every(steps: int) -> int:
    """--every unless given: every step up to 100 steps, else about 20 of them."""
    return 1 if steps <= 100 else -(-steps // 20)
