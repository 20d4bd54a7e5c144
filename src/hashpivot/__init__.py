"""hashpivot: model, plan and value a Bitcoin miner's pivot to AI/HPC compute.

From terahash to petaflops. See the README for the quick start and
``docs/nomenclature.md`` for every name and unit.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("hashpivot")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
