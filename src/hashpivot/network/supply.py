"""Supply-curve network model: fleet vintages that run while profitable, lagged new builds.

State per path: installed capacity in the age tiers of :data:`TIER_WIDTH_MONTHS` plus an
oldest tier, the orders in a three-stage build pipeline, an exponential average of the
frontier machine's log profitability, an AR(1) build shock, and the chain
(:class:`hashpivot.network.chain.MonthlyChain`). Each month ``t``:

1. Hashprice at the start of the month from the difficulty then, the month's BTC price
   and fees: ``HP = 8.64e19/(D·2^32)·(subsidy + fees)·P`` [USD/PH/day] (Ref [1]).
2. Log profitability of the frontier machine at the median power price,
   ``x = ln(HP/(24·e_f·p_med))`` (hashcost = 24·J/TH·USD/kWh, Ref [1]); ``e_f`` falls by
   ``frontier_improvement_frac_per_year``.
3. The pipeline delivers into the youngest tier (Erlang-3 lag of mean ``L``, Ref [5]).
4. Tier ``k`` (mean age ``a_k``, efficiency ``e_f·exp(λ·a_k)``, ``λ`` the frontier's
   continuous rate of improvement) runs at the sites whose power price is below
   ``HP/(24·e_k)``. Power prices across the network are log-logistic with median
   ``p_med`` and log-sd ``σ_p`` (CBECI's basket of machines that run while profitable,
   Ref [2]), so its running share is a logistic function of ``x − λ·a_k``. Miners decide
   on the hashprice they earn once difficulty has caught up with the hashrate that runs
   (revenue shared by hashrate, Refs [6], [7]): the running hashrate is the fixed point
   ``H = Σ_k C_k·share_k(HP(H))`` (:func:`equilibrium_log_running`), and the month ends
   at ``H·exp(s·η_t)``, ``η_t`` a transient shock (curtailment, weather, luck).
5. The chain advances through the month with the hashrate log-linear between its levels
   at the start and the end of the month (:mod:`hashpivot.network.chain`).
6. New orders (:func:`_orders_eh_s`): a share ``φ`` of the capacity running and on order
   per unit of gap between the margin the frontier machine is expected to earn once the
   pipeline runs (from the trailing log profitability, mean lag ``W``) and the margin
   builders require, ``1 − (1 − m*)·e^{−ε_t}`` (``ε`` an AR(1) shock).
7. Capacity ages: a share ``1/w_k`` of each young tier moves on; the oldest tier retires
   at ``δ`` a month.

Hashrate thus follows price within the month through the running shares (the weeks of
Ref [3]) and with a lag through new builds sized by the trailing margin (Ref [4]). At the
start the fleet's age mix is the steady state of a fleet that grew at
``history_growth_frac_per_month``, scaled to run the start hashrate at the hashprice it
earns (step 4); the pipeline holds that history's orders times a lognormal shock. All shocks
are median-neutral (``exp`` of a zero-median normal), so the shock-free path is the
model's median path, which is what ``scripts/calibrate_network.py`` fits.

References
----------
.. [1] Hashprice = 8.64e19/(D·2^32)·(subsidy + fees)·P;
   hashcost per PH/day = 24·J/TH·USD/kWh. https://elektronics.dev/docs/hashprice
.. [2] CBECI methodology: a basket of hardware in which only profitable machines run,
   with a distribution of electricity prices. https://ccaf.io/cbnsi/cbeci/methodology
.. [3] D. Fantazzini and N. Kolodin (2020), Does the hashrate affect the bitcoin price?
   J. Risk Financial Manag. 13(11):263 (price → hashrate with lags of 1-6 weeks).
   https://www.mdpi.com/1911-8074/13/11/263
.. [4] Two speeds: vintages that switch on and off, and new builds after a lag of roughly
   6-12 months sized by trailing margin (assumption); frontier J/TH improving 15-25 %/yr
   (S9 98 J/TH in 2017, https://studio.glassnode.com/charts/btc-asic-fleet-count?a=BTC ,
   → S21 XP 13.5 in 2025,
   https://staging.reportify.cn/tags/industry?page=10&tagValue=Bitcoin+Mining ).
.. [5] J. D. Sterman (2000), *Business Dynamics*, McGraw-Hill, ch. 11 (material delays:
   an n-th order delay is an Erlang-n lag) and ch. 17 (stock management with a supply
   line: orders that ignore what is already on order overshoot).
.. [6] J. Prat and B. Walter (2021), An equilibrium model of the market for Bitcoin
   mining, J. Political Economy 129(8):2415-2452 (difficulty adjustment shares the
   block reward among the hashrate; free entry). CESifo WP 6865 (2018).
.. [7] "Hashrate fills cost tiers up to the point where marginal cost
   equals hashprice". https://htlc.io/hash-rate-equilibrium-math

"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from hashpivot import bitcoin
from hashpivot.network import kernels as network_kernels
from hashpivot.network.chain import (
    Calendar,
    MonthlyChain,
    MonthlyRecorder,
    NetworkPath,
    halving_targets,
    network_path_of,
)
from hashpivot.network.spec import NetworkModelSpec

FloatArray = npt.NDArray[np.float64]
ShockArray = npt.NDArray[np.floating[Any]]

TIER_WIDTH_MONTHS = (12.0, 12.0, 12.0, 24.0)
"""Mean residence of capacity in the age tiers 0-1, 1-2, 2-3 and 3-5 years before it
moves on to the oldest tier (assumption: ASIC lives of 3-5 years) [months]."""
HASHPRICE_USD_FACTOR = bitcoin.SECONDS_PER_DAY * 1e15 / bitcoin.HASHES_PER_DIFFICULTY
"""8.64e19/2^32: hashprice [USD/PH/day] = this / D × reward [BTC] × price [USD/BTC]."""
HOURS_PER_DAY = 24.0
"""Hours per day, in hashcost = 24·J/TH·USD/kWh [h/day]."""
PIPELINE_STAGES = 3
"""Stages of the build pipeline: deliveries follow an Erlang-3 lag of mean L (a
third-order material delay, J. Sterman 2000, *Business Dynamics*, ch. 11) [-]."""
MIN_START_RUNNING_FRAC = 0.3
"""Floor on the starting fleet's running share when sizing installed capacity [-]."""
MIN_RUNNING_EH_S = 1e-6
"""Floor on the running hashrate, so that a path whose whole fleet is off stays finite [EH/s]."""
EQUILIBRIUM_HP_FACTOR = network_kernels.EQUILIBRIUM_HP_FACTOR
"""(:mod:`hashpivot.network.kernels`) Hashprice once difficulty matches the hashrate:
this × reward [BTC] × price [USD/BTC] / hashrate [EH/s] [USD/PH/day]."""
NEWTON_STEP_TOL = network_kernels.NEWTON_STEP_TOL
"""Newton steps of :func:`equilibrium_log_running` stop below this [ln EH/s]."""
NEWTON_MAX_STEPS = network_kernels.NEWTON_MAX_STEPS
"""Cap on the Newton steps per path and month [-]."""


