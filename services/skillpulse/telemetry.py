"""OpenTelemetry for each service: a tracer and a meter whose resource names the service.

Off unless `OTEL_EXPORTER_OTLP_ENDPOINT` is set: then spans and metrics go out over
OTLP/HTTP (the SDK reads the standard `OTEL_*` variables: sampler, headers, limits).
Off, the no-op providers cost nothing and nothing is printed. Tests hand in providers
with in-memory exporters instead.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any

from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from opentelemetry import metrics, trace


@dataclass(frozen=True)
class Telemetry:
    tracer_provider: trace.TracerProvider
    meter_provider: metrics.MeterProvider
    enabled: bool = True

    @property
    def tracer(self) -> trace.Tracer:
        return self.tracer_provider.get_tracer("skillpulse")

    @property
    def meter(self) -> metrics.Meter:
        return self.meter_provider.get_meter("skillpulse")

    def kafka_middlewares(self) -> tuple[Any, ...]:
        """FastStream's Kafka telemetry: trace context in message headers, and batch spans
        linked to the spans that produced their messages."""
        if not self.enabled:
            return ()
        return (KafkaTelemetryMiddleware(tracer_provider=self.tracer_provider, meter_provider=self.meter_provider),)

    def shutdown(self) -> None:
        for provider in (self.tracer_provider, self.meter_provider):
            if self.enabled and hasattr(provider, "shutdown"):
                provider.shutdown()  # flushes what is buffered


DISABLED = Telemetry(trace.NoOpTracerProvider(), metrics.NoOpMeterProvider(), enabled=False)

TelemetryFactory = Callable[[str], Telemetry]


def resource_attributes(service: str) -> dict[str, str]:
    return {"service.name": f"skillpulse-{service}", "service.namespace": "skillpulse",
            "service.version": version("skillpulse")}


def telemetry_from_env(service: str) -> Telemetry:
    """OTLP/HTTP export when `OTEL_EXPORTER_OTLP_ENDPOINT` is set; otherwise off."""
    if not os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        return DISABLED
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create(resource_attributes(service))
    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    meter_provider = MeterProvider(resource=resource,
                                   metric_readers=[PeriodicExportingMetricReader(OTLPMetricExporter())])
    return Telemetry(tracer_provider, meter_provider)
