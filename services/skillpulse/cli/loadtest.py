"""`skillpulse loadtest`: a steady load against a fresh embedded stack, with figures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import click


@click.command("loadtest")
@click.option("--target", type=click.Choice(["http", "kafka"]), default="http", show_default=True,
              help="http: through the collector; kafka: records straight to the topic (the aggregator alone).")
@click.option("--rate", type=float, default=5000, show_default=True, help="Events per second to send.")
@click.option("--duration", type=float, default=30, show_default=True, help="Seconds of load.")
@click.option("--batch", type=int, default=None, help="Events per request (http, default 500) or chunk (kafka).")
@click.option("--concurrency", type=int, default=None, help="Requests / chunks in flight.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("loadtest-results"),
              show_default=True, help="Where the JSON and the PNG plot go.")
@click.option("--work-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Data dir of the stack started for the run (default: a new temporary one).")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option("--max-lost", type=int, default=0, show_default=True, help="Exit 1 above this.")
@click.option("--max-duplicated", type=int, default=0, show_default=True)
@click.option("--min-accepted-per-s", type=float, default=None)
@click.option("--min-stored-per-s", type=float, default=None)
@click.option("--max-freshness-p99-s", type=float, default=None, help="received → stored.")
@click.option("--max-drain-s", type=float, default=None, help="Time to drain the lag after the load stops.")
def loadtest(target: Literal["http", "kafka"], rate: float, duration: float, batch: int | None,
             concurrency: int | None, out: Path, work_dir: Path | None, as_json: bool, **limits: Any) -> None:
    """Load the pipeline for DURATION seconds at RATE events/s and report sent, accepted/s,
    stored/s, rejected, lost (by event_id), freshness p50/p95/p99, consumer lag and drain
    time, CPU and peak RSS per process, and the raw-insert baseline of the same run."""
    from skillpulse.loadtest import Scenario, missed_thresholds, run_loadtest, write_json, write_plot

    if rate <= 0 or duration <= 0:
        raise click.BadParameter("--rate and --duration must be positive")
    run = run_loadtest(Scenario(target, rate, duration, batch, concurrency), work_dir)
    figures = run.figures
    out.mkdir(parents=True, exist_ok=True)
    stem = f"loadtest-{target}-{int(rate)}"
    write_json(out / f"{stem}.json", figures)
    write_plot(out / f"{stem}.png", run.timeline, run.lag, run.load_s)
    missed = missed_thresholds(figures, limits)
    figures["thresholds_missed"] = missed
    if as_json:
        click.echo(json.dumps(figures, indent=2))
    else:
        click.echo(_summary(figures))
        click.echo(f"figures: {out / (stem + '.json')}  plot: {out / (stem + '.png')}")
    if missed:
        raise click.ClickException("thresholds missed: " + "; ".join(missed))


def _summary(f: dict[str, Any]) -> str:
    d, r, fr, lag = f["delivery"], f["rates"], f["freshness"], f["lag"]
    lines = [
        f"{f['scenario']['target']} at {f['scenario']['rate']:g}/s for {f['scenario']['duration_s']:g} s "
        f"on {f['machine']['cores']} cores",
        f"sent {d['sent']:,}  acknowledged {d['acknowledged']:,}  rejected {d['rejected']:,}  "
        f"stored {d['stored']:,}  lost {d['lost']}  duplicated {d['duplicated']}",
        f"accepted {r['accepted_per_s']:,}/s  stored {r['stored_per_s']:,}/s during the load "
        f"({f['baseline']['stored_share_of_baseline']} of the raw insert baseline, "
        f"{f['baseline']['events_per_s']:,}/s)",
        "freshness received→stored p50/p95/p99 {p50}/{p95}/{p99} s".format(**fr["received_to_stored_s"]),
        "freshness occurred→stored p50/p95/p99 {p50}/{p95}/{p99} s".format(**fr["occurred_to_stored_s"]),
        f"consumer lag peak {lag['peak_records']:,} records, drained {lag['drain_after_stop_s']} s after the load",
    ]
    lines += [f"{name:<32} cpu {p['cpu_s']} s ({p['cpu_cores_avg']} cores)  peak RSS {p['peak_rss_mb']} MB"
              for name, p in f["processes"].items()]
    return "\n".join(lines)
