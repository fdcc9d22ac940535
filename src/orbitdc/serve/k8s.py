"""The kube-scheduler extender: ``POST /k8s/filter`` and ``POST /k8s/prioritize``.

The protocol is kube-scheduler's HTTP extender (``k8s.io/kube-scheduler/extender/v1``,
``types.go``; the caller is ``pkg/scheduler/extender.go``, ``HTTPExtender``). Its Go structs
have no JSON tags, so the keys are the Go field names: a request is ``ExtenderArgs``
``{"Pod": v1.Pod, "Nodes": v1.NodeList | null, "NodeNames": [name] | null}`` (``Nodes`` when
the extender is configured ``nodeCacheCapable: false``, ``NodeNames`` when true); the filter
answers ``ExtenderFilterResult`` ``{"Nodes", "NodeNames", "FailedNodes",
"FailedAndUnresolvableNodes", "Error"}`` and the prioritize a ``HostPriorityList``
``[{"Host": name, "Score": 0..MaxExtenderPriority (10)}]``.

A node is a satellite of the twin: by its label ``orbitdc.io/satellite`` (the satellite's
name as in ``GET /v1/fleet``), or, where kube-scheduler sends names only, by its name. The
pod's annotations ``orbitdc.io/...`` state orbital constraints (:class:`Constraints`); the
answer is computed from the twin's state at its latest scheduling step (the same state
``GET /v1/fleet`` shows), and, for ``no-eclipse-within-s``, from the satellites' ephemeris
ahead (SGP4 with the flight's propagator and the engine's shadow model).

See docs/serve.md ("Kubernetes scheduler extender") for the configuration and access."""

from __future__ import annotations

import asyncio
import datetime as dt
import hmac
import ipaddress
import json
import math
import os
import threading
from dataclasses import dataclass

import numpy as np
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from orbitdc.core import propagators
from orbitdc.core.sun import shadow_fraction, sun_position_km
from orbitdc.core.time import jd_pair
from orbitdc.model.errors import ScenarioError

__all__ = [
    "ANNOTATIONS",
    "ECLIPSE_SAMPLE_S",
    "MAX_HORIZON_S",
    "MAX_PRIORITY",
    "SATELLITE_LABEL",
    "Constraints",
    "ExtenderAccess",
    "ExtenderInputError",
    "first_eclipse_s",
    "parse_constraints",
    "router",
]

#: The node label naming the satellite a node runs on.
SATELLITE_LABEL = "orbitdc.io/satellite"
#: ``extenderv1.MaxExtenderPriority``: the highest score a prioritize call may give.
MAX_PRIORITY = 10
#: The ephemeris ahead is sampled this often for ``no-eclipse-within-s``.
ECLIPSE_SAMPLE_S = 5.0
#: The longest ``no-eclipse-within-s`` horizon (a day: 15-16 LEO orbits).
MAX_HORIZON_S = 86400.0
#: Shadow at or above which a satellite counts as eclipsed (the twin's ``ECLIPSED``).
ECLIPSED = 0.5
#: Samples (satellites x times) propagated at once in the eclipse search.
_CHUNK_SAMPLES = 200_000

ANNOTATIONS = {
    "orbitdc.io/min-state-of-charge": "a number in 0..1: the battery's state of charge now "
                                      "at least this",
    "orbitdc.io/prefer-sunlit": "true or false: score sunlit satellites above eclipsed ones",
    "orbitdc.io/no-eclipse-within-s": f"seconds, > 0 and <= {MAX_HORIZON_S:g}: sunlit now "
                                      "and not eclipsed within this horizon",
    "orbitdc.io/needs-ground-contact": "true or false: the satellite sees a ground station "
                                       "now",
    "orbitdc.io/accelerators": "a whole number >= 1: accelerators free on the satellite now",
}

ENV_KEY = "ORBITDC_K8S_KEY"
ENV_ALLOW = "ORBITDC_K8S_ALLOW"
LOOPBACK = ("127.0.0.0/8", "::1/128")
MIN_KEY_CHARS = 16


class ExtenderInputError(ValueError):
    """A request the extender cannot answer: the message says what and where."""


