"""Small helpers for the end-to-end tests (stdlib only)."""
import time

__all__ = ["wait_for"]


def wait_for(pred, timeout=10.0, interval=0.02, what=None):
    """Poll pred() until it returns something truthy, and return that.

    Raises AssertionError after `timeout` seconds, naming `what` (or the
    predicate) and its last value, so a failing test says what it waited for.
    An exception from pred() propagates at once: it is a bug, not a wait.
    """
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = pred()
        if last:
            return last
        if time.monotonic() >= deadline:
            name = what or getattr(pred, "__name__", "condition")
            raise AssertionError(f"timed out after {timeout}s waiting for {name} (last: {last!r})")
        time.sleep(interval)
