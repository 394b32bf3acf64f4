"""Shared analysis package for the Batang OPD innovation, service and budget-cut notebooks.

Every computation the notebooks and reports need lives here; see docs/architecture.md for
which module owns what.
"""

__version__ = "0.1.0"