@dataclass(frozen=True)
class Constraints:
    """A pod's orbital constraints (its ``orbitdc.io/...`` annotations); None or False: not
    asked for."""

    min_state_of_charge: float | None = None
    prefer_sunlit: bool = False
    no_eclipse_within_s: float | None = None
    needs_ground_contact: bool = False
    accelerators: int | None = None


def _bool(key: str, value: str) -> bool:
    v = value.strip().lower()
    if v in ("true", "false"):
        return v == "true"
    raise ExtenderInputError(f"pod annotation {key}: expected true or false (got {value!r})")


def _number(key: str, value: str) -> float:
    try:
        x = float(value.strip())
    except ValueError:
        x = math.nan
    if not math.isfinite(x):
        raise ExtenderInputError(f"pod annotation {key}: expected {ANNOTATIONS[key]} "
                                 f"(got {value!r})")
    return x


def parse_constraints(annotations: object) -> Constraints:
    """The constraints of a pod's ``metadata.annotations`` (other prefixes are ignored; an
    unknown ``orbitdc.io/`` key or a bad value raises :class:`ExtenderInputError` naming
    it)."""
    if annotations is None:
        return Constraints()
    if not isinstance(annotations, dict):
        raise ExtenderInputError("Pod.metadata.annotations: expected an object of strings")
    got: dict = {}
    for key, value in annotations.items():
        if not str(key).startswith("orbitdc.io/"):
            continue
        if key not in ANNOTATIONS:
            raise ExtenderInputError(
                f"pod annotation {key}: unknown; orbitdc reads {', '.join(sorted(ANNOTATIONS))}")
        if not isinstance(value, str):
            raise ExtenderInputError(f"pod annotation {key}: expected a string (annotations "
                                     f"are strings; got {json.dumps(value)})")
        if key == "orbitdc.io/min-state-of-charge":
            x = _number(key, value)
            if not 0.0 <= x <= 1.0:
                raise ExtenderInputError(f"pod annotation {key}: expected {ANNOTATIONS[key]} "
                                         f"(got {value!r})")
            got["min_state_of_charge"] = x
        elif key == "orbitdc.io/prefer-sunlit":
            got["prefer_sunlit"] = _bool(key, value)
        elif key == "orbitdc.io/no-eclipse-within-s":
            x = _number(key, value)
            if not 0.0 < x <= MAX_HORIZON_S:
                raise ExtenderInputError(f"pod annotation {key}: expected {ANNOTATIONS[key]} "
                                         f"(got {value!r})")
            got["no_eclipse_within_s"] = x
        elif key == "orbitdc.io/needs-ground-contact":
            got["needs_ground_contact"] = _bool(key, value)
        elif key == "orbitdc.io/accelerators":
            x = _number(key, value)
            if x != int(x) or x < 1:
                raise ExtenderInputError(f"pod annotation {key}: expected {ANNOTATIONS[key]} "
                                         f"(got {value!r})")
            got["accelerators"] = int(x)
    return Constraints(**got)


# --- access ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ExtenderAccess:
    """Who may call the extender: a client whose address is in ``allow``, or one that gives
    ``key`` (in the URL, ``/k8s/KEY/filter``, since kube-scheduler sends no headers of its
    own, or as ``Authorization: Bearer KEY``). Default: loopback clients only, no key."""

    key: str | None = None
    allow: tuple = tuple(ipaddress.ip_network(n) for n in LOOPBACK)

    @classmethod
    def from_env(cls, environ=None) -> ExtenderAccess:
        """From ``ORBITDC_K8S_KEY`` (at least 16 characters) and ``ORBITDC_K8S_ALLOW``
        (comma-separated addresses or CIDR networks; empty: none; unset: loopback). A bad
        value raises ``ScenarioError`` naming the variable."""
        env = os.environ if environ is None else environ
        key = env.get(ENV_KEY)
        if key is not None:
            key = key.strip()
            if len(key) < MIN_KEY_CHARS or any(c in key for c in "/?#% "):
                raise ScenarioError(ENV_KEY, [("", f"expected at least {MIN_KEY_CHARS} "
                                                   "characters, none of '/?#% ' (it goes in "
                                                   "the extender's URL)")])
        text = env.get(ENV_ALLOW)
        if text is None:
            return cls(key=key)
        nets = []
        for part in (p.strip() for p in text.split(",")):
            if not part:
                continue
            try:
                nets.append(ipaddress.ip_network(part, strict=False))
            except ValueError:
                raise ScenarioError(ENV_ALLOW, [("", f"{part!r} is not an IP address or "
                                                     "CIDR network (expected e.g. "
                                                     "10.0.0.0/8,127.0.0.1)")]) from None
        return cls(key=key, allow=tuple(nets))

    def permits(self, host: str | None, key: str | None) -> bool:
        if self.key is not None and key is not None and hmac.compare_digest(
                key.encode(), self.key.encode()):
            return True
        if host is None:
            return False
        try:
            addr = ipaddress.ip_address(host)
        except ValueError:
            return False
        if getattr(addr, "ipv4_mapped", None) is not None:
            addr = addr.ipv4_mapped
        return any(addr in net for net in self.allow)