@dataclass(frozen=True)
class SupplyShocks:
    """Standard-normal draws of the supply model, one column per path.

    Attributes
    ----------
    build
        Innovations of the AR(1) order shock, ``(months, paths)``. [-]
    noise
        Transient shocks to the running hashrate, ``(months, paths)``. [-]
    start
        Starting value of the order shock (stationary), ``(paths,)``. [-]
    pipeline
        Log shock to the orders in the pipeline at the start, ``(paths,)``. [-]

    """

    build: ShockArray
    noise: ShockArray
    start: ShockArray
    pipeline: ShockArray


def continuous_rate_per_month(frac_per_year: float) -> float:
    """Continuous monthly rate of a yearly fractional fall: −ln(1−f)/12 [1/month]."""
    return -math.log1p(-frac_per_year) / 12.0


def frontier_efficiency_j_per_th(spec: NetworkModelSpec, dates: list[dt.date]) -> FloatArray:
    """Frontier ASIC efficiency on each date, falling by a fixed fraction a year [J/TH]."""
    years = np.array([(d - spec.frontier_reference_date).days / 365.25 for d in dates])
    fall = 1.0 - spec.frontier_improvement_frac_per_year
    return np.asarray(spec.frontier_efficiency_j_per_th * fall**years, dtype=np.float64)


