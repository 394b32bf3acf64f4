"""One converter per kind of file: located sheets -> rows of a canonical table.

Each converter reads the cells the mapping names, resolves units and years, applies the rules
of its kind (stated in ``docs/importing.md`` and below), records every rejected cell as a
:class:`~analysis.data.schema.Problem` in the report, and returns the canonical rows.

The converters live in ``rows`` (shared: context, units, years), ``budget`` and ``records``;
this module is their registry.
"""

from __future__ import annotations

from analysis.data.importers.budget import (  # noqa: F401 (used by commit.py and tests)
    convert_budget,
)
from analysis.data.importers.records import (  # noqa: F401 (used by commit.py and tests)
    convert_indicators,
    convert_innovations,
    convert_leadership,
    convert_service,
    convert_skm,
    indicator_key,
    indicator_tables,
)
from analysis.data.importers.rows import (  # noqa: F401 (used by commit.py and tests)
    Context,
    Part,
    year_rule,
)

CONVERTERS = {
    "budget": ("budget", convert_budget),
    "innovations": ("innovations", convert_innovations),
    "skm": ("skm_responses", convert_skm),
    "service": ("service", convert_service),
    "leadership": ("leadership", convert_leadership),
    "indicators": ("indicators", convert_indicators),
}
DEFAULT_MAPPING = {
    "budget": "sipd_lra_budget",
    "innovations": "iid_innovations",
    "skm": "skm_survey",
    "service": "service_long",     # service_wide is chosen when its header fits better
    "leadership": "leadership",
    "indicators": "indicators_long",
}
