"""The ``hashpivot dispatch`` command: hourly run/curtail, 4CP, demand response, PPA resale.

Thin: parse the options into dispatch specs, call :mod:`hashpivot.dispatch`, render.
"""

from __future__ import annotations

import math
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
import typer
from pydantic import ValidationError
from rich.table import Table

from hashpivot import bitcoin
from hashpivot.cli.common import JsonOpt, console, emit_json, errors_exit_2
from hashpivot.cli.runs import SaveOpt, StoreOpt, saved_note
from hashpivot.dispatch import (
    DataRulesSpec,
    Dispatch,
    DispatchResult,
    DispatchSiteSpec,
    DispatchTierSpec,
    FlexibilityMonteCarlo,
    flexibility_monte_carlo,
    read_hashprice_history,
    read_market,
    resolve_nodes,
    sites_from_scenario,
)
from hashpivot.dispatch.io import value_columns
from hashpivot.errors import SpecError
from hashpivot.report.html import cell_text, usd_text
from hashpivot.spec import Scenario, default_scenario, load_scenario
from hashpivot.specbase import shown_value
from hashpivot.store.runstore import RunStore, record

DEFAULT_EFFICIENCY_J_PER_TH = 20.0
"""One-tier site without a scenario: 20 J/TH, the worked example of
:func:`hashpivot.bitcoin.breakeven_power_usd_per_mwh` (assumption) [J/TH]."""
DEFAULT_MINING_MW = 100.0
"""One-tier site without a scenario: 100 MW at the meter (assumption) [MW]."""

_OPERATIONS = (
    # (column, header, scale): the energy side of each period
    ("uptime_frac", "uptime\n%", 100.0),
    ("energy_mwh", "energy\nGWh", 1e-3),
    ("avg_power_price_usd_per_mwh", "net\nUSD/MWh", 1.0),
    ("btc_mined", "BTC\nmined", 1.0),
    ("mining_revenue_usd", "revenue\nUSD M", 1e-6),
    ("energy_cost_usd", "energy\ncost M", 1e-6),
    ("profit_usd", "profit\nUSD M", 1e-6),
)
"""Columns of the operations table per period; money in USD millions."""

_FLEXIBILITY = (
    # the headline answer of dispatch: what curtailing earns, in USD millions
    ("curtailment_savings_usd", "curtail\nsavings", 1e-6),
    ("four_cp_savings_usd", "4CP\nsavings", 1e-6),
    ("power_credits_usd", "power\ncredits", 1e-6),
    ("dr_income_usd", "DR\nincome", 1e-6),
    ("flexibility_value_usd", "flex\nvalue", 1e-6),
)
"""Columns of the flexibility table per period, USD millions."""


class FourCP(StrEnum):
    """4CP strategy choice."""

    auto = "auto"
    none = "none"
    heuristic = "heuristic"
    perfect_foresight = "perfect_foresight"


class Missing(StrEnum):
    """Rule for missing hours and NaN."""

    refuse = "refuse"
    interpolate = "interpolate"
    drop = "drop"


class Duplicates(StrEnum):
    """Rule for duplicated hours."""

    refuse = "refuse"
    first = "first"
    mean = "mean"


class Block(StrEnum):
    """Bootstrap block."""

    day = "day"
    hour = "hour"


def _validation_problems(exc: ValidationError, prefix: str) -> list[str]:
    out = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "(site)"
        msg = str(err["msg"]).removeprefix("Value error, ")
        out.append(f"{prefix}{where}: {shown_value(err.get('input'))} — {msg}")
    return out


def _scenario(path: Path | None) -> Scenario | None:
    """The scenario of ``--scenario``: a YAML file, or ``default`` for the packaged one."""
    if path is None:
        return None
    if str(path) == "default" and not path.exists():
        return default_scenario()
    return load_scenario(path)


def _one_tier(
    site: DispatchSiteSpec, e: float | None, mw: float | None
) -> tuple[DispatchTierSpec, ...]:
    """One tier replacing a site's fleets: given J/TH or the MW-weighted mean, given MW or all."""
    total = site.mining_mw
    if e is None:
        e = sum(t.efficiency_j_per_th * t.power_mw for t in site.tiers) / total
    return (DispatchTierSpec(name=f"{e:g} J/TH", efficiency_j_per_th=e, power_mw=mw or total),)