def tier_mean_age_months(spec: NetworkModelSpec) -> FloatArray:
    """Mean age of each tier: mid-points of the young tiers, then 60 + 1/δ [months]."""
    widths = np.asarray(TIER_WIDTH_MONTHS)
    ends = np.cumsum(widths)
    young = ends - widths / 2.0
    old = ends[-1] + 1.0 / max(spec.retire_frac_per_month, 1.0 / 120.0)
    return np.concatenate([young, [old]])


def steady_state_tier_shares(spec: NetworkModelSpec) -> FloatArray:
    """Age mix of a fleet whose orders grew at ``history_growth_frac_per_month`` [-].

    Compartment ``k`` holds ``inflow/(g + 1/w_k)`` of what flows into it (``g`` the
    continuous growth rate, ``w_k`` its width); the oldest tier ``1/(g + δ)``.
    """
    g = math.log1p(spec.history_growth_frac_per_month)
    out = [1.0 / (g + 1.0 / TIER_WIDTH_MONTHS[0])]
    for k in range(1, len(TIER_WIDTH_MONTHS)):
        out.append(out[-1] / TIER_WIDTH_MONTHS[k - 1] / (g + 1.0 / TIER_WIDTH_MONTHS[k]))
    out.append(out[-1] / TIER_WIDTH_MONTHS[-1] / (g + spec.retire_frac_per_month))
    shares = np.asarray(out)
    return np.asarray(shares / shares.sum())


def hashprice_usd_per_ph_day(
    difficulty: FloatArray,
    subsidy_btc: FloatArray,
    fees_btc_per_block: FloatArray,
    price_usd: FloatArray,
) -> FloatArray:
    """Hashprice from difficulty, subsidy, fees and price [USD/PH/day]. Ref [1]."""
    reward = subsidy_btc + fees_btc_per_block
    return np.asarray(HASHPRICE_USD_FACTOR / difficulty * reward * price_usd)


def logistic_tier_factor(tier_offset: FloatArray, power_price_log_sd: float) -> FloatArray:
    """``c_k = exp(2β·λa_k)`` of :func:`running_frac`, per tier [-]."""
    return np.exp(2.0 * _half_inv_scale(power_price_log_sd) * tier_offset)


def _half_inv_scale(power_price_log_sd: float) -> float:
    """``β = 1/(2s)`` for the logistic scale ``s = σ_p·√3/π`` [-]."""
    return math.pi / (2.0 * math.sqrt(3.0) * power_price_log_sd)


def running_frac(
    log_profit: FloatArray, tier_offset: FloatArray, power_price_log_sd: float
) -> FloatArray:
    """Share of each tier that runs, shaped ``(tiers, paths)`` [-].

    Log power prices across the network follow a logistic distribution with median
    ``ln p_med`` and standard deviation ``σ_p`` (scale ``s = σ_p·√3/π``): a log-logistic
    distribution of power prices, close to the lognormal but cheaper to evaluate.
    Tier ``k`` runs where ``p ≤ HP/(24·e_k)``, i.e. with share
    ``1/(1 + exp(−(x − λ·a_k)/s)) = 1/(1 + e^{−2βx}·c_k)``, ``β = 1/(2s)`` and
    ``c_k = e^{2βλa_k}``: one ``exp`` per path for all tiers. Half of a tier runs when
    hashprice equals its hashcost at the median power price.
    """
    e = np.exp(-2.0 * _half_inv_scale(power_price_log_sd) * log_profit)
    c = logistic_tier_factor(tier_offset, power_price_log_sd)
    z = c[:, None] * e[None, :]
    z += 1.0
    return np.asarray(np.reciprocal(z, out=z))


