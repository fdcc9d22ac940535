"""The REST API of the live twin (FastAPI; OpenAPI at ``/docs``), the event stream, health,
Prometheus metrics and the dashboard at ``/``.

Access: ``Authorization: Bearer KEY`` on every ``/v1`` route but health; no or an unknown
key is ``401``, another key's job ``404``, a malformed body ``422`` (naming the field), a body
over 1 MiB ``413``, more than ``rate_per_s`` requests a second of one key (bursts of
``burst``) ``429``."""

import asyncio
import datetime as dt
import json
import threading
import time
from collections import deque
from importlib import resources
from typing import Annotated, Literal

from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, StreamingResponse
from pydantic import Field, model_validator

from orbitdc.model._base import Name, Strict
from orbitdc.serve.store import Store
from orbitdc.serve.twin import Twin

__all__ = ["JobRequest", "MAX_BODY_BYTES", "create_app"]

MAX_BODY_BYTES = 1 << 20
#: Default per-key rate limit: requests per second, and the burst a key may spend at once.
RATE_PER_S = 200.0
BURST = 400.0

STATES = ("queued", "running", "finished", "unschedulable", "cancelled")


class JobRequest(Strict):
    """One job, with the fields one job of a ``[[workload]]`` entry of its kind takes
    (``orbitdc.model.workload.Workload``): work as ``flops`` (or ``work_flops``), or
    ``parameters`` and ``tokens`` (6 x parameters x tokens) for training; inference as a
    burst of ``requests`` of ``flops_per_request`` each, run as one job."""

    kind: Literal["training", "inference", "batch"]
    name: Name
    accelerators: Annotated[int, Field(ge=1, le=1_000_000)] = 1
    flops: Annotated[float | None, Field(gt=0.0)] = None
    work_flops: Annotated[float | None, Field(gt=0.0)] = None
    parameters: Annotated[float | None, Field(gt=0.0)] = None
    tokens: Annotated[float | None, Field(gt=0.0)] = None
    requests: Annotated[float | None, Field(gt=0.0)] = None
    flops_per_request: Annotated[float | None, Field(gt=0.0)] = None
    bandwidth_bps: Annotated[float, Field(ge=0.0)] = 0.0
    checkpoint_interval_h: Annotated[float | None, Field(gt=0.0)] = None
    checkpoint_s: Annotated[float, Field(ge=0.0)] = 0.0
    checkpoint_gb: Annotated[float | None, Field(gt=0.0)] = None
    checkpoint_write_gb_per_s: Annotated[float, Field(gt=0.0)] = 5.0

    @model_validator(mode="after")
    def _work(self):
        given = [k for k in ("flops", "work_flops") if getattr(self, k) is not None]
        if self.kind == "inference":
            if self.requests is None or self.flops_per_request is None:
                raise ValueError("inference needs requests and flops_per_request")
            given += ["requests"]
        pt = self.parameters is not None or self.tokens is not None
        if pt and (self.parameters is None or self.tokens is None):
            raise ValueError("give parameters and tokens together (work = 6 x parameters x "
                             "tokens)")
        if len(given) + pt != 1:
            raise ValueError("give the work once: flops (or work_flops), or parameters and "
                             "tokens" + (", or requests and flops_per_request"
                                         if self.kind == "inference" else ""))
        return self

    @property
    def total_flops(self) -> float:
        if self.kind == "inference" and self.requests is not None:
            return self.requests * self.flops_per_request
        if self.flops is not None or self.work_flops is not None:
            return float(self.flops if self.flops is not None else self.work_flops)
        return 6.0 * self.parameters * self.tokens

    @property
    def checkpoint_time_s(self) -> float:
        if self.checkpoint_s == 0.0 and self.checkpoint_gb is not None:
            return self.checkpoint_gb / self.checkpoint_write_gb_per_s
        return self.checkpoint_s


