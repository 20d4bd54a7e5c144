import pytest

from hashpivot.company.valuation import contracted_noi_usd_per_year, value_scenario
from hashpivot.finance import MissingInputError
from hashpivot.spec import default_scenario


def test_value_default_scenario() -> None:
    v = value_scenario(default_scenario()).to_dict()
    for key in ("enterprise_value_usd", "equity_value_usd", "sotp", "ev_per_mw_usd"):
        assert key in v
    s = v["sotp"]
    parts = [k for k in s if k != "total_usd"]
    assert sum(s[k] for k in parts) == pytest.approx(s["total_usd"])
    assert v["ev_per_mw_usd"] == pytest.approx(v["enterprise_value_usd"] / 300)


def test_contracted_noi_and_cap_rate() -> None:
    sc = default_scenario()
    noi = contracted_noi_usd_per_year(sc)
    assert noi == pytest.approx(46 * 1000 * (150 - 25) * 12)
    v = value_scenario(sc).to_dict()
    assert v["sotp"]["contracted_noi_capitalised_usd"] == pytest.approx(noi / 0.065)


def test_missing_shares_is_reported_not_zero() -> None:
    sc = default_scenario()
    sc = sc.model_copy(
        update={"company": sc.company.model_copy(update={"shares_outstanding": None})}
    )
    val = value_scenario(sc)
    assert val.to_dict()["equity_value_usd_per_share"] is None
    assert "shares_outstanding" in val.to_dict()["missing"]
    with pytest.raises(MissingInputError, match="shares_outstanding"):
        val.bridge.require_per_share()