def log_reward_margin(
    subsidy_btc: FloatArray, fees_btc_per_block: FloatArray, price_usd: FloatArray,
    log_cost: float,
) -> FloatArray:  # fmt: skip
    """Log profitability of the frontier machine on a 1 EH/s network in equilibrium [-].

    ``A = ln(EQUILIBRIUM_HP_FACTOR·reward·price) − ln(frontier hashcost)``: what the
    frontier machine would earn over its cost were the whole network 1 EH/s and
    difficulty caught up with it.
    """
    reward = subsidy_btc + fees_btc_per_block
    return np.asarray(np.log(EQUILIBRIUM_HP_FACTOR * reward * price_usd) - log_cost)


def equilibrium_log_running(
    reward_margin: FloatArray,
    capacity_eh_s: FloatArray,
    tier_factor: FloatArray,
    two_beta: float,
    log_guess: FloatArray,
) -> FloatArray:
    """Log of the running hashrate that its own hashprice keeps running ``(paths,)`` [ln EH/s].

    Miners run at the hashprice they earn once difficulty has caught up with the
    hashrate that runs: revenue shared by hashrate, ``HP = reward·price·144/H`` (Refs
    [6], [7]). The running hashrate ``H = e^u`` then solves ``u = ln S(u)``, with
    ``S(u) = Σ_k C_k/(1 + c_k·e^{2β(u − A)})`` the tiers' running capacity at log
    profitability ``A − u`` (:func:`running_frac`, ``A`` from :func:`log_reward_margin`).
    ``g(u) = u − ln S(u)`` rises with slope ``g' = 1 + 2β·Σ C_k w_k(1 − w_k)/S`` between
    1 and 1 + 2β (``w_k`` the shares running), so the root is unique; Newton's method from
    ``log_guess`` (last month's) finds it, each path stepping until a step is below
    :data:`NEWTON_STEP_TOL`.

    Deciding on the opening difficulty instead lets a month's price fall switch off
    most of a marginal fleet; the difficulty then lags by epochs that run long, and the
    network swings between on and off (a cobweb): with it, simulated hashrate moved by
    0.38 in logs a month (sd; 2016-2024 history: 0.087) and 5 % of 10-year paths ended
    below 2 EH/s. Solved here, the sd is 0.087.
    """
    u = np.array(log_guess, dtype=np.float64)
    c = np.asarray(tier_factor, dtype=np.float64)[:, None]
    todo = np.arange(u.size)
    for _ in range(NEWTON_MAX_STEPS):
        if todo.size == 0:
            break
        cap = capacity_eh_s[:, todo]
        e = np.exp(two_beta * (u[todo] - reward_margin[todo]))
        w = 1.0 / (c * e + 1.0)
        running = (cap * w).sum(axis=0)
        slope = (cap * (w * (1.0 - w))).sum(axis=0)
        step = (u[todo] - np.log(running)) / (1.0 + two_beta * slope / running)
        u[todo] -= step
        todo = todo[np.abs(step) >= NEWTON_STEP_TOL]
    return u


def _orders_eh_s(
    spec: NetworkModelSpec, fleet: _FleetState, running_eh_s: FloatArray
) -> FloatArray:
    """New orders: close part of the gap between the expected and the required margin [EH/s].

    The trailing log profitability ``x̄`` is what the running hashrate earns; once the
    capacity on order also runs, hashprice falls in proportion (it is revenue shared by
    hashrate), so the expected log profitability is ``x̂ = x̄ − ln(Q/H_run)`` with ``Q`` the
    running hashrate plus the pipeline, and the expected margin ``m̂ = 1 − e^{−x̂}``.
    Orders are ``φ·Q·max(m̂ − m_t, 0)`` with the required margin
    ``m_t = 1 − (1 − m*)·e^{−ε_t}`` (``ε_t`` the AR(1) build shock). Counting the
    pipeline (the "supply line", Sterman 2000) keeps the lagged builds from overshooting;
    a margin, unlike log profitability, saturates in booms, when ASIC prices rise with
    hashprice.
    """
    supply_line = running_eh_s + fleet.pipeline_eh_s.sum(axis=0)
    expected_margin = 1.0 - supply_line / running_eh_s * np.exp(-fleet.mean_log_profit)
    required_margin = 1.0 - (1.0 - spec.target_margin_frac) * np.exp(-fleet.order_shock)
    gap = np.maximum(expected_margin - required_margin, 0.0)
    return np.asarray(spec.build_response_frac_per_month * supply_line * gap)