class _Limits:
    """A token bucket per key (in memory: a restart forgives)."""

    def __init__(self, rate_per_s: float, burst: float):
        self.rate, self.burst = rate_per_s, burst
        self.buckets: dict[int, tuple[float, float]] = {}
        self.lock = threading.Lock()

    def take(self, key_id: int) -> bool:
        now = time.monotonic()
        with self.lock:
            tokens, last = self.buckets.get(key_id, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            ok = tokens >= 1.0
            self.buckets[key_id] = (tokens - 1.0 if ok else tokens, now)
        return ok


class _BodyLimit:
    """ASGI middleware: a body over ``limit`` bytes is ``413`` (by its Content-Length, or
    as it streams in)."""

    def __init__(self, app, limit: int, metrics=None):
        self.app, self.limit, self.metrics = app, limit, metrics

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if self.metrics is not None:
            # Requests counted by route and status as the answer starts (pure ASGI: no
            # per-request middleware objects).
            inner_send = send

            async def send(message):
                if message["type"] == "http.response.start":
                    route = scope.get("route")
                    self.metrics.count(getattr(route, "path", "other"), message["status"])
                await inner_send(message)
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.limit:
                return await _too_large(send)
        seen = 0

        async def counted():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await _too_large(send)


class _TooLarge(Exception):
    pass


async def _too_large(send) -> None:
    body = json.dumps({"detail": f"request body over {MAX_BODY_BYTES} bytes"}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class _Metrics:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests: dict[tuple[str, int], int] = {}
        self.submit_s: deque[float] = deque(maxlen=10_000)

    def count(self, route: str, status: int) -> None:
        with self.lock:
            self.requests[(route, status)] = self.requests.get((route, status), 0) + 1


def create_app(scenario, store: Store, twin: Twin, *, rate_per_s: float = RATE_PER_S,
               burst: float = BURST) -> FastAPI:
    """The app over a store and a running (or about to run) twin."""
    app = FastAPI(title="orbitdc serve", version="1",
                  description="The live twin of an orbital data center: jobs, fleet, events.")
    limits = _Limits(rate_per_s, burst)
    metrics = _Metrics()
    start = scenario.start
    key_cache: dict[str, int] = {}

    def utc(t_s: float | None) -> str | None:
        if t_s is None:
            return None
        return (start + dt.timedelta(seconds=float(t_s))).isoformat().replace("+00:00", "Z")

    async def caller(authorization: Annotated[str | None, Header()] = None) -> int:
        if not authorization or not authorization.startswith("Bearer "):
            raise HTTPException(401, "give the API key as 'Authorization: Bearer KEY'",
                                headers={"WWW-Authenticate": "Bearer"})
        key = authorization.removeprefix("Bearer ").strip()
        key_id = key_cache.get(key)
        if key_id is None:
            key_id = store.key_id(key)
            if key_id is None:
                raise HTTPException(401, "unknown API key (orbitdc keys create NAME makes one)",
                                    headers={"WWW-Authenticate": "Bearer"})
            key_cache[key] = key_id
        if not limits.take(key_id):
            raise HTTPException(429, f"rate limit: {rate_per_s:g} requests/s per key",
                                headers={"Retry-After": "1"})
        return key_id

    Caller = Annotated[int, Depends(caller)]

    def view(row: dict, detail: bool = False) -> dict:
        live = twin.job_status(int(row["id"]))
        if row["cancel_requested"] and row["admitted_step"] is None:
            state = "cancelled"
        elif live is None:
            state = "unschedulable" if row["unschedulable"] else "queued"
        else:
            state = live["state"]
        out = {
            "id": int(row["id"]), "name": row["name"], "kind": row["kind"], "state": state,
            "submitted": utc(row["submitted_s"]),
            "accelerators": int(row["accelerators"]), "work_flops": float(row["work_flops"]),
            "reason": row["unschedulable"],
            "admitted_step": row["admitted_step"],
            "cancel_requested": bool(row["cancel_requested"]),
        }
        if live is not None:
            out.update(placement=live["placement"], progress=round(live["progress"], 6),
                       work_done_flops=live["work_done_flops"],
                       work_lost_flops=live["work_lost_flops"],
                       checkpoints=live["checkpoints"], requeues=live["requeues"],
                       started=utc(live["started_s"]), finished=utc(live["finished_s"]))
        else:
            out.update(placement={}, progress=0.0, work_done_flops=0.0, work_lost_flops=0.0,
                       checkpoints=0, requeues=0, started=None, finished=None)
        if detail:
            out["events"] = [{"kind": e["kind"], "time": utc(e["t_s"]), "step": e["step"],
                              **json.loads(e["data"])} for e in store.events_of(int(row["id"]))]
        return out

    def owned(job_id: int, key_id: int) -> dict:
        row = store.job(job_id)
        if row is None or row["key_id"] != key_id:
            raise HTTPException(404, f"no job {job_id} of this key")
        return row

    @app.post("/v1/jobs", status_code=201)
    async def submit(job: JobRequest, key_id: Caller,
               idempotency_key: Annotated[str | None, Header(max_length=255)] = None):
        """Submit a job; with ``Idempotency-Key`` a retry returns the same job."""
        t0 = time.perf_counter()
        if twin.status in ("ended", "failed"):
            raise HTTPException(409, f"the twin is {twin.status} (simulated time "
                                     f"{utc(twin.t_s)}): it takes no new jobs")
        reason = twin.unschedulable_reason(job.accelerators, job.bandwidth_bps)
        interval = job.checkpoint_interval_h * 3600.0 if job.checkpoint_interval_h else None
        # The row goes to the store's writer, which commits it with the other submissions
        # waiting (a group commit); the answer waits for that commit, the event loop not.
        row, _created = await asyncio.wrap_future(store.submit_async(
            key_id, job.model_dump(mode="json", exclude_none=True),
            dict(accelerators=job.accelerators, work_flops=job.total_flops,
                 checkpoint_interval_s=interval, checkpoint_s=job.checkpoint_time_s,
                 bandwidth_bps=job.bandwidth_bps),
            twin.t_s, reason, idempotency_key))
        twin.submitted.set()
        answer = JSONResponse(view(row), status_code=201)  # plain JSON: no re-encoding
        metrics.submit_s.append(time.perf_counter() - t0)  # a deque: the last 10,000
        return answer

    @app.get("/v1/jobs")
    def list_jobs(key_id: Caller, state: Annotated[Literal[STATES] | None, Query()] = None,
                  limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
                  after: Annotated[int, Query(ge=0)] = 0,
                  last: Annotated[int | None, Query(ge=1, le=10_000)] = None):
        """The caller's jobs in id order (``after``: ids above it), optionally of one state:
        up to ``limit`` of them, scanning on past jobs of other states (a job's state is the
        twin's, not the store's), and ``next_after``, the last id scanned, to page on (None
        once every job has been scanned). ``last=N``: the N newest jobs instead (in id
        order, of any state; what the dashboard shows)."""
        if last is not None:
            rows = store.last_jobs_of(key_id, last)
            return JSONResponse({"jobs": [view(r) for r in rows], "next_after": None})
        jobs: list[dict] = []
        scanned = after
        while len(jobs) < limit:
            rows = store.jobs_of(key_id, limit, scanned)
            if not rows:
                return JSONResponse({"jobs": jobs, "next_after": None})
            for r in rows:
                scanned = r["id"]
                j = view(r)
                if state is None or j["state"] == state:
                    jobs.append(j)
                    if len(jobs) == limit:
                        break
        return JSONResponse({"jobs": jobs, "next_after": scanned})  # no re-encoding

    @app.get("/v1/jobs/{job_id}")
    def get_job(job_id: int, key_id: Caller):
        """A job: state, placement, progress, checkpoints, work lost, its events."""
        return view(owned(job_id, key_id), detail=True)

    @app.delete("/v1/jobs/{job_id}")
    def cancel_job(job_id: int, key_id: Caller):
        """Cancel a job: it leaves the fleet at the next scheduling step."""
        row = owned(job_id, key_id)
        if not row["cancel_requested"]:
            store.request_cancel(job_id)
        return view(store.job(job_id))

    @app.get("/v1/fleet")
    def fleet(key_id: Caller):
        """Each satellite now."""
        f = twin.fleet()
        return {"time": utc(f["t_s"]), "satellites": f["satellites"]}

    @app.get("/v1/health")
    def health():
        """Status and simulated time (no key needed)."""
        k, t_s = twin.k, twin.t_s
        return {"status": twin.status, "scenario": scenario.name, "time": utc(t_s),
                "step": k, "steps": int(twin.times.size - 1),
                "end": utc(float(twin.times[-1])),
                "speed": "max" if twin.speed is None else twin.speed,
                "steps_per_s": round(twin.steps_per_s, 3), "behind_s": twin.behind_s(),
                "error": twin.error}

    @app.get("/v1/events")
    async def event_stream(request: Request, key_id: Caller,
                           last_event_id: Annotated[int | None, Header()] = None):
        """Server-sent events: job and fleet events as the twin makes them. ``id`` is the
        event's id in the store, which goes on across restarts: ``Last-Event-ID`` resumes
        after it (the events since are read back from the store), also after a restart."""
        seq = twin.event_seq if last_event_id is None else int(last_event_id)
        owners: dict[int, int] = {}

        def mine(e) -> bool:
            j = e["job_id"]
            if j is None:
                return True
            if j not in owners:
                owners[j] = store.job(j)["key_id"]
            return owners[j] == key_id

        def message(s, e) -> str:
            data = {"kind": e["kind"], "time": utc(e["t_s"]), "step": e["step"],
                    "job": e["job_id"], "satellite": e["satellite"], **e["data"]}
            return f"id: {s}\nevent: {e['kind']}\ndata: {json.dumps(data)}\n\n"

        async def stream():
            nonlocal seq
            yield ": orbitdc events\n\n"
            # Behind the twin's memory (a reconnect after a while, or after a restart): the
            # events since, from the store, a page at a time.
            while seq < twin.event_seq:
                with twin.lock:
                    oldest = twin.events[0][0] if twin.events else twin.event_seq + 1
                if seq + 1 >= oldest:
                    break
                page = await asyncio.to_thread(store.events_after, seq, 500)
                if not page:
                    break
                for e in page:
                    seq = e["id"]
                    if mine(e):
                        yield message(seq, e)
            while not await request.is_disconnected():
                got = await asyncio.to_thread(twin.events_since, seq, 1.0)
                for s, e in got:
                    seq = s
                    if mine(e):
                        yield message(s, e)
                if not got:
                    yield ": keep-alive\n\n"
                if twin.status in ("ended", "stopped", "failed") and not got:
                    break

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache"})

    @app.get("/metrics", response_class=PlainTextResponse)
    def prometheus():
        """Prometheus text exposition."""
        lines = [
            "# HELP orbitdc_twin_step Scheduling steps the twin has flown.",
            "# TYPE orbitdc_twin_step gauge", f"orbitdc_twin_step {twin.k}",
            "# HELP orbitdc_twin_simulated_seconds Simulated seconds from the scenario start.",
            "# TYPE orbitdc_twin_simulated_seconds gauge",
            f"orbitdc_twin_simulated_seconds {twin.t_s}",
            "# HELP orbitdc_twin_steps_per_second Steps flown per wall-clock second.",
            "# TYPE orbitdc_twin_steps_per_second gauge",
            f"orbitdc_twin_steps_per_second {twin.steps_per_s}",
            "# HELP orbitdc_twin_up 1 while the twin flies, 0 once it has ended or failed.",
            "# TYPE orbitdc_twin_up gauge",
            f"orbitdc_twin_up {int(twin.status in ('running', 'replaying', 'starting'))}",
        ]
        states = twin.job_states()
        counts = {s: 0 for s in STATES}
        for s in states.values():
            counts[s] = counts.get(s, 0) + 1
        stored = store.counts()
        counts["queued"] += stored["waiting_admission"]
        counts["unschedulable"] += stored["unschedulable_waiting"]
        counts["cancelled"] += stored["cancelled_before_admission"]
        lines += ["# HELP orbitdc_jobs API jobs by state.", "# TYPE orbitdc_jobs gauge"]
        lines += [f'orbitdc_jobs{{state="{s}"}} {n}' for s, n in counts.items()]
        lines += ["# HELP orbitdc_jobs_accepted_total API jobs accepted into the store.",
                  "# TYPE orbitdc_jobs_accepted_total counter",
                  f"orbitdc_jobs_accepted_total {stored['accepted']}"]
        w = store.writer
        lines += ["# HELP orbitdc_store_commits_total Transactions the store's writer committed "
                  "(a group commit holds the writes waiting).",
                  "# TYPE orbitdc_store_commits_total counter",
                  f"orbitdc_store_commits_total {w.batches}",
                  "# HELP orbitdc_store_writes_total Writes (jobs, cancellations, twin steps) "
                  "in them.", "# TYPE orbitdc_store_writes_total counter",
                  f"orbitdc_store_writes_total {w.writes}"]
        f = twin.fleet()
        sats = f["satellites"]
        lines += ["# HELP orbitdc_satellites_sunlit Satellites in sunlight now.",
                  "# TYPE orbitdc_satellites_sunlit gauge",
                  f"orbitdc_satellites_sunlit {sum(s['sunlit'] for s in sats)}",
                  "# HELP orbitdc_accelerators Accelerators by state now.",
                  "# TYPE orbitdc_accelerators gauge"]
        for what in ("busy", "free", "down"):
            lines.append(f'orbitdc_accelerators{{state="{what}"}} '
                         f'{sum(s["accelerators_" + what] for s in sats)}')
        with metrics.lock:
            reqs = dict(metrics.requests)
            lat = sorted(metrics.submit_s)
        lines += ["# HELP orbitdc_http_requests_total HTTP requests by route and status.",
                  "# TYPE orbitdc_http_requests_total counter"]
        lines += [f'orbitdc_http_requests_total{{route="{r}",status="{c}"}} {n}'
                  for (r, c), n in sorted(reqs.items())]
        if lat:
            lines += ["# HELP orbitdc_submit_seconds Submit handling time (last 10,000).",
                      "# TYPE orbitdc_submit_seconds summary"]
            for q in (0.5, 0.99):
                lines.append(f'orbitdc_submit_seconds{{quantile="{q}"}} '
                             f'{lat[min(int(q * len(lat)), len(lat) - 1)]:.6f}')
            lines.append(f"orbitdc_submit_seconds_count {len(lat)}")
        return "\n".join(lines) + "\n"

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def dashboard():
        return _dashboard()

    from orbitdc.serve.k8s import router as k8s_router  # the kube-scheduler extender

    app.include_router(k8s_router(twin, scenario))
    return _BodyLimit(app, MAX_BODY_BYTES, metrics)


_PAGE: str | None = None


def _dashboard() -> str:
    """The dashboard page: plotly.js inlined from the plotly package (no CDN), the coastlines
    those of the report (Natural Earth 1:110m land, shipped with orbitdc), drawn as lines on
    longitude/latitude axes, so nothing is fetched from elsewhere."""
    global _PAGE
    if _PAGE is None:
        import numpy as np
        from plotly.offline import get_plotlyjs

        from orbitdc.report.html import _coastlines

        lon, lat = _coastlines()
        coast = json.dumps({"lon": [None if np.isnan(x) else round(float(x), 2) for x in lon],
                            "lat": [None if np.isnan(y) else round(float(y), 2) for y in lat]})
        page = resources.files("orbitdc.serve").joinpath("dashboard.html").read_text()
        _PAGE = page.replace("/*COAST*/null", coast).replace("/*PLOTLY*/", get_plotlyjs())
    return _PAGE