def _base_sites(
    scenario: Scenario | None, site_name: str | None, e: float | None, mw: float | None
) -> list[DispatchSiteSpec]:
    if scenario is None:
        tier = DispatchTierSpec(
            name="tier 1",
            efficiency_j_per_th=e or DEFAULT_EFFICIENCY_J_PER_TH,
            power_mw=mw or DEFAULT_MINING_MW,
        )
        return [DispatchSiteSpec(name="site", tiers=(tier,))]
    sites = list(sites_from_scenario(scenario))
    if site_name is not None:
        names = [s.name for s in sites]
        if site_name not in names:
            raise SpecError(
                [f"--site {site_name!r}: not in the scenario; sites: {', '.join(names)}"]
            )
        sites = [sites[names.index(site_name)]]
    if e is not None or mw is not None:
        sites = [s.model_copy(update={"tiers": _one_tier(s, e, mw)}) for s in sites]
    return sites


def _apply_flags(site: DispatchSiteSpec, flags: dict[str, Any]) -> DispatchSiteSpec:
    """Re-validate a site with the contract, 4CP, DR and limit flags applied.

    The 4CP flags reach ERCOT sites only: elsewhere 4CP is not a tariff.
    """
    data = site.model_dump()
    if not site.has_four_cp:
        flags = {k: v for k, v in flags.items() if k != "four_cp"}
    for section, values in flags.items():
        if isinstance(values, dict):
            data[section] = {**data[section], **{k: v for k, v in values.items() if v is not None}}
        elif values is not None:
            data[section] = values
    try:
        return DispatchSiteSpec.model_validate(data)
    except ValidationError as exc:
        raise SpecError(
            _validation_problems(exc, f"site {site.name!r}: "), "command line"
        ) from None


def _contract_flags(
    ppa: float | None, share: float | None, no_resale: bool, adder: float
) -> dict[str, Any]:
    if share is not None and ppa is None:
        raise SpecError(["--ppa-share-frac: needs --ppa-usd-per-mwh"], "command line")
    kind = "index" if ppa is None else ("hybrid" if share is not None else "ppa")
    return {
        "kind": kind,
        "ppa_price_usd_per_mwh": ppa,
        "ppa_share_frac": share,
        "resale": not no_resale,
        "adder_usd_per_mwh": adder,
    }


def _market_hashprice(scenario: Scenario) -> tuple[float, float]:
    """Hashprice and BTC price of a scenario's market at its start [USD/PH/day, USD/BTC]."""
    m = scenario.market
    difficulty = m.difficulty or float(
        bitcoin.difficulty_for_hashrate(m.network_hashrate_eh_s * 1e18)
    )
    subsidy = float(bitcoin.subsidy_btc(m.block_height))
    hp = float(
        bitcoin.hashprice_usd_per_ph_day(m.btc_price_usd, difficulty, subsidy, m.fees_btc_per_block)
    )
    return hp, m.btc_price_usd


def _hashprice(
    scenario: Scenario | None, constant: float | None, history: Path | None, btc_price: float | None
) -> tuple[Any, float | None, dict[str, Any]]:
    if constant is not None and history is not None:
        msg = "give --hashprice-usd-per-ph-day or --hashprice-file, not both"
        raise SpecError([msg], "command line")
    if history is not None:
        return read_hashprice_history(history), None, {"hashprice": f"daily history {history}"}
    hp, price = _market_hashprice(scenario or default_scenario())
    source = "scenario market at start" if scenario else "default scenario market at start"
    if constant is not None:
        hp, source = constant, "constant"
    btc = btc_price or price
    info = {"hashprice_usd_per_ph_day": hp, "hashprice": source, "btc_price_usd": btc}
    return hp, btc, info


def _period_table(
    frame: pd.DataFrame, period: str, columns: tuple[tuple[str, str, float], ...], title: str
) -> Table:
    """One row per period, numbers scaled and rounded so the table fits 80 columns."""
    out = Table(title=title, title_justify="left")
    out.add_column(period, no_wrap=True)
    for _, header, _ in columns:
        out.add_column(header, justify="right", no_wrap=True)
    for _, row in frame.iterrows():
        cells = [str(row[period])]
        for col, _, scale in columns:
            value = float(row[col]) * scale
            cells.append("—" if math.isnan(value) else f"{value:,.1f}")
        out.add_row(*cells)
    return out


