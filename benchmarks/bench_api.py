"""Benchmark: the web service on loopback (DESIGN §6).

Targets: a 10 000-path simulation request answers in under 1 s; 16 concurrent clients
see no errors (and no run is lost).

Starts ``hashpivot serve`` on 127.0.0.1 and a free port (a subprocess, warmed up, with a
fresh run store in a temporary folder), then

1. latency: ``POST /simulate`` with the default scenario, ``paths`` = 10 000, ``seed`` = 0,
   ``repeats`` times each, in four forms: as the dashboard asks (AI-share frontier on,
   saved), frontier on but not saved, frontier off and saved, frontier off and not saved;
   the time of the library call alone (``Simulation.run`` in this process, same inputs)
   is printed beside them;
2. load: 16 client threads, each with its own connection, send ``requests`` rounds of
   ``POST /simulate`` (1 000 paths, saved) + ``GET /runs`` + ``GET /healthz``; every
   answer must be 200, every simulation must come back with a distinct run id, and the
   store must hold exactly those runs afterwards.

    python benchmarks/bench_api.py --json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from hashpivot.api.live import LiveServer
from hashpivot.spec import default_scenario
from hashpivot.store.runstore import RunStore

TARGET_SECONDS = 1.0
CLIENTS = 16


def _time_request(client: httpx.Client, body: dict[str, Any]) -> float:
    start = time.perf_counter()
    answer = client.post("simulate", json=body)
    elapsed = time.perf_counter() - start
    if answer.status_code != 200:
        msg = f"simulate answered {answer.status_code}: {answer.text[:500]}"
        raise RuntimeError(msg)
    return elapsed


def latency(url: str, paths: int, repeats: int) -> dict[str, Any]:
    """Seconds of one POST /simulate of ``paths`` paths, min and median of ``repeats``."""
    out: dict[str, Any] = {}
    forms = {
        "frontier_saved": {"frontier": True, "save": True},
        "frontier_not_saved": {"frontier": True, "save": False},
        "no_frontier_saved": {"frontier": False, "save": True},
        "no_frontier_not_saved": {"frontier": False, "save": False},
    }
    with httpx.Client(base_url=url, timeout=120) as client:
        for name, extra in forms.items():
            body = {"paths": paths, "seed": 0, **extra}
            times = [_time_request(client, body) for _ in range(repeats)]
            out[name] = {"min_s": min(times), "median_s": statistics.median(times)}
    out["library_only"] = _library_seconds(paths, repeats)
    return out


def _library_seconds(paths: int, repeats: int) -> dict[str, float]:
    from hashpivot.simulation import Simulation

    scenario = default_scenario()
    Simulation(scenario).run(paths=1000)
    out = {}
    for name, sim in (
        ("frontier", Simulation(scenario)),
        ("no_frontier", Simulation(scenario, frontier_shares=())),
    ):
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            sim.run(paths=paths, seed=0)
            times.append(time.perf_counter() - start)
        out[f"{name}_min_s"] = min(times)
    return out


def load(url: str, rounds: int) -> dict[str, Any]:
    """16 clients × ``rounds`` × (simulate 1 000 paths, list runs, health)."""
    errors: list[str] = []
    run_ids: list[str] = []
    times: list[float] = []
    lock = threading.Lock()

    def client_loop(k: int) -> None:
        with httpx.Client(base_url=url, timeout=120) as client:
            for r in range(rounds):
                for method, path, body in (
                    ("POST", "simulate", {"paths": 1000, "seed": k * 1000 + r}),
                    ("GET", "runs?limit=20", None),
                    ("GET", "healthz", None),
                ):
                    start = time.perf_counter()
                    try:
                        answer = client.request(method, path, json=body)
                    except httpx.HTTPError as exc:
                        with lock:
                            errors.append(f"{method} {path}: {exc!r}")
                        continue
                    with lock:
                        times.append(time.perf_counter() - start)
                        if answer.status_code != 200:
                            errors.append(f"{method} {path}: {answer.status_code}")
                        elif method == "POST":
                            run_ids.append(answer.json()["run_id"])

    start = time.perf_counter()
    threads = [threading.Thread(target=client_loop, args=(k,)) for k in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    wall = time.perf_counter() - start
    return {
        "clients": CLIENTS,
        "requests": CLIENTS * rounds * 3,
        "errors": len(errors),
        "error_samples": errors[:5],
        "simulations": len(run_ids),
        "distinct_run_ids": len(set(run_ids)),
        "wall_s": wall,
        "latency_p50_s": statistics.median(times) if times else None,
        "latency_p95_s": statistics.quantiles(times, n=20)[-1] if len(times) > 1 else None,
        "saved_run_ids": set(run_ids),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3, help="rounds per client in the load test")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "runs.duckdb"
        with LiveServer(store) as server:
            lat = latency(server.url, args.paths, args.repeats)
            lat_store = {r.run_id for r in RunStore(store).list_runs(limit=None)}
            result_load = load(server.url, args.rounds)
        stored = {r.run_id for r in RunStore(store).list_runs(limit=None)} - lat_store
    saved = result_load.pop("saved_run_ids")
    result_load["lost_runs"] = len(saved - stored)
    result_load["unexpected_runs"] = len(stored - saved)
    best = lat["frontier_saved"]["min_s"]
    out = {
        "benchmark": "api",
        "paths": args.paths,
        "target_s": TARGET_SECONDS,
        "latency_s": lat,
        "meets_latency_target": best < TARGET_SECONDS,
        "meets_latency_target_without_frontier": lat["no_frontier_saved"]["min_s"] < TARGET_SECONDS,
        "load": result_load,
        "meets_load_target": result_load["errors"] == 0 and result_load["lost_runs"] == 0,
    }
    if args.json:
        sys.stdout.write(json.dumps(out) + "\n")
    else:
        sys.stdout.write(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
