"""``hashpivot catalog asics|gpus|companies``: the packaged catalogues, with sources.

``catalog deals`` (the AI deal events) is registered by :mod:`hashpivot.cli.equities`.
"""

from __future__ import annotations

from typing import Annotated, Any

import pandas as pd
import typer
from rich.text import Text

from hashpivot.cli.common import JsonOpt, console, emit_json, errors_exit_2, table
from hashpivot.hardware import asic_catalog, gpu_catalog
from hashpivot.listed.catalog import (
    AiContractSpec,
    ListedCompanySpec,
    SourcedSpec,
    company_catalog,
    company_names,
    company_summary,
    load_company,
)

TickerArg = Annotated[
    str | None,
    typer.Argument(
        help="A ticker (e.g. IREN), company name or company YAML file: show all its facts "
        "with their sources. Omit to list every packaged company.",
        show_default=False,
    ),
]


def register(app: typer.Typer, catalog_app: typer.Typer) -> None:
    """Add ``asics``, ``gpus`` and ``companies`` to the ``catalog`` group."""
    del app
    catalog_app.command("asics")(catalog_asics)
    catalog_app.command("gpus")(catalog_gpus)
    catalog_app.command("companies")(catalog_companies)


def catalog_companies(ticker: TickerArg = None, as_json: JsonOpt = False) -> None:
    """Listed miners pivoting to AI: MW, EH/s, AI contracts (IT MW, value), with sources."""
    with errors_exit_2():
        if ticker is not None:
            _show_company(load_company(ticker), as_json)
            return
        if as_json:
            companies = [_company_payload(load_company(t)) for t in company_names()]
            emit_json({"companies": companies})
            return
        _print_catalog(company_catalog())


def _company_payload(company: ListedCompanySpec) -> dict[str, Any]:
    """Every fact of a company with its source, plus the catalogue summary."""
    from hashpivot.listed.checks import consistency_warnings

    return {
        **company.model_dump(mode="json"),
        "summary": company_summary(company),
        "consistency_warnings": consistency_warnings(company),
    }


def _print_catalog(frame: pd.DataFrame) -> None:
    shown = pd.DataFrame(
        {
            "ticker": frame["ticker"],
            "name": frame["name"],
            "operating MW": frame["operating_mw"],
            "reported MW": frame["reported_mw"],
            "EH/s": frame["hashrate_eh_s"],
            "EH/s as of": frame["hashrate_as_of"],
            "AI IT MW": frame["ai_it_mw"],
            "AI contracts (USD bn)": frame["ai_contract_value_usd"] / 1e9,
        }
    )
    console.print(table(shown, "Listed miners pivoting to AI/HPC"))
    console.print(
        "operating MW: energised gross capacity; reported MW: largest reported capacity of "
        "any status; AI: active contracts (later figures replace the ones they include).\n"
        "Sources: `hashpivot catalog companies TICKER` lists every fact with its source; "
        "`--json` gives source_url and as_of for all.\n"
        "Balance sheets (shares, cash, BTC, convertibles, loans, warrants, prepayments) are "
        "in each company's file with their sources; items no source gives are named missing."
    )
    from hashpivot.listed.checks import consistency_warnings

    for ticker in frame["ticker"]:
        for line in consistency_warnings(load_company(ticker)):
            console.print(f"warning: {line}", highlight=False, soft_wrap=True)


def _show_company(company: ListedCompanySpec, as_json: bool) -> None:
    if as_json:
        emit_json(_company_payload(company))
        return
    console.print(
        Text.assemble((company.ticker, "bold"), f" {company.name} (facts compiled {company.as_of})")
    )
    if company.description:
        console.print(company.description)
    sources: list[str] = []
    sites = [
        {
            "site": s.name,
            "scope": s.scope,
            "gross MW": s.gross_mw,
            "IT MW": s.it_mw,
            "target MW": s.target_gross_mw,
            "status": s.status,
            "region": s.region,
        }
        | _provenance(s, sources)
        for s in company.sites
    ]
    _print_rows(sites, "Sites and power")
    rates = [
        {"EH/s": h.hashrate_eh_s, "kind": h.kind} | _provenance(h, sources)
        for h in company.hashrate
    ]
    _print_rows(rates, "Hashrate")
    contracts = [_contract_row(c) | _provenance(c, sources) for c in company.ai_contracts]
    _print_rows(contracts, "AI contracts (USD/kW-mo: value / term / IT MW, straight-line)")
    facts = [{"fact": f.text} | _provenance(f, sources) for f in company.other_facts]
    _print_rows(facts, "Other facts")
    if company.balance_sheet is not None:
        _print_rows(
            _balance_rows(company.balance_sheet, sources), "Balance sheet (prices in USD/share)"
        )
    console.print("Sources:")
    for i, url in enumerate(sources, start=1):
        console.print(f"  [{i}] {url}", markup=False, highlight=False, soft_wrap=True)
    if company.balance_sheet is None:
        console.print(
            "balance_sheet: not given (shares outstanding, debt, cash, BTC held); "
            "valuations that need them stop with a message naming the missing field."
        )
        return
    from hashpivot.listed.checks import consistency_warnings

    for line in consistency_warnings(company):
        console.print(f"warning: {line}", highlight=False, soft_wrap=True)
    for gap in company.balance_sheet.missing:
        console.print(f"missing: {gap.item} — {gap.reason}", highlight=False, soft_wrap=True)


