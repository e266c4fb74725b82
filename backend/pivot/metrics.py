"""Prometheus metrics of the Pivot endpoint, in a registry of its own (one per server, so
tests and several servers in one process do not collide)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

# Pivot gives a request 5 s at most; most answers take a few milliseconds.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class PivotMetrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "kfn_pivot_requests", "Pivot requests answered, by HTTP status",
            ["status"], registry=self.registry,
        )  # fmt: skip
        self.errors = Counter(
            "kfn_pivot_errors",
            "Pivot requests that did not get a callflow, by why (refused, thrown, timeout, "
            "out_of_memory, invalid_flow, disabled, busy, tripped, bad_request, "
            "upstream_unavailable, ...)",
            ["kind"], registry=self.registry,
        )  # fmt: skip
        self.latency = Histogram(
            "kfn_pivot_request_duration_seconds", "Time to answer a Pivot request",
            buckets=LATENCY_BUCKETS, registry=self.registry,
        )  # fmt: skip
        self.stale = Counter(
            "kfn_pivot_stale_serves",
            "Requests answered with a cached function because the upstream could not be reached",
            registry=self.registry,
        )

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
