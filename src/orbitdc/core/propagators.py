"""SGP4 propagators over satellites x times: python-sgp4 and, where installed, astroz.

Both implement the same SGP4 (Vallado et al. 2006, AIAA 2006-6753, "improved" mode, WGS-72):

- ``"sgp4"``: ``sgp4.api.SatrecArray``, Vallado's C++ code, the reference. Always there.
- ``"astroz"``: astroz's SIMD SGP4 (Zig; AVX-512/AVX2, 8 or 4 satellites per instruction),
  several times faster on one core. Its batch path agrees with Vallado's published outputs
  (``tcppver.out``) to ~0.1 m for near-earth orbits, not to python-sgp4's 0.01 mm: its
  trigonometry is vectorised. Its deep-space (SDP4) batch path is off by up to ~10 m, so
  deep-space satellites, element sets in another gravity model or mode, and any satellite
  whose SIMD propagation fails (decayed, invalid) are propagated by ``sgp4`` here: their
  positions and error codes are exactly python-sgp4's.

``tests/test_propagator.py`` holds both to Vallado's verification set and to each other.
The fastest installed is the default (:func:`resolve`); ``preferred(name)`` sets the one a
run uses where none is named (``orbitdc run --propagator``).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator, Sequence

import numpy as np
from sgp4.api import Satrec, SatrecArray

from orbitdc.core.constants import JD_SGP4INIT_EPOCH, WGS72_MU_KM3_PER_S2, WGS72_RADIUS_KM

__all__ = [
    "KNOWN",
    "AstrozBatch",
    "Sgp4Batch",
    "UnknownPropagator",
    "batch",
    "installed",
    "preferred",
    "resolve",
]

#: Every propagator orbitdc knows, fastest first.
KNOWN = ("astroz", "sgp4")

_preferred: str | None = None


class UnknownPropagator(ValueError):
    """A propagator name that is unknown or not installed here; the message names those
    installed."""


@functools.cache
def _astroz():
    """astroz's native module and its python-sgp4 API, or None where it is not installed
    (no wheel for this platform)."""
    try:
        from astroz import _astroz as native
        from astroz import api
    except (ImportError, OSError):  # no wheel here, or its library fails to load
        return None
    return native, api


def installed() -> tuple[str, ...]:
    """The propagators installed here, fastest first."""
    return tuple(n for n in KNOWN if n != "astroz" or _astroz() is not None)


def resolve(name: str | None = None) -> str:
    """The propagator ``name`` stands for; None: the one set by :func:`preferred`, else the
    fastest installed. Raises :class:`UnknownPropagator` for a name that is unknown or not
    installed here."""
    if name is None:
        name = _preferred
    if name is None:
        return installed()[0]
    key = str(name).strip().lower()
    have = installed()
    if key in have:
        return key
    what = "not installed here" if key in KNOWN else "unknown"
    raise UnknownPropagator(
        f"propagator {name!r} is {what}; installed: {', '.join(have)}"
        + ("" if key not in KNOWN else f" (pip install {key})"))


@contextlib.contextmanager
def preferred(name: str | None) -> Iterator[str]:
    """Within the block, runs that name no propagator use ``name`` (checked first; None: the
    fastest installed). Yields the propagator resolved."""
    global _preferred
    chosen = resolve(name)
    before, _preferred = _preferred, chosen
    try:
        yield chosen
    finally:
        _preferred = before


def batch(satrecs: Sequence[Satrec], name: str | None = None,
          reference_jd: tuple[float, float] | None = None):
    """A propagator over ``satrecs`` (python-sgp4 ``Satrec``): an object with ``name`` and
    ``sgp4(jd, fr) -> (err, r_km, v_km_s)`` of shapes ``(S, T)``, ``(S, T, 3)``, ``(S, T,
    3)`` (C-contiguous, satellite-major), as ``SatrecArray.sgp4`` returns them. Each
    satellite's states depend only on it and the time, not on the others in the batch nor
    on the other times asked for (so neither blocks nor chunks change a run), given the same
    ``reference_jd`` (a Julian date pair near the times: the run's epoch; default: the
    first satellite's epoch) for astroz."""
    chosen = resolve(name)
    if chosen == "astroz":
        return AstrozBatch(satrecs, reference_jd)
    return Sgp4Batch(satrecs)


class Sgp4Batch:
    """python-sgp4's ``SatrecArray`` (Vallado's C++ SGP4)."""

    name = "sgp4"

    def __init__(self, satrecs: Sequence[Satrec]):
        self.size = len(satrecs)
        self._array = SatrecArray(list(satrecs))

    def sgp4(self, jd, fr):
        return self._array.sgp4(np.ascontiguousarray(jd, float), np.ascontiguousarray(fr, float))


def _simd_ok(s: Satrec) -> bool:
    """Whether astroz's SIMD SGP4 propagates ``s`` as python-sgp4 does (to its ~0.1 m):
    near-earth, initialised without error, improved mode, WGS-72."""
    return (s.method == "n" and s.error == 0 and s.operationmode == "i"
            and s.radiusearthkm == WGS72_RADIUS_KM and s.mu == WGS72_MU_KM3_PER_S2)


def _companion(api, lone: Satrec):
    """A near-earth astroz satellite with elements other than ``lone``'s, to share its SIMD
    batch: astroz flies a batch of one, or of copies of one satellite, on another code path
    (a few um away from a mixed batch's states)."""
    x = api.Satrec()
    ecc = 0.001 if lone.ecco != 0.001 else 0.002
    x.sgp4init(api.WGS72, "i", 0, (lone.jdsatepoch - JD_SGP4INIT_EPOCH) + lone.jdsatepochF,
               0.0, 0.0, 0.0, ecc, 0.5, 1.0, 0.5, 0.06, 0.5)
    return x._native


class AstrozBatch:
    """astroz's SIMD SGP4 for the near-earth satellites, python-sgp4 for the others (see the
    module docstring).

    Times go to astroz as minutes since each satellite's epoch in two parts, minutes since
    ``reference_jd`` (one per time) and the reference's minutes since the satellite's epoch
    (one per satellite), each a difference of Julian date pairs, as python-sgp4 forms
    ``tsince``: astroz's own API adds Julian dates whole first, which costs ~20 us (0.15 m)
    of rounding at today's dates. A fixed reference makes each state independent of the
    other times asked for. astroz propagates a lone satellite of a SIMD batch (the
    satellites after the last full batch being one) on another code path, a few um away:
    such a one is propagated with a companion beside it (:func:`_companion`), so that the
    grouping does not matter either.
    """

    name = "astroz"

    def __init__(self, satrecs: Sequence[Satrec],
                 reference_jd: tuple[float, float] | None = None):
        native, api = _astroz()
        satrecs = list(satrecs)
        self.size = len(satrecs)
        simd = np.array([_simd_ok(s) for s in satrecs], bool)
        natives = []
        for i in np.flatnonzero(simd):
            s = satrecs[i]
            x = api.Satrec()
            x.sgp4init(api.WGS72, "i", int(s.satnum) % 100000,
                       (s.jdsatepoch - JD_SGP4INIT_EPOCH) + s.jdsatepochF, s.bstar, s.ndot,
                       s.nddot, s.ecco, s.argpo, s.inclo, s.mo, s.no_kozai, s.nodeo)
            if x.error != 0 or x.is_deep_space:  # as sgp4 decides it, else sgp4 flies it
                simd[i] = False
            else:
                natives.append(x._native)
        self._satrecs = satrecs
        self._simd = np.flatnonzero(simd)
        self._other = np.flatnonzero(~simd)
        self._all_simd = self._other.size == 0
        self._constellation = None
        self._pad = 0
        if natives:
            c = native.Sgp4Constellation(natives, gravity_model=native.WGS72)
            if len(natives) % c.batch_size == 1:  # a lone satellite in the last batch
                self._pad = 1
                c = native.Sgp4Constellation(natives + [_companion(api, satrecs[
                    self._simd[-1]])], gravity_model=native.WGS72)
            self._constellation = c
        self._other_array = (SatrecArray([satrecs[i] for i in self._other])
                             if self._other.size else None)
        #: Satellites on astroz's SIMD path (the others: python-sgp4).
        self.simd_satellites = int(self._simd.size)
        epoch_jd = np.array([satrecs[i].jdsatepoch for i in self._simd])
        epoch_fr = np.array([satrecs[i].jdsatepochF for i in self._simd])
        if reference_jd is None:
            reference_jd = ((satrecs[0].jdsatepoch, satrecs[0].jdsatepochF) if satrecs
                            else (0.0, 0.0))
        self._ref_jd, self._ref_fr = (float(x) for x in reference_jd)
        # The companion (if any) shares the lone satellite's epoch.
        offsets = ((self._ref_jd - epoch_jd) + (self._ref_fr - epoch_fr)) * 1440.0
        self._offsets = np.ascontiguousarray(np.r_[offsets, offsets[-1:]] if self._pad
                                             else offsets)

    def sgp4(self, jd, fr):
        jd = np.ascontiguousarray(np.atleast_1d(jd), float)
        fr = np.ascontiguousarray(np.atleast_1d(fr), float)
        n_t = jd.size
        err = np.zeros((self.size, n_t), np.uint8)
        r = np.empty((self.size, n_t, 3))
        v = np.empty((self.size, n_t, 3))
        if self._constellation is not None and n_t:
            minutes = np.ascontiguousarray(((jd - self._ref_jd) + (fr - self._ref_fr)) * 1440.0)
            n_simd = self._simd.size
            if self._all_simd and not self._pad:
                rs, vs = r, v
            else:
                # The padded copy's rows are left off by slicing (still C-contiguous).
                rs = np.empty((n_simd + self._pad, n_t, 3))
                vs = np.empty((n_simd + self._pad, n_t, 3))
            self._constellation.propagate_into(minutes, rs, vs, epoch_offsets=self._offsets,
                                               time_major=False)
            rs, vs = rs[:n_simd], vs[:n_simd]
            if self._all_simd:
                r, v = rs, vs
            # A failed SIMD propagation is NaN: such a satellite is flown again by sgp4,
            # whose error codes (and positions of a decayed one) are the reference.
            failed = np.flatnonzero(np.isnan(rs[:, :, 0]).any(axis=1))
            if failed.size:
                e, rf, vf = SatrecArray([self._satrecs[self._simd[i]] for i in failed]).sgp4(
                    jd, fr)
                rs[failed], vs[failed] = rf, vf
                err[self._simd[failed]] = e
            if not self._all_simd:
                r[self._simd], v[self._simd] = rs, vs
        if self._other_array is not None:
            e, ro, vo = self._other_array.sgp4(jd, fr)
            r[self._other], v[self._other], err[self._other] = ro, vo, e
        return err, r, v