def _value_text(key: str, value: Any) -> str:
    """A summary value: USD amounts in M or k USD, other numbers without exponents."""
    if isinstance(value, bool) or not isinstance(value, int | float) or key in ("year", "seed"):
        return str(value)
    return usd_text(value) if key.endswith("_usd") else cell_text(value)


def _print(
    payload: dict[str, Any], result_monthly: pd.DataFrame, result_yearly: pd.DataFrame
) -> None:
    head = Table(title="Dispatch summary", show_header=False, title_justify="left")
    for key, value in payload.items():
        if not isinstance(value, list | dict):
            head.add_row(key, _value_text(key, value))
    console.print(head)
    for frame, period, label in ((result_yearly, "year", "By year"),
                                 (result_monthly, "month", "By month")):  # fmt: skip
        console.print(_period_table(frame, period, _OPERATIONS, f"{label}: operations"))
        console.print(
            _period_table(frame, period, _FLEXIBILITY, f"{label}: value of flexibility, USD M")
        )
    for key, title in (
        ("four_cp_comparison", "4CP strategies"),
        ("ai_conversion", "AI conversion"),
        ("monte_carlo", "Monte Carlo of flexibility (resampled price years)"),
        ("inputs", "Inputs"),
    ):
        block = payload.get(key)
        if not block:
            continue
        t = Table(title=title, show_header=False, title_justify="left")
        for k, v in block.items():
            if isinstance(v, dict):
                money = k.endswith("_usd")
                text = ", ".join(
                    f"{a}={usd_text(b) if money or a.endswith('_usd') else _value_text(a, b)}"
                    if isinstance(b, int | float) and not isinstance(b, bool)
                    else f"{a}={b}"
                    for a, b in v.items()
                )
            else:
                text = _value_text(k, v)
            t.add_row(k, text)
        console.print(t)
    for note in payload.get("notes", []):
        console.print(f"note: {note}", highlight=False)


