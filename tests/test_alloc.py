"""The allocator setting the command makes (orbitdc.core._alloc): freed arrays reused, not
faulted in again. Counted by the kernel (minor page faults), in fresh processes."""

import platform
import subprocess
import sys

import pytest

CHURN = """
import resource, sys
import numpy as np
from orbitdc.core._alloc import keep_freed_memory
if sys.argv[1] == "1":
    assert keep_freed_memory() and keep_freed_memory()  # once set, again is a no-op
np.ones(10)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(10):  # a step's temporaries: six 8 MB arrays live at once, then freed
    live = [np.ones(1_000_000) for _ in range(6)]
    del live
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _faults(keep: bool) -> int:
    out = subprocess.run([sys.executable, "-c", CHURN, "1" if keep else "0"],
                         capture_output=True, text=True, check=True, timeout=120)
    return int(out.stdout.strip())


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
                    reason="glibc's malloc only")
def test_freed_arrays_are_reused_not_faulted_in_each_step():
    """Ten steps' temporaries fault their pages in about once with the setting; without it,
    glibc hands the blocks back and each step faults them in again (30,000 faults against
    3,000 here)."""
    without, with_ = _faults(False), _faults(True)
    pages_one_step = 6 * 8_000_000 // 4096
    assert with_ < 2 * pages_one_step < without, (with_, without)