@dataclass
class _FleetState:
    """Installed capacity by tier ``(tiers, paths)`` [EH/s] and the order pipeline."""

    capacity_eh_s: FloatArray
    pipeline_eh_s: FloatArray
    mean_log_profit: FloatArray
    order_shock: FloatArray


def _initial_fleet(
    spec: NetworkModelSpec,
    start_hashrate_eh_s: FloatArray,
    log_profit0: FloatArray,
    running_log_profit0: FloatArray,
    tier_offset: FloatArray,
    shock0: FloatArray,
    pipeline_shock: FloatArray,
) -> _FleetState:
    """Fleet at the start: steady-state age mix running the start hashrate, and its pipeline.

    ``log_profit0`` (at the opening difficulty) starts the trailing average builders
    look at; the fleet is sized so that the start hashrate is what runs at
    ``running_log_profit0``, the log profitability it earns (the equilibrium of
    :func:`equilibrium_log_running`). The pipeline holds the orders of a running fleet that grew at
    ``history_growth_frac_per_month``, times ``exp(s·z)``: orders placed before the start
    are not known. Idle capacity (a low start price) does not add to it.
    """
    shares = steady_state_tier_shares(spec)
    run = running_frac(running_log_profit0, tier_offset, spec.power_price_log_sd)
    run_share = np.maximum((shares[:, None] * run).sum(axis=0), MIN_START_RUNNING_FRAC)
    installed = start_hashrate_eh_s / run_share
    capacity = shares[:, None] * installed[None, :]
    g = math.log1p(spec.history_growth_frac_per_month)
    inflow = shares[0] * start_hashrate_eh_s * (g + 1.0 / TIER_WIDTH_MONTHS[0])
    inflow = inflow * np.exp(pipeline_shock)
    stage_months = spec.build_lag_months / PIPELINE_STAGES
    pipeline = np.empty((PIPELINE_STAGES, inflow.size))
    level = inflow * stage_months
    for k in range(PIPELINE_STAGES - 1, -1, -1):
        pipeline[k] = level
        level = level * (1.0 + g * stage_months)
    return _FleetState(capacity, pipeline, log_profit0.copy(), shock0.copy())


def _deliver(pipeline: FloatArray, stage_rate: float) -> FloatArray:
    """Move ``stage_rate`` of each pipeline stage on, in place; return what leaves the last."""
    flow = pipeline * stage_rate
    pipeline -= flow
    pipeline[1:] += flow[:-1]
    return np.asarray(flow[-1])


def _age(capacity: FloatArray, retire_frac_per_month: float) -> None:
    """Move ``1/w_k`` of each young tier on and retire ``δ`` of the oldest, in place."""
    flow = capacity[:-1] / np.asarray(TIER_WIDTH_MONTHS)[:, None]
    capacity[-1] *= 1.0 - retire_frac_per_month
    capacity[:-1] -= flow
    capacity[1:] += flow


