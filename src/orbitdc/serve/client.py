"""``orbitdc.Client``: the live twin's API from Python (httpx), and the ``orbitdc submit |
jobs | cancel`` commands on top of it."""

from __future__ import annotations

import time
import uuid

import httpx

__all__ = ["ApiError", "Client"]

DONE = ("finished", "unschedulable", "cancelled")


class ApiError(Exception):
    """An answer other than success: ``status`` and the server's ``detail``."""

    def __init__(self, status: int, detail):
        self.status, self.detail = status, detail
        super().__init__(f"HTTP {status}: {detail}")


class Client:
    """``Client(url, key)``: submit, get, list, cancel and wait for jobs of the twin at
    ``url`` with the API key ``key``. ``submit`` sends an ``Idempotency-Key`` (a new one per
    call unless given) and retries on connection errors with it, so a retry never makes a
    second job."""

    def __init__(self, url: str, key: str, *, timeout: float = 30.0, retries: int = 3):
        self.url = url.rstrip("/")
        self.retries = retries
        self._http = httpx.Client(base_url=self.url, timeout=timeout,
                                  headers={"Authorization": f"Bearer {key}"})

    def __repr__(self) -> str:
        return f"Client({self.url!r})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _call(self, method: str, path: str, **kw):
        for attempt in range(self.retries + 1):
            try:
                r = self._http.request(method, path, **kw)
            except httpx.TransportError:
                if attempt == self.retries:
                    raise
                time.sleep(0.2 * (attempt + 1))
                continue
            if r.status_code == 429 and attempt < self.retries:
                time.sleep(float(r.headers.get("Retry-After", "1")))
                continue
            if r.status_code >= 400:
                try:
                    detail = r.json().get("detail")
                except ValueError:
                    detail = r.text
                raise ApiError(r.status_code, detail)
            return r.json()
        raise AssertionError("unreachable")

    def submit(self, job: dict | None = None, *, idempotency_key: str | None = None,
               **fields) -> dict:
        """Submit a job: ``{"kind": ..., "name": ..., ...}`` (or the same as keywords)."""
        body = dict(job or {}, **fields)
        key = idempotency_key or str(uuid.uuid4())
        return self._call("POST", "/v1/jobs", json=body, headers={"Idempotency-Key": key})

    def get(self, job_id: int) -> dict:
        return self._call("GET", f"/v1/jobs/{int(job_id)}")

    def list(self, state: str | None = None) -> list[dict]:
        """Every job of this key (optionally of one state), in id order (paged by id)."""
        out, after = [], 0
        while True:
            page = self._call("GET", "/v1/jobs", params={"after": after, "limit": 1000})["jobs"]
            if not page:
                return out
            out += [j for j in page if state is None or j["state"] == state]
            after = page[-1]["id"]

    def cancel(self, job_id: int) -> dict:
        return self._call("DELETE", f"/v1/jobs/{int(job_id)}")

    def fleet(self) -> dict:
        return self._call("GET", "/v1/fleet")

    def health(self) -> dict:
        return self._call("GET", "/v1/health")

    def wait(self, job_id: int, *, timeout: float = 600.0, poll_s: float = 0.2,
             states: tuple[str, ...] = DONE) -> dict:
        """Poll a job until its state is one of ``states`` (finished, unschedulable or
        cancelled); ``TimeoutError`` after ``timeout`` seconds of wall clock."""
        deadline = time.monotonic() + timeout
        while True:
            job = self.get(job_id)
            if job["state"] in states:
                return job
            if time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} still {job['state']} after {timeout:g} s")
            time.sleep(poll_s)
