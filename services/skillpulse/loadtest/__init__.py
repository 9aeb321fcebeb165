"""Load tests of the pipeline: steady load over HTTP or straight into Kafka, measured
end to end (sent, accepted, stored, lost, freshness, lag, CPU and memory per process)
against a raw-insert baseline from the same run."""

from skillpulse.loadtest.report import THRESHOLDS, missed_thresholds, write_json, write_plot
from skillpulse.loadtest.runner import Scenario, run_loadtest

__all__ = ["THRESHOLDS", "Scenario", "missed_thresholds", "run_loadtest", "write_json", "write_plot"]