def simulate_supply_curve(
    spec: NetworkModelSpec,
    price_usd: FloatArray,
    fees_btc_per_block: FloatArray,
    cal: Calendar,
    start_hashrate_eh_s: float,
    start_difficulty: float,
    start_height: float,
    shocks: SupplyShocks,
    start_epoch_elapsed_days: float | None = None,
    use_numba: bool = True,
) -> NetworkPath:
    """Network path of the supply-curve model under given price and fee paths.

    Parameters
    ----------
    spec
        Model parameters.
    price_usd
        BTC price by month, ``(paths, months)``. [USD/BTC]
    fees_btc_per_block
        Fees per block by month, ``(paths, months)``. [BTC/block]
    cal
        Months simulated.
    start_hashrate_eh_s, start_difficulty, start_height
        State at the start of month 0. [EH/s], [-], [blocks]
    shocks
        Standard-normal draws (see :class:`SupplyShocks`).
    start_epoch_elapsed_days
        Days since the current epoch began (default from the height at 600 s). [days]
    use_numba
        Run the compiled month loop of :mod:`hashpivot.network.kernels` (same numbers)
        when numba is installed; ``False`` runs the NumPy definition, :func:`_run_months`.

    """
    paths, months = price_usd.shape
    lam = continuous_rate_per_month(spec.frontier_improvement_frac_per_year)
    tier_offset = lam * tier_mean_age_months(spec)
    dates = [d.date() for d in cal.month_start]
    frontier_cost = HOURS_PER_DAY * frontier_efficiency_j_per_th(spec, dates)
    log_cost = np.log(frontier_cost * spec.power_price_median_usd_per_kwh)
    targets = halving_targets(start_height, months)
    chain = MonthlyChain(start_height, start_difficulty, paths, start_epoch_elapsed_days, targets)
    h0 = _blended_start_hashrate_eh_s(spec, start_hashrate_eh_s, start_difficulty)
    hp0 = hashprice_usd_per_ph_day(
        chain.difficulty, chain.subsidy_btc, fees_btc_per_block[:, 0], price_usd[:, 0]
    )
    reward_margin0 = log_reward_margin(
        chain.subsidy_btc, fees_btc_per_block[:, 0], price_usd[:, 0], float(log_cost[0])
    )
    sd_b = spec.build_shock_log_sd
    fleet = _initial_fleet(
        spec,
        np.full(paths, h0),
        np.log(hp0) - log_cost[0],
        reward_margin0 - math.log(h0),
        tier_offset,
        sd_b * shocks.start.astype(np.float64),
        spec.start_pipeline_log_sd * shocks.pipeline.astype(np.float64),
    )
    if use_numba and network_kernels.HAVE_NUMBA:
        out, halving_day = network_kernels.supply_months(
            _kernel_arrays(spec, price_usd, fees_btc_per_block, cal, log_cost, tier_offset)
            | _kernel_fleet(spec, fleet, chain, shocks),
            _kernel_params(spec),
            h0,
            targets,
        )
        return network_path_of(out, cal, fees_btc_per_block, targets, halving_day)
    rec = MonthlyRecorder(months, paths)
    _run_months(
        spec,
        price_usd,
        fees_btc_per_block,
        cal,
        chain,
        fleet,
        h0,
        log_cost,
        tier_offset,
        shocks,
        rec,
    )
    return rec.network_path(cal, fees_btc_per_block, chain)


def _kernel_arrays(
    spec: NetworkModelSpec,
    price_usd: FloatArray,
    fees: FloatArray,
    cal: Calendar,
    log_cost: FloatArray,
    tier_offset: FloatArray,
) -> dict[str, Any]:
    """The paths and calendar arrays of :func:`hashpivot.network.kernels.supply_months`."""
    return {
        "price": np.asarray(price_usd, dtype=np.float64),
        "fees": np.asarray(fees, dtype=np.float64),
        "log_cost": log_cost,
        "days": cal.days_in_month.astype(np.float64),
        "month_start_day": cal.month_start_day,
        "tier_factor": logistic_tier_factor(tier_offset, spec.power_price_log_sd),
        "tier_width": np.asarray(TIER_WIDTH_MONTHS, dtype=np.float64),
    }


def _kernel_fleet(
    spec: NetworkModelSpec, fleet: _FleetState, chain: MonthlyChain, shocks: SupplyShocks
) -> dict[str, Any]:
    """The starting state and shocks of :func:`hashpivot.network.kernels.supply_months`."""
    return {
        "noise_factor": np.exp(spec.hashrate_noise_log_sd * shocks.noise.astype(np.float64)),
        "build": shocks.build,
        "capacity": fleet.capacity_eh_s,
        "pipeline": fleet.pipeline_eh_s,
        "mean_log_profit": fleet.mean_log_profit,
        "order_shock": fleet.order_shock,
        "state": chain.state(),
    }