def dispatch(
    prices: Annotated[Path, typer.Option(help="Hourly price CSV (ERCOT layouts).")],
    node: Annotated[
        str | None,
        typer.Option(
            help="Price column for a one-site run, e.g. LZ_WEST or LZ_WEST_rtm (overrides the "
            "site's node); scenario sites otherwise use their own node."
        ),
    ] = None,
    same_node: Annotated[
        bool,
        typer.Option(
            "--same-node",
            help="Price every site at --node (a proxy when the file lacks their nodes); "
            "4CP stays with the ERCOT sites.",
        ),
    ] = False,
    load: Annotated[
        Path | None, typer.Option(help="System load CSV (for 4CP), e.g. ERCOT native load.")
    ] = None,
    load_column: Annotated[str, typer.Option(help="Load column. [MW]")] = "ERCOT",
    year: Annotated[int | None, typer.Option(help="Keep only this operating year.")] = None,
    scenario: Annotated[
        Path | None,
        typer.Option(
            help="Scenario YAML whose site fleets are dispatched ('default': the packaged one)."
        ),
    ] = None,
    site: Annotated[str | None, typer.Option(help="Dispatch only this scenario site.")] = None,
    hashprice_usd_per_ph_day: Annotated[
        float | None, typer.Option(min=0.0, help="Constant hashprice. [USD/PH/day]")
    ] = None,
    hashprice_file: Annotated[
        Path | None,
        typer.Option(
            help="Daily hashprice history CSV (date, drv_hashprice_usd_per_phs_day, price_usd_cm)."
        ),
    ] = None,
    btc_price_usd: Annotated[
        float | None, typer.Option(min=1e-9, help="BTC price for BTC mined. [USD/BTC]")
    ] = None,
    efficiency_j_per_th: Annotated[
        float | None,
        typer.Option(min=1e-6, max=1e4, help="One-tier efficiency (default 20). [J/TH]"),
    ] = None,
    mining_mw: Annotated[
        float | None,
        typer.Option(min=1e-6, max=1e4, help="One-tier mining MW at the meter (default 100). [MW]"),
    ] = None,
    ai_mw: Annotated[
        float | None,
        typer.Option(
            min=0.0,
            max=1e4,
            help="MW of each site that become firm AI load: report the flexibility lost. [MW]",
        ),
    ] = None,
    ai_interruptible_frac: Annotated[
        float,
        typer.Option(min=0.0, max=1.0, help="Share of AI load interruptible in 4CP hours. [-]"),
    ] = 0.0,
    ppa_usd_per_mwh: Annotated[
        float | None,
        typer.Option(min=-1000.0, max=1e4, help="Fixed-price PPA for the mining load. [USD/MWh]"),
    ] = None,
    ppa_share_frac: Annotated[
        float | None,
        typer.Option(min=0.0, max=1.0, help="Hybrid: share of mining MW under the PPA. [-]"),
    ] = None,
    no_resale: Annotated[
        bool, typer.Option("--no-resale", help="PPA block energy not used is not resold.")
    ] = False,
    adder_usd_per_mwh: Annotated[
        float, typer.Option(min=-1000.0, max=1000.0, help="Adders on each MWh consumed. [USD/MWh]")
    ] = 0.0,
    four_cp: Annotated[
        FourCP, typer.Option(help="4CP strategy; auto: heuristic with --load, else none.")
    ] = FourCP.auto,
    four_cp_usd_per_kw_year: Annotated[
        float, typer.Option(min=0.0, max=1000.0, help="4CP transmission rate. [USD/kW/yr]")
    ] = 50.0,
    dr_mw: Annotated[
        float, typer.Option(min=0.0, max=1e4, help="Mining MW committed to demand response. [MW]")
    ] = 0.0,
    dr_usd_per_mw_hour: Annotated[
        float | None, typer.Option(min=0.0, help="DR capacity payment (default 7.42). [USD/MW/h]")
    ] = None,
    min_load_mw: Annotated[
        float, typer.Option(min=0.0, help="Minimum mining load (LP). [MW]")
    ] = 0.0,
    ramp_mw_per_hour: Annotated[
        float | None, typer.Option(min=1e-9, help="Ramp limit of the mining load (LP). [MW/h]")
    ] = None,
    missing: Annotated[Missing, typer.Option(help="Missing hours / NaN rule.")] = Missing.refuse,
    duplicates: Annotated[
        Duplicates, typer.Option(help="Duplicated hours rule.")
    ] = Duplicates.refuse,
    max_gap_hours: Annotated[
        int, typer.Option(min=1, max=168, help="Longest gap interpolated. [h]")
    ] = 3,
    paths: Annotated[
        int,
        typer.Option(
            min=0, max=100_000, help="Monte Carlo of flexibility: resampled price years (0: off)."
        ),
    ] = 0,
    seed: Annotated[int, typer.Option(min=0, max=2**63 - 1, help="Seed of the Monte Carlo.")] = 0,
    block: Annotated[Block, typer.Option(help="Bootstrap block: day or hour.")] = Block.day,
    as_json: JsonOpt = False,
    report: Annotated[Path | None, typer.Option(help="Write an HTML report to this file.")] = None,
    save: SaveOpt = False,
    store: StoreOpt = None,
) -> None:
    """Hourly run/curtail dispatch with PPA resale, 4CP, demand response; flexibility value.

    Each tier runs while price + adder < its breakeven hashprice·1000/(24·J/TH·PUE)·(1 − fee).
    Flags override the scenario; without one they describe a one-tier site. Each scenario
    site is priced at its own node (its column in the price file); 4CP applies to ERCOT
    sites only. With --save the run (sites, inputs, summary, Monte Carlo per path) goes into
    the run store: `hashpivot runs list --kind dispatch`.
    """
    with errors_exit_2():
        sc = _scenario(scenario)
        rules = DataRulesSpec(
            missing=missing.value, duplicates=duplicates.value, max_gap_hours=max_gap_hours
        )
        strategy = four_cp.value
        if strategy == "auto":
            strategy = "heuristic" if load is not None else "none"
        flags: dict[str, Any] = {
            "contract": _contract_flags(
                ppa_usd_per_mwh, ppa_share_frac, no_resale, adder_usd_per_mwh
            ),
            "four_cp": {"strategy": strategy, "rate_usd_per_kw_year": four_cp_usd_per_kw_year},
            "demand_response": {
                "committed_mw": dr_mw,
                "capacity_usd_per_mw_hour": dr_usd_per_mw_hour,
            },
            "limits": {"min_load_mw": min_load_mw, "ramp_mw_per_hour": ramp_mw_per_hour},
            "ai_interruptible_frac": ai_interruptible_frac,
        }
        base = _base_sites(sc, site, efficiency_j_per_th, mining_mw)
        base = list(resolve_nodes(base, value_columns(prices), node, same_node, str(prices)))
        sites = [_apply_flags(s, flags) for s in base]
        nodes = list(dict.fromkeys(s.node for s in sites))
        market = read_market(prices, nodes, load, load_column, year, rules)
        hp, btc, hp_info = _hashprice(sc, hashprice_usd_per_ph_day, hashprice_file, btc_price_usd)
        engine = Dispatch(sites, market, hp, btc)
        inputs = {
            "prices": str(prices),
            "node": ", ".join(f"{s.name}={s.node}" for s in sites),
            "load": str(load) if load else None,
            "year": year,
            "sites": ", ".join(s.name for s in sites),
            "contract": sites[0].contract.kind,
            "four_cp_strategy": strategy,
            **hp_info,
        }
        runs = RunStore(store) if save else None
        how: Literal["day", "hour"] = "day" if block == Block.day else "hour"
        (payload, result, extras, _), run_id = record(
            "dispatch", _saved_spec(sc, sites, inputs), seed if paths else None,
            lambda: _compute(engine, inputs, ai_mw, paths, seed, how), store=runs,
            summary=lambda out: {k: v for k, v in out[0].items() if k not in _DETAIL_KEYS},
            per_path=lambda out: None if out[3] is None else out[3].per_path(),
        )  # fmt: skip
        if run_id is not None:
            payload["run_id"] = run_id
        if report is not None:
            from hashpivot.dispatch.report import dispatch_report

            dispatch_report(report, result, payload["inputs"], extras)
            payload["report"] = str(report)
        if as_json:
            emit_json(payload)
            return
        _print(payload, result.monthly(), result.yearly())
        if report is not None:
            console.print(f"wrote {report}")
        saved_note(run_id, runs)


