"""Adapters of the platforms' own formats to the event contract (no FastAPI, no CLI):
each maps a payload to platform events that go through `skillpulse.collector.intake`."""
