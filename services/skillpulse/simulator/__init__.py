"""Realistic, deterministic traffic for the three platforms, sent like a real platform."""

from skillpulse.simulator.model import Population, backfill_events, live_events
from skillpulse.simulator.sender import SendReport, send_events

__all__ = ["Population", "SendReport", "backfill_events", "live_events", "send_events"]