_DETAIL_KEYS = ("monthly", "yearly", "sites", "notes")
"""Payload entries a saved run keeps out of its summary (tables, not metrics)."""


def _saved_spec(
    scenario: Scenario | None, sites: list[DispatchSiteSpec], inputs: dict[str, Any]
) -> dict[str, Any]:
    """What a saved dispatch run records as its scenario: the sites as dispatched, inputs."""
    return {
        "name": scenario.name if scenario is not None else "dispatch",
        "scenario": None if scenario is None else scenario.model_dump(mode="json"),
        "sites": [s.model_dump(mode="json") for s in sites],
        "inputs": inputs,
    }


def _compute(
    engine: Dispatch,
    inputs: dict[str, Any],
    ai_mw: float | None,
    paths: int,
    seed: int,
    block: Literal["day", "hour"],
) -> tuple[dict[str, Any], DispatchResult, dict[str, dict[str, Any]], FlexibilityMonteCarlo | None]:
    """Run the dispatch and the options' extras: payload, result, extras, Monte Carlo."""
    result = engine.run()
    payload = result.to_dict()
    payload["inputs"] = inputs
    extras: dict[str, dict[str, Any]] = {}
    if engine.market.system_load_mw is not None:
        payload["four_cp_comparison"] = engine.four_cp_comparison()
        extras["4CP strategies"] = payload["four_cp_comparison"]
    if ai_mw:
        payload["ai_conversion"] = engine.flexibility_lost(ai_mw).summary()
        extras["AI conversion"] = payload["ai_conversion"]
    mc = None
    if paths:
        mc = flexibility_monte_carlo(engine, paths, seed, ai_mw, block)
        payload["monte_carlo"] = mc.summary()
        extras["Monte Carlo of flexibility"] = payload["monte_carlo"]
    return payload, result, extras, mc


def register(app: typer.Typer, catalog_app: typer.Typer) -> None:
    """Add the ``dispatch`` command."""
    del catalog_app
    app.command("dispatch")(dispatch)
