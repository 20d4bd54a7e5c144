"""ASIC and GPU catalogues, packaged as CSV with a source URL and as-of date on every row.

Look-up is by name, forgiving of case, spaces, hyphens and the vendor prefix
(``"s21 xp"`` finds ``"Antminer S21 XP"``). An unknown name raises
:class:`~hashpivot.errors.UnknownNameError` listing the closest valid names.

References
----------
Rows cite their own public sources (``source_url`` and ``note`` columns).

"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass
from importlib import resources

import pandas as pd

from hashpivot.errors import UnknownNameError


@dataclass(frozen=True)
class AsicModel:
    """One ASIC miner model from the catalogue.

    Attributes
    ----------
    model
        Catalogue name, e.g. ``"Antminer S21 XP"``.
    hashrate_th_s
        Nameplate hashrate. [TH/s]
    power_w
        Nameplate power at the wall. [W]
    efficiency_j_per_th
        Energy per terahash. [J/TH]
    price_usd_per_th
        Last sourced price, NaN when none is known. [USD/TH]

    """

    model: str
    manufacturer: str
    hashrate_th_s: float
    power_w: float
    efficiency_j_per_th: float
    cooling: str
    release_date: str
    price_usd_per_th: float
    price_as_of: str
    source_url: str
    as_of: str
    note: str


@dataclass(frozen=True)
class GpuModel:
    """One GPU model from the catalogue.

    Attributes
    ----------
    tdp_w
        Thermal design power of one GPU. [W]
    bf16_dense_tflops, fp8_dense_tflops
        Dense (no sparsity) tensor throughput; NaN where unsupported. [TFLOPS]
    memory_gb
        HBM capacity. [GB]
    price_usd
        Street price estimate of one GPU, NaN when none is known. [USD]

    """

    model: str
    vendor: str
    generation: str
    tdp_w: float
    bf16_dense_tflops: float
    fp8_dense_tflops: float
    memory_gb: float
    release_year: float
    price_usd: float
    price_as_of: str
    source_url: str
    as_of: str
    note: str


def _read_csv(name: str) -> pd.DataFrame:
    with resources.files("hashpivot.data").joinpath(name).open("r", encoding="utf-8") as fh:
        frame = pd.read_csv(fh, dtype={"price_as_of": str, "release_date": str})
    text_cols = frame.select_dtypes(include=["object", "string"]).columns
    frame[text_cols] = frame[text_cols].fillna("")
    return frame


@functools.cache
def asic_catalog() -> pd.DataFrame:
    """The ASIC catalogue as a frame, one row per model (copy before changing it)."""
    return _read_csv("asics.csv")


@functools.cache
def gpu_catalog() -> pd.DataFrame:
    """The GPU catalogue as a frame, one row per model (copy before changing it)."""
    return _read_csv("gpus.csv")


def _key(name: str) -> str:
    """Normalised look-up key: lower case, no vendor prefix, no spaces or punctuation."""
    k = name.lower().replace("+", "plus")
    k = re.sub(r"^(antminer|whatsminer|nvidia)\s*", "", k.strip())
    k = k.replace("hydro", "hyd")
    return re.sub(r"[^a-z0-9]", "", k)


def _find_row(frame: pd.DataFrame, name: str, kind: str) -> pd.Series:
    keys = {_key(m): i for i, m in enumerate(frame["model"])}
    idx = keys.get(_key(name))
    if idx is None:  # a unique prefix is enough: "A100" finds "A100 SXM"
        prefixed = [i for k, i in keys.items() if _key(name) and k.startswith(_key(name))]
        idx = prefixed[0] if len(prefixed) == 1 else None
    if idx is None:
        valid = list(frame["model"])
        close = difflib.get_close_matches(name, valid, n=3, cutoff=0.4)
        if not close:
            by_key = difflib.get_close_matches(_key(name), list(keys), n=3, cutoff=0.4)
            close = [valid[keys[k]] for k in by_key]
        raise UnknownNameError(kind, name, valid, close)
    return frame.iloc[idx]


def asic_names() -> list[str]:
    """Catalogue names of every ASIC model."""
    return list(asic_catalog()["model"])


def gpu_names() -> list[str]:
    """Catalogue names of every GPU model."""
    return list(gpu_catalog()["model"])


@functools.lru_cache(maxsize=256)
def get_asic(name: str) -> AsicModel:
    """Look up an ASIC model by name; unknown names list the closest valid ones."""
    row = _find_row(asic_catalog(), name, "ASIC model")
    return AsicModel(**{f: row[f] for f in AsicModel.__dataclass_fields__})


@functools.lru_cache(maxsize=256)
def get_gpu(name: str) -> GpuModel:
    """Look up a GPU model by name; unknown names list the closest valid ones."""
    row = _find_row(gpu_catalog(), name, "GPU model")
    return GpuModel(**{f: row[f] for f in GpuModel.__dataclass_fields__})