def _kernel_params(spec: NetworkModelSpec) -> FloatArray:
    """The scalars of the month loop, in the order the kernel unpacks them."""
    rho = spec.build_shock_autocorr_per_month
    return np.array(
        [
            PIPELINE_STAGES / spec.build_lag_months,
            2.0 * _half_inv_scale(spec.power_price_log_sd),
            1.0 / spec.margin_window_months,
            rho,
            spec.build_shock_log_sd * math.sqrt(1.0 - rho * rho),
            spec.target_margin_frac,
            spec.build_response_frac_per_month,
            spec.retire_frac_per_month,
            MIN_RUNNING_EH_S,
        ]
    )


def _blended_start_hashrate_eh_s(
    spec: NetworkModelSpec, start_hashrate_eh_s: float, start_difficulty: float
) -> float:
    """Start hashrate blended in logs with the one the difficulty implies [EH/s].

    A daily hashrate estimate from one day's blocks is noisy (Poisson, about 8 % for
    144 blocks); D·2^32/600 averages the last epoch's 2016 blocks.
    """
    implied = float(bitcoin.hashrate_h_s_for_difficulty(start_difficulty)) / 1e18
    w = spec.start_hashrate_weight_frac
    return float(np.exp(w * np.log(start_hashrate_eh_s) + (1.0 - w) * np.log(implied)))


def _run_months(
    spec: NetworkModelSpec,
    price_usd: FloatArray,
    fees: FloatArray,
    cal: Calendar,
    chain: MonthlyChain,
    fleet: _FleetState,
    h0: float,
    log_cost: FloatArray,
    tier_offset: FloatArray,
    shocks: SupplyShocks,
    rec: MonthlyRecorder,
) -> None:
    """The month loop: running shares, chain, orders, ageing."""
    paths, months = price_usd.shape
    stage_rate = PIPELINE_STAGES / spec.build_lag_months
    rho = spec.build_shock_autocorr_per_month
    sd_b = spec.build_shock_log_sd
    innov_sd = sd_b * math.sqrt(1.0 - rho * rho)
    sd_n = spec.hashrate_noise_log_sd
    alpha = 1.0 / spec.margin_window_months
    h_prev = np.full(paths, h0 * 1e18)
    two_beta = 2.0 * _half_inv_scale(spec.power_price_log_sd)
    tier_factor = logistic_tier_factor(tier_offset, spec.power_price_log_sd)
    log_running = np.full(paths, math.log(h0))
    for t in range(months):
        hp = hashprice_usd_per_ph_day(
            chain.difficulty, chain.subsidy_btc, fees[:, t], price_usd[:, t]
        )
        x = np.log(hp) - log_cost[t]
        fleet.capacity_eh_s[0] += _deliver(fleet.pipeline_eh_s, stage_rate)
        margin = log_reward_margin(chain.subsidy_btc, fees[:, t], price_usd[:, t], log_cost[t])
        log_running = equilibrium_log_running(
            margin, fleet.capacity_eh_s, tier_factor, two_beta, log_running
        )
        running = np.maximum(np.exp(log_running), MIN_RUNNING_EH_S)
        h_end = running * 1e18 * np.exp(sd_n * shocks.noise[t].astype(np.float64))
        rec.record(t, chain, h_prev, h_end, float(cal.days_in_month[t]), fees[:, t])
        fleet.mean_log_profit += alpha * (x - fleet.mean_log_profit)
        fleet.order_shock = rho * fleet.order_shock + innov_sd * shocks.build[t].astype(np.float64)
        fleet.pipeline_eh_s[0] += _orders_eh_s(spec, fleet, running)
        _age(fleet.capacity_eh_s, spec.retire_frac_per_month)
        h_prev = h_end
