"""One event through the real stack (tansu + chdb): its trace links the collector's request
to the aggregator's batch and insert, the metrics are recorded (in-memory exporters),
and the same figures land in `pipeline_stats` for the SRE dashboard."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from skillpulse.app import Stack
from skillpulse.config import Settings
from skillpulse.credentials import ensure_api_keys
from skillpulse.health import pipeline_health
from skillpulse.stack_client import Pipeline
from skillpulse.telemetry import Telemetry, resource_attributes
from tests.factories import platform_event

pytestmark = pytest.mark.integration


class Recorded:
    """Per service: an SDK tracer and meter provider with in-memory exporters."""

    def __init__(self) -> None:
        self.spans = InMemorySpanExporter()
        self.readers: dict[str, InMemoryMetricReader] = {}

    def __call__(self, service: str) -> Telemetry:
        resource = Resource.create(resource_attributes(service))
        tracer_provider = TracerProvider(resource=resource)
        tracer_provider.add_span_processor(SimpleSpanProcessor(self.spans))
        self.readers[service] = InMemoryMetricReader()
        return Telemetry(tracer_provider, MeterProvider(resource=resource, metric_readers=[self.readers[service]]))

    def metrics(self, service: str) -> dict[str, list[tuple[dict[str, object], float]]]:
        data = self.readers[service].get_metrics_data()
        found: dict[str, list[tuple[dict[str, object], float]]] = {}
        for resource_metrics in data.resource_metrics if data else ():
            for scope in resource_metrics.scope_metrics:
                for metric in scope.metrics:
                    for point in metric.data.data_points:
                        value = getattr(point, "value", None)
                        found.setdefault(metric.name, []).append(
                            (dict(point.attributes or {}), value if value is not None else point.count))
        return found


def _service(span: ReadableSpan) -> str:
    return str(span.resource.attributes["service.name"])


async def _wait_for(condition: Callable[[], bool], timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.2)


async def test_one_event_is_traced_from_request_to_insert(settings: Settings) -> None:
    recorded = Recorded()
    key = ensure_api_keys(settings)["skilltech.tools"]
    async with Stack(settings, telemetry=recorded) as stack:
        async with httpx.AsyncClient(base_url=stack.url) as client:
            auth = {"Authorization": f"Bearer {key}"}
            response = await client.post("/v1/events", json=platform_event(), headers=auth)
            bad = await client.post("/v1/events", json=platform_event(occurred_at="yesterday"), headers=auth)
        assert (response.status_code, bad.status_code) == (202, 422)
        await Pipeline(stack.url, stack.bootstrap, settings, stack).wait_until_stored(timeout_s=60)
        spans = recorded.spans.get_finished_spans

        def insert_span() -> ReadableSpan | None:
            return next((s for s in spans() if s.name == "clickhouse insert events"
                         and s.attributes.get("skillpulse.events.inserted") == 1), None)

        await _wait_for(lambda: insert_span() is not None)
        request = next(s for s in spans()
                       if s.name == "POST /v1/events" and s.attributes["skillpulse.events.valid"] == 1)
        publish = next(s for s in spans() if s.name == f"{settings.kafka.topic} publish"
                       and s.context.trace_id == request.context.trace_id)
        insert = insert_span()
        assert insert is not None
        by_id = {s.context.span_id: s for s in spans()}
        process = by_id[insert.parent.span_id]               # the insert runs inside the batch's span
        assert process.name == f"{settings.kafka.topic} process"
        created = by_id[process.parent.span_id]              # whose origin links to the producing spans
        linked = {(link.context.trace_id, link.context.span_id) for link in created.links}
        assert any(trace_id == request.context.trace_id for trace_id, _ in linked)
        assert publish.parent is not None and by_id[publish.parent.span_id].context.trace_id == request.context.trace_id
        assert (_service(request), _service(insert)) == ("skillpulse-collector", "skillpulse-aggregator")
        assert stack.store is not None
        (user_key,), = stack.store.query("SELECT toString(user_key) FROM events").result_rows
        attributes = " ".join(str(value) for span in spans() for value in (span.attributes or {}).values())
        assert user_key not in attributes and "teacher-42" not in attributes  # no pseudonym, no raw id in traces

        collector = recorded.metrics("collector")["skillpulse.collector.events"]
        assert ({"outcome": "accepted", "platform": "skilltech.tools", "reason": ""}, 1) in collector
        assert ({"outcome": "rejected", "platform": "skilltech.tools", "reason": "value_error"}, 1) \
            in collector
        aggregator = recorded.metrics("aggregator")
        assert ({"outcome": "stored", "platform": "skilltech.tools"}, 1) in aggregator["skillpulse.aggregator.events"]
        assert {"skillpulse.aggregator.batch.size", "skillpulse.aggregator.insert.duration",
                "skillpulse.freshness"} <= set(aggregator)

        # The same figures, in ClickHouse for the dashboard (the collector's come via Kafka).
        assert stack.store is not None
        store = stack.store

        def health() -> dict[str, Any]:
            return pipeline_health(store, minutes=5)

        await _wait_for(lambda: health()["rejections"] != [] and health()["consumer_lag"]["latest"] == 0)
        figures = health()
        assert figures["rejections"] == [{"service": "collector", "metric": "rejected", "platform": "skilltech.tools",
                                          "reason": "value_error", "events": 1}]
        assert figures["freshness_s"]["events"] == 1 and figures["freshness_s"]["received_to_stored"]["p99"] < 30
        assert figures["batches"]["count"] >= 1 and figures["consumer_lag"]["peak"] >= 0