# --- the ephemeris ahead -----------------------------------------------------------------------
def first_eclipse_s(satrecs, propagator: str, epoch_jd: tuple[float, float], t0_s: float,
                    horizon_s: float, step_s: float = ECLIPSE_SAMPLE_S):
    """When each satellite is first eclipsed (shadow >= 0.5, the engine's shadow model)
    within ``[t0_s, t0_s + horizon_s]`` (seconds from ``epoch_jd``), sampled every
    ``step_s`` and at the horizon's end: ``(first_s, err)``, ``first_s`` (S,) seconds after
    ``t0_s`` of the first eclipsed sample (0: eclipsed now; inf: none), ``err`` (S,) the first
    SGP4 error code met before it (0: none). An eclipse shorter than ``step_s`` can fall
    between samples."""
    n = len(satrecs)
    first = np.full(n, np.inf)
    err_out = np.zeros(n, np.int64)
    if n == 0:
        return first, err_out
    offsets = np.arange(0.0, horizon_s, step_s)
    offsets = np.append(offsets, horizon_s) if offsets[-1] < horizon_s else offsets
    # Satellites not yet eclipsed are propagated on; the batch shrinks to them once they
    # are fewer than half of it.
    found = np.zeros(n, bool)
    rows = np.arange(n)
    batch = propagators.batch(list(satrecs), propagator, reference_jd=epoch_jd)
    a = 0
    while a < offsets.size:
        off = offsets[a:a + max(16, _CHUNK_SAMPLES // rows.size)]
        a += off.size
        jd, fr = jd_pair(epoch_jd, t0_s + off)
        err, r, _ = batch.sgp4(jd, fr)
        sun = sun_position_km(jd, fr)
        shadow = shadow_fraction(r, np.broadcast_to(sun[None], r.shape))
        hit = (shadow >= ECLIPSED) | (err != 0)
        new = hit.any(axis=1) & ~found[rows]
        if new.any():
            j = np.argmax(hit[new], axis=1)
            first[rows[new]] = off[j]
            err_out[rows[new]] = err[new, j]
            found[rows[new]] = True
        still = ~found[rows]
        if not still.any():
            break
        if 2 * still.sum() < rows.size:
            rows = rows[still]
            batch = propagators.batch([satrecs[i] for i in rows.tolist()], propagator,
                                      reference_jd=epoch_jd)
    return first, err_out


# --- the routes --------------------------------------------------------------------------------
def router(twin, scenario, access: ExtenderAccess | None = None) -> APIRouter:
    """The extender's routes over a twin (``orbitdc.serve.twin.Twin``). ``access``: default
    :meth:`ExtenderAccess.from_env`."""
    access = ExtenderAccess.from_env() if access is None else access
    api = APIRouter(prefix="/k8s", tags=["kubernetes extender"])
    index = {str(n): i for i, n in enumerate(twin.names.tolist())}
    satrec_list = twin.flight.fleet.satrec_list
    propagator = twin.flight.propagator
    start = scenario.start
    cache_lock = threading.Lock()
    cache: dict = {"t_s": None, "sats": {}}  # satellite -> (searched_s, first_s, err)

    def utc(t_s: float) -> str:
        return (start + dt.timedelta(seconds=float(t_s))).isoformat().replace("+00:00", "Z")

    def eclipses(sats: np.ndarray, t0: float, horizon: float) -> tuple[np.ndarray, np.ndarray]:
        """First eclipse (s after t0) and SGP4 error of satellites ``sats`` within
        ``horizon``, reusing what earlier requests at the same twin step searched."""
        with cache_lock:
            if cache["t_s"] != t0:
                cache["t_s"], cache["sats"] = t0, {}
            known = dict(cache["sats"])
        todo = [s for s in sats.tolist()
                if s not in known or (known[s][1] == np.inf and known[s][0] < horizon)]
        if todo:
            first, err = first_eclipse_s([satrec_list[s] for s in todo], propagator,
                                         twin.start_jd, t0, horizon)
            with cache_lock:
                if cache["t_s"] == t0:
                    for s, f, e in zip(todo, first.tolist(), err.tolist()):
                        cache["sats"][s] = (horizon, f, e)
            for s, f, e in zip(todo, first.tolist(), err.tolist()):
                known[s] = (horizon, f, e)
        return (np.array([known[s][1] for s in sats.tolist()]),
                np.array([known[s][2] for s in sats.tolist()], np.int64))

    def state() -> tuple[dict, np.ndarray | None]:
        """The twin's fleet now and its ground contacts, of the same step."""
        if twin.status in ("ended", "stopped", "failed"):
            raise ExtenderInputError(f"the twin is {twin.status} (simulated time "
                                     f"{utc(twin.t_s)}): its state no longer follows the "
                                     "fleet")
        if twin.status == "replaying":
            raise ExtenderInputError("the twin is re-flying to its checkpoint after a "
                                     "restart; ask again once /v1/health says running")
        for _ in range(5):
            now = twin.contact_now()
            if now is None:
                raise ExtenderInputError("the twin has not flown its first step yet")
            fleet = twin.fleet()
            if twin.contact_now()[0] == fleet["t_s"] == now[0]:
                return fleet, now[1]
        raise ExtenderInputError("the twin moved on while its state was read; ask again")

    def parse(body: bytes):
        """``ExtenderArgs``: the mode (``Nodes`` or ``NodeNames``), the node names, the
        satellite each names (label, or name in ``NodeNames`` mode), the pod's constraints
        and the node objects (``Nodes`` mode; else None)."""
        try:
            args = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ExtenderInputError(f"request body: not JSON ({exc})") from None
        if not isinstance(args, dict):
            raise ExtenderInputError("request body: expected ExtenderArgs, an object with "
                                     "Pod and Nodes (or NodeNames)")
        pod = args.get("Pod")
        if not isinstance(pod, dict):
            raise ExtenderInputError("Pod: expected the v1.Pod being scheduled")
        meta = pod.get("metadata") or {}
        if not isinstance(meta, dict):
            raise ExtenderInputError("Pod.metadata: expected an object")
        constraints = parse_constraints(meta.get("annotations"))
        nodes, names = args.get("Nodes"), args.get("NodeNames")
        if nodes is not None:
            items = nodes.get("items") if isinstance(nodes, dict) else None
            if not isinstance(items, list):
                raise ExtenderInputError("Nodes: expected a v1.NodeList, {\"items\": [...]}")
            if not items:
                raise ExtenderInputError("Nodes: no nodes to filter (Nodes.items is empty)")
            out, sats = [], []
            for i, node in enumerate(items):
                m = node.get("metadata") if isinstance(node, dict) else None
                name = m.get("name") if isinstance(m, dict) else None
                if not isinstance(name, str) or not name:
                    raise ExtenderInputError(f"Nodes.items[{i}].metadata.name: expected the "
                                             "node's name")
                labels = m.get("labels") or {}
                if not isinstance(labels, dict):
                    raise ExtenderInputError(f"Nodes.items[{i}].metadata.labels: expected an "
                                             "object of strings")
                out.append(name)
                sats.append(labels.get(SATELLITE_LABEL))
            return "Nodes", out, sats, constraints, items
        if names is not None:
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                raise ExtenderInputError("NodeNames: expected a list of node names")
            if not names:
                raise ExtenderInputError("NodeNames: no nodes to filter (the list is empty)")
            return "NodeNames", list(names), list(names), constraints, None
        raise ExtenderInputError("no nodes: ExtenderArgs needs Nodes (a v1.NodeList) or "
                                 "NodeNames (with nodeCacheCapable)")

    def judge(mode, names, sats, c: Constraints):
        """Per node: the satellite index (or -1) and why it fails (empty: it fits)."""
        fleet, contact = state()
        recs = fleet["satellites"]
        t0 = float(fleet["t_s"])
        idx = np.full(len(names), -1, np.int64)
        reasons: list[list[str]] = [[] for _ in names]
        unmapped: list[str | None] = [None] * len(names)
        for i, (node, sat) in enumerate(zip(names, sats)):
            if mode == "Nodes" and not isinstance(sat, str):
                unmapped[i] = (f"node {node} has no label {SATELLITE_LABEL} (the satellite it "
                               "runs on, named as in GET /v1/fleet)")
            elif sat not in index:
                unmapped[i] = (
                    f"label {SATELLITE_LABEL}={sat} names no satellite of the twin's fleet "
                    f"(scenario {scenario.name})" if mode == "Nodes" else
                    f"node {node} is no satellite of the twin's fleet (scenario "
                    f"{scenario.name}); with nodeCacheCapable nodes are matched to satellites "
                    "by name")
            else:
                idx[i] = index[sat]
        for i in np.nonzero(idx >= 0)[0].tolist():
            s = recs[idx[i]]
            why = reasons[i]
            if c.accelerators is not None and s["accelerators_free"] < c.accelerators:
                why.append(f"{s['accelerators_free']} of {s['accelerators']} accelerators "
                           f"free now; the pod needs {c.accelerators}")
            if c.min_state_of_charge is not None:
                soc = s["state_of_charge"]
                if soc is None:
                    why.append("no battery (state of charge unknown); the pod needs "
                               f"{c.min_state_of_charge:g}")
                elif soc < c.min_state_of_charge:
                    why.append(f"state of charge {soc:.3f} < {c.min_state_of_charge:g}")
            if c.needs_ground_contact:
                if contact is None:
                    why.append("the scenario has no ground stations: no contact")
                elif not contact[idx[i]]:
                    why.append(f"no ground station in view now ({utc(t0)})")
        if c.no_eclipse_within_s is not None:
            mapped = np.nonzero(idx >= 0)[0]
            sats_u = np.unique(idx[mapped])
            first, err = eclipses(sats_u, t0, c.no_eclipse_within_s)
            where = {int(s): (f, e) for s, f, e in zip(sats_u, first, err)}
            for i in mapped.tolist():
                f, e = where[int(idx[i])]
                s = recs[idx[i]]
                if not s["sunlit"]:
                    reasons[i].append(f"in eclipse now (shadow {s['shadow']:.2f})")
                elif e != 0:
                    reasons[i].append(f"its orbit cannot be propagated {f:.0f} s ahead (SGP4 "
                                      f"error {e})")
                elif f <= c.no_eclipse_within_s:
                    reasons[i].append(f"enters eclipse about {f:.0f} s from now ({utc(t0 + f)}),"
                                      f" within {c.no_eclipse_within_s:g} s")
        return fleet, idx, unmapped, reasons

    def allowed(request: Request, path_key: str | None) -> JSONResponse | None:
        key = path_key
        auth = request.headers.get("authorization")
        if key is None and auth and auth.startswith("Bearer "):
            key = auth.removeprefix("Bearer ").strip()
        host = request.client.host if request.client is not None else None
        if access.permits(host, key):
            return None
        return JSONResponse({"Error": "the extender takes requests from the addresses in "
                                      f"{ENV_ALLOW} or with the key of {ENV_KEY} (in the "
                                      "URL: /k8s/KEY/filter)"}, status_code=403)

    def headers(fleet) -> dict:
        return {"X-Orbitdc-Time": utc(fleet["t_s"]), "Cache-Control": "no-store"}

    def filter_reply(body: bytes) -> JSONResponse:
        try:
            mode, names, sats, c, items = parse(body)
            fleet, idx, unmapped, reasons = judge(mode, names, sats, c)
        except ExtenderInputError as exc:
            # kube-scheduler reads Error only from a 200 answer (any other status is "failed
            # filter ... code N", the message lost), so the message travels in Error.
            return JSONResponse({"Nodes": None, "NodeNames": None, "FailedNodes": {},
                                 "FailedAndUnresolvableNodes": {}, "Error": str(exc)})
        failed: dict[str, str] = {}
        keep: list[int] = []
        for i, node in enumerate(names):
            why = unmapped[i] or "; ".join(reasons[i])
            if why:
                failed[node] = why
            else:
                keep.append(i)
        out = {"Nodes": None, "NodeNames": None, "FailedNodes": {},
               # Preemption (evicting pods) cannot change a satellite's charge, light,
               # contacts or the twin's accelerators: every failure is unresolvable.
               "FailedAndUnresolvableNodes": failed, "Error": ""}
        if mode == "Nodes":
            out["Nodes"] = {"metadata": {}, "items": [items[i] for i in keep]}
        else:
            out["NodeNames"] = [names[i] for i in keep]
        return JSONResponse(out, headers=headers(fleet))

    def prioritize_reply(body: bytes) -> JSONResponse:
        try:
            mode, names, sats, c, _ = parse(body)
            fleet, idx, unmapped, reasons = judge(mode, names, sats, c)
        except ExtenderInputError as exc:
            # A HostPriorityList has no Error; kube-scheduler then gives no score of ours.
            return JSONResponse({"Error": str(exc)}, status_code=400)
        recs = fleet["satellites"]
        out = []
        for i, node in enumerate(names):
            score = 0
            if idx[i] >= 0 and not reasons[i]:
                score = _score(recs[idx[i]], c.prefer_sunlit)
            out.append({"Host": node, "Score": score})
        return JSONResponse(out, headers=headers(fleet))

    async def run(request: Request, path_key: str | None, reply):
        denied = allowed(request, path_key)
        if denied is not None:
            return denied
        body = await request.body()
        return await asyncio.to_thread(reply, body)

    @api.post("/filter")
    async def k8s_filter(request: Request):
        """kube-scheduler's filter verb: ``ExtenderArgs`` in, ``ExtenderFilterResult`` out."""
        return await run(request, None, filter_reply)

    @api.post("/prioritize")
    async def k8s_prioritize(request: Request):
        """kube-scheduler's prioritize verb: ``ExtenderArgs`` in, ``HostPriorityList`` out
        (scores 0..10)."""
        return await run(request, None, prioritize_reply)

    @api.post("/{key}/filter", include_in_schema=False)
    async def k8s_filter_key(key: str, request: Request):
        return await run(request, key, filter_reply)

    @api.post("/{key}/prioritize", include_in_schema=False)
    async def k8s_prioritize_key(key: str, request: Request):
        return await run(request, key, prioritize_reply)

    return api


def _score(sat: dict, prefer_sunlit: bool) -> int:
    """A satellite's score, 0..10, from its record in ``GET /v1/fleet``: the mean of its state
    of charge and its share of accelerators free (either alone where the other is unknown;
    0 with neither), times 10; with ``prefer_sunlit`` a sunlit one scores 6 + 4 x that
    mean and an eclipsed one 4 x it, so every sunlit satellite outranks every eclipsed one.
    Rounded half up."""
    terms = []
    if sat["state_of_charge"] is not None:
        terms.append(float(sat["state_of_charge"]))
    if sat["accelerators"] > 0:
        terms.append(sat["accelerators_free"] / sat["accelerators"])
    base = sum(terms) / len(terms) if terms else 0.0
    if not prefer_sunlit:
        return int(math.floor(MAX_PRIORITY * base + 0.5))
    return (6 if sat["sunlit"] else 0) + int(math.floor(4 * base + 0.5))
