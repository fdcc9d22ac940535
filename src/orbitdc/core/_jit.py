"""The one way orbitdc compiles a kernel with numba.

Kernels are cached on disk (next to the source, or in the user's cache directory) so that
only the first run after installing pays for compiling them. Where neither place is writable
(a read-only installation run by a user without a home directory), numba refuses to cache;
the kernel is then compiled in each process instead of failing.
"""

from __future__ import annotations

from numba import njit

__all__ = ["kernel"]

#: NumPy's floating-point semantics (a division by zero gives inf or NaN, not an exception);
#: the GIL released while a kernel runs.
OPTIONS = {"error_model": "numpy", "nogil": True}


def kernel(fn):
    """Compile ``fn`` with numba in nopython mode, cached on disk where possible."""
    try:
        return njit(cache=True, **OPTIONS)(fn)
    except RuntimeError:  # "cannot cache function ...: no locator available"
        return njit(cache=False, **OPTIONS)(fn)
