"""One progress convention for every estimator that learns.

With ``verbose > 0`` a long fit prints one line per step of its outer loop
(an epoch, a chunk of patches), always in the same form::

    [KrotovHebbianTransformer] epoch 3/100: 3.62 s elapsed, ~1 min 57 s left;
    median row p norm 4.1021

(one line on screen). The time left extrapolates the mean time per step so
far. When the number of steps is only an upper bound (a fit that may stop
early), it reads ``at most ~...``.
"""

import time

__all__ = ["Progress", "format_seconds"]


def format_seconds(seconds):
    """``"0.42 s"``, ``"12.3 s"``, ``"4 min 05 s"`` or ``"2 h 03 min"``."""
    if seconds < 10:
        return f"{seconds:.2f} s"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


class Progress:
    """Print progress lines of a fit (nothing at all when ``verbose`` is 0).

    Parameters
    ----------
    estimator : object
        The estimator being fitted; its class name prefixes every line.
    total : int or None
        Number of steps planned; ``None`` for an open-ended stream of steps
        (``partial_fit``), shown without a total or a time left.
    unit : str, default="epoch"
        What one step is called.
    verbose : int, default=0
        Print when positive.
    may_stop_early : bool, default=False
        ``total`` is an upper bound (the time left is then "at most").
    """

    def __init__(
        self, estimator, total, *, unit="epoch", verbose=0, may_stop_early=False
    ):
        self.name = type(estimator).__name__
        self.total = total
        self.unit = unit
        self.verbose = verbose
        self.may_stop_early = may_stop_early
        self.start = time.perf_counter()

    def line(self, done, **metrics):
        """The progress line after ``done`` steps, with ``metrics`` appended."""
        elapsed = time.perf_counter() - self.start
        of_total = "" if self.total is None else f"/{self.total}"
        text = f"[{self.name}] {self.unit} {done}{of_total}: "
        text += f"{format_seconds(elapsed)} elapsed"
        if self.total is not None and 0 < done < self.total:
            left = elapsed / done * (self.total - done)
            bound = "at most ~" if self.may_stop_early else "~"
            text += f", {bound}{format_seconds(left)} left"
        if metrics:
            text += "; " + ", ".join(
                f"{name.replace('_', ' ')} {_format_value(value)}"
                for name, value in metrics.items()
            )
        return text

    def update(self, done, **metrics):
        """Print the line of step ``done`` when verbose."""
        if self.verbose:
            print(self.line(done, **metrics), flush=True)


def _format_value(value):
    if isinstance(value, float):
        return f"{value:.5g}"
    return str(value)
