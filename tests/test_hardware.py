import math

import pytest

from hashpivot import hardware
from hashpivot.errors import UnknownNameError

REQUIRED_ASICS = [
    "S19j Pro",
    "S19 XP",
    "S21",
    "S21 Pro",
    "S21 XP",
    "S21+ Hydro",
    "S21 XP Hydro",
    "Whatsminer M60S",
    "M66S+",
]
REQUIRED_GPUS = ["A100", "H100 SXM", "H200", "B200", "GB200", "B300"]


@pytest.mark.parametrize("name", REQUIRED_ASICS)
def test_required_asics_present(name: str) -> None:
    asic = hardware.get_asic(name)
    assert asic.hashrate_th_s > 0
    assert asic.source_url.startswith("http")
    assert asic.as_of


@pytest.mark.parametrize("name", REQUIRED_GPUS)
def test_required_gpus_present(name: str) -> None:
    gpu = hardware.get_gpu(name)
    assert gpu.tdp_w > 0
    assert gpu.source_url.startswith("http")


def test_reference_specs() -> None:
    # facts.md B and C: S21 XP 270 TH/s at 13.5 J/TH; H100 SXM 700 W, 989.4 BF16 dense.
    s21xp = hardware.get_asic("Antminer S21 XP")
    assert (s21xp.hashrate_th_s, s21xp.efficiency_j_per_th) == (270, 13.5)
    h100 = hardware.get_gpu("H100 SXM")
    assert (h100.tdp_w, h100.bf16_dense_tflops, h100.fp8_dense_tflops) == (700, 989.4, 1978.9)
    assert math.isnan(hardware.get_gpu("A100 SXM").fp8_dense_tflops)


def test_every_row_is_consistent_and_sourced() -> None:
    for _, row in hardware.asic_catalog().iterrows():
        assert row["source_url"].startswith("http"), row["model"]
        assert row["as_of"], row["model"]
        implied = row["hashrate_th_s"] * row["efficiency_j_per_th"]
        assert implied == pytest.approx(row["power_w"], rel=0.03), row["model"]
    for _, row in hardware.gpu_catalog().iterrows():
        assert row["source_url"].startswith("http"), row["model"]


def test_lookup_is_forgiving() -> None:
    assert hardware.get_asic("s21 xp hyd").model == "Antminer S21 XP Hydro"
    assert hardware.get_asic("antminer-s21+hydro").model == "Antminer S21+ Hydro"
    assert hardware.get_gpu("nvidia h200").model == "H200"


def test_unknown_name_lists_closest() -> None:
    with pytest.raises(UnknownNameError, match=r"closest: .*Antminer S21 XP") as info:
        hardware.get_asic("Antminer S21 XPP")
    assert "valid names" in str(info.value)
    with pytest.raises(UnknownNameError, match="GPU model"):
        hardware.get_gpu("H1000")