def _balance_rows(bs: Any, sources: list[str]) -> list[dict[str, Any]]:
    """One row per balance-sheet item: what, amount, unit, terms, and its provenance."""
    rows: list[dict[str, Any]] = []
    scalars = (("shares_outstanding", "shares", "shares"), ("cash_usd", "usd", "USD"),
               ("btc_held", "btc", "BTC"), ("btc_value_usd", "usd", "USD"))  # fmt: skip
    for name, attr, unit in scalars:
        item = getattr(bs, name)
        if item is not None:
            row = {"item": name, "amount": getattr(item, attr), "unit": unit, "terms": ""}
            rows.append(row | _provenance(item, sources))
    for c in bs.convertibles:
        terms = (f"{c.coupon_frac_per_year:.3%} to {c.maturity}, converts at "
                 f"{c.conversion_price_usd_per_share:g}")  # fmt: skip
        row = {"item": c.id, "amount": c.principal_usd, "unit": "USD", "terms": terms}
        rows.append(row | _provenance(c, sources))
    for d in bs.project_debt:
        row = {"item": d.id, "amount": d.principal_usd, "unit": "USD",
               "terms": f"to {d.maturity or '?'}"}  # fmt: skip
        rows.append(row | _provenance(d, sources))
    for w in bs.warrants:
        strike = "strike ?" if w.strike_usd_per_share is None else (
            f"strike {w.strike_usd_per_share:g}")  # fmt: skip
        row = {"item": f"{w.id} ({w.holder})", "amount": w.shares, "unit": "shares",
               "terms": strike}  # fmt: skip
        rows.append(row | _provenance(w, sources))
    for p in bs.prepayments:
        row = {"item": f"{p.id} prepaid", "amount": p.usd, "unit": "USD", "terms": p.customer}
        rows.append(row | _provenance(p, sources))
    return rows


def _provenance(fact: SourcedSpec, sources: list[str]) -> dict[str, Any]:
    """As-of, basis and the number of the fact's source in the list printed below."""
    if fact.source_url not in sources:
        sources.append(fact.source_url)
    return {"as of": fact.as_of, "basis": fact.basis, "src": sources.index(fact.source_url) + 1}


def _contract_row(c: AiContractSpec) -> dict[str, Any]:
    return {
        "id": c.id,
        "partner": c.partner,
        "kind": c.kind,
        "IT MW": c.it_mw,
        "USD bn": None if c.total_value_usd is None else c.total_value_usd / 1e9,
        "years": c.term_years,
        "escalator": c.escalator_frac_per_year,
        "USD/kW-mo": c.implied_usd_per_kw_month(),
        "signed": c.signed,
        "replaced by": c.superseded_by or "",
    }


def _print_rows(rows: list[dict[str, Any]], title: str) -> None:
    if not rows:
        return
    frame = pd.DataFrame(rows)
    for col in frame.columns:
        if frame[col].map(lambda v: v is None).any():
            frame[col] = pd.to_numeric(frame[col], errors="coerce")
    console.print(table(frame, title))


def _catalog(frame: pd.DataFrame, title: str, cols: list[str], as_json: bool) -> None:
    if as_json:
        emit_json({"rows": frame.to_dict(orient="records")})
        return
    console.print(table(frame[cols], title))
    console.print("Sources: `--json` gives source_url, as_of and notes for every row.")


def catalog_asics(as_json: JsonOpt = False) -> None:
    """ASIC miners: TH/s, W, J/TH, release date, price USD/TH where known, with sources."""
    cols = [
        "model",
        "hashrate_th_s",
        "power_w",
        "efficiency_j_per_th",
        "cooling",
        "release_date",
        "price_usd_per_th",
    ]
    _catalog(asic_catalog(), "ASIC catalogue", cols, as_json)


def catalog_gpus(as_json: JsonOpt = False) -> None:
    """GPUs: TDP W, dense BF16 and FP8 TFLOPS, memory GB, price estimate, with sources."""
    cols = ["model", "tdp_w", "bf16_dense_tflops", "fp8_dense_tflops", "memory_gb", "price_usd"]
    _catalog(gpu_catalog(), "GPU catalogue", cols, as_json)
