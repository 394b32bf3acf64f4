"""The research notebooks' helper package (``notebooks/*.ipynb``; the per-pemda reports use its
``Context``, ``Result`` and ``show`` too): what each notebook shows, one module per notebook
(``overview`` 0.0, ``budget`` 1.0, ``innovation`` 2.0, ``service`` 2.1, ``typology`` 3.0,
``public`` 4.0, ``scenarios`` 5.0), over shared ``context`` (parameters, ``Result``, display),
``loading`` (tables for the notebook's region and years, the model-ready panel; never fits),
``refits`` (model tables: the build's, or refitted on the notebook's years, cached) and
``evidence`` (wording of estimates). The name is the notebooks' verb: they explore the data
with these helpers; every word is in ``words/explore.toml`` under ``explore.<module>.*``.

``from analysis.publish import explore`` and ``explore.<name>`` reach every name of them.
"""

from analysis.publish.explore.budget import (  # noqa: F401
    budget_conclusions,
    cuts_by_opd,
    cuts_by_type,
    later_years,
    regency_budget,
    routine_by_opd,
    routine_share,
)
from analysis.publish.explore.context import (  # noqa: F401
    Context,
    ParameterError,
    Result,
    SimulatedDataError,
    _allowed,
    _check_cut,
    _check_years,
    _facts,
    _int,
    _line_figure,
    _name,
    _to_bn,
    _yoy,
    banner,
    build_info,
    bullets,
    caveats,
    is_simulated,
    require_public,
    show,
    show_banner,
    show_figure,
    table_html,
    unit_names,
    validate_params,
)
from analysis.publish.explore.evidence import (  # noqa: F401
    ALPHA,
    TRUTH_TERMS,
    _ci,
    _covers,
    _span_of,
    claims_sentence,
    coverage_sentence,
    estimable,
    evidence_phrase,
    fit_scope,
    ledger_beside,
    live_scope,
    model_says,
    model_table,
    n_tests,
    not_estimable_notes,
    planted,
    planted_text,
    scale_word,
    window_sentence,
)
from analysis.publish.explore.innovation import (  # noqa: F401
    event_study_result,
    innovation_figures,
    innovation_says,
    innovation_trends,
)
from analysis.publish.explore.loading import (  # noqa: F401
    DEFAULT_MAX_LAG,
    LAG_OUTCOMES,
    MODEL_TABLES,
    YEAR_COLUMN,
    ledger,
    load,
    load_all_years,
    load_manifest,
    load_truth,
    model_panel,
    panel_years,
)
from analysis.publish.explore.overview import (  # noqa: F401
    coverage,
    overview_conclusions,
    planted_effects,
    public_sources,
    unit_registry,
)
from analysis.publish.explore.public import (  # noqa: F401
    _no_public_profiles,
    public_conclusions,
    public_finance,
    public_innovations_by_form,
    public_innovations_by_opd,
    public_ombudsman,
    public_source_list,
)
from analysis.publish.explore.refits import (  # noqa: F401
    _fit_window,
    _interim,
    adjust_family,
    cached,
    data_fingerprint,
    fit_lag_models,
    fit_window_tables,
    model_tables,
    not_estimable_tables,
    pretrend_p,
)
from analysis.publish.explore.scenarios import (  # noqa: F401
    scenario_caveats,
    scenario_grid,
    scenario_result,
    scenario_unit,
)
from analysis.publish.explore.service import (  # noqa: F401
    _lag_term,
    lag_labels,
    service_by_budget_change,
    service_conclusions,
    service_lags,
    service_trends,
)
from analysis.publish.explore.typology import (  # noqa: F401
    leadership_events,
    leadership_followup,
    resilience_ranking,
    typology_choice,
    typology_clusters,
    typology_conclusions,
)
