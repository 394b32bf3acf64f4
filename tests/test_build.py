"""The build: validated Parquet tables, written all-or-nothing; bad input names file, row,
column and rule, and leaves the previous processed data untouched."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest

from analysis import pipeline
from analysis.data import build, store
from analysis.data.schema import InputError

INNOV = "external/batang/batang_innovation_profiles_iid2021.csv"
REF = "external/batang/batang_reference.csv"


def snapshot(d: Path) -> dict[str, str]:
    out = d / "processed"
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(out.iterdir())}


def good_budget_rows() -> pd.DataFrame:
    return pd.DataFrame({
        "region_code": ["33.25", "33.25"],
        "unit_id": ["dinkes", "dinkes"],
        "year": [2022, 2022],
        "stage": ["realisasi", "realisasi"],
        "programme_class": ["penunjang", "urusan"],
        "spending_type": ["pegawai", "barang_jasa"],
        "amount_idr": [1.0e10, 2.5e10],
        "provenance": ["user", "user"],
        "source": ["LRA Dinkes 2022", "LRA Dinkes 2022"],
    })


def test_build_writes_every_table_and_a_manifest(built_data_dir, built_result):
    # the session's default build (tests/conftest.py): a fresh folder, external files only
    res, data_dir = built_result, built_data_dir
    assert res.built and res.out_dir == data_dir / "processed"
    out = data_dir / "processed"
    for name in ["units", "reference", "region_finance", "innovations", "service", "budget",
                 "skm_responses", "leadership"]:
        assert (out / f"{name}.parquet").is_file(), name
    man = store.load_manifest(data_dir)
    assert man["tables"]["units"] == 54
    assert man["provenance"]["budget"].get("simulated", 0) > 0
    assert (out / build.TRUTH_FILE).is_file()
    assert res.tables["innovations"]["provenance"].isin(["public", "simulated"]).all()
    # round trip: what is read back is what was validated
    back = store.load_table("innovations", data_dir)
    assert len(back) == len(res.tables["innovations"])


def test_every_processed_table_names_the_versions_that_made_it(built_data_dir):
    """Each Parquet file of a build records (schema metadata) the package, Python and library
    versions, the same as the build's manifest."""
    import platform

    from analysis.data import versions

    man = store.load_manifest(built_data_dir)
    files = sorted((built_data_dir / "processed").glob("*.parquet"))
    assert {p.stem for p in files} == set(man["tables"]) and len(files) > 20
    assert set(man["libraries"]) == set(versions.BUILD_LIBRARIES)
    assert man["python"] == platform.python_version()
    for p in files:
        made = store.table_versions(p.stem, built_data_dir)
        assert made == {"package": "analysis", "package_version": man["package_version"],
                        "python": man["python"], "libraries": man["libraries"]}, p.name


def test_the_versions_stamp_leaves_what_pandas_reads_unchanged(tmp_path):
    """write_processed writes what ``df.to_parquet(index=False)`` writes (same columns, types,
    pandas metadata and attrs), plus the versions key; a file without it is refused by name."""
    import pyarrow.parquet as pq

    df = pd.DataFrame({
        "unit_id": pd.Series(["dinkes", None], dtype="str"), "n": [1, 2],
        "share": [0.5, float("nan")], "k": pd.array([3, None], dtype="Int64"),
        "kind": pd.Categorical(["a", "b"]), "flag": [True, False],
        "at": pd.to_datetime(["2020-01-01", "2021-06-30"]).tz_localize("UTC")})
    df.attrs = {"note": "kept"}
    store.write_processed({"t": df}, {}, tmp_path / "processed",
                          made_with={"package": "analysis", "libraries": {"pandas": "x"}})
    df.to_parquet(tmp_path / "plain.parquet", index=False)
    ours, plain = tmp_path / "processed" / "t.parquet", tmp_path / "plain.parquet"
    back = pd.read_parquet(ours)
    pd.testing.assert_frame_equal(back, pd.read_parquet(plain))
    pd.testing.assert_frame_equal(back, df)
    assert back.attrs == {"note": "kept"}
    s_ours, s_plain = pq.read_schema(ours), pq.read_schema(plain)
    assert s_ours.remove_metadata().equals(s_plain.remove_metadata())
    assert ({k: v for k, v in s_ours.metadata.items() if k != store.VERSIONS_KEY}
            == dict(s_plain.metadata))
    assert store.table_versions("t", tmp_path) == {"package": "analysis",
                                                   "libraries": {"pandas": "x"}}
    plain.rename(ours)   # a table written before the files carried their versions
    with pytest.raises(store.NotBuiltError, match=r"t\.parquet does not record the versions.*"
                                                  r"build --force"):
        store.table_versions("t", tmp_path)
    with pytest.raises(store.NotBuiltError, match="'nope' not found"):
        store.table_versions("nope", tmp_path)


def test_public_only_build(public_result):
    res = public_result      # the session's public-only build (tests/conftest.py)
    assert res.built
    # every input table exists (so readers need no special case) but holds no rows
    assert res.tables["budget"].empty and res.tables["leadership"].empty
    assert "panel" not in res.tables
    assert set(res.manifest["provenance"]["units"]) == {"public"}


def test_user_rows_replace_simulated_rows_of_the_same_unit_year_and_stage(data_dir):
    # assemble() is the step of the build that overlays user rows; the full build with user
    # rows (and its model refit, ~30 s) runs in test_import.py and test_import_grain.py
    good_budget_rows().to_parquet(data_dir / "user" / "budget.parquet")
    tables, _, _ = build.assemble(data_dir)
    b = tables["budget"]
    cell = b[(b["unit_id"] == "dinkes") & (b["year"] == 2022) & (b["stage"] == "realisasi")]
    assert set(cell["provenance"]) == {"user"} and len(cell) == 2
    kept = b[(b["unit_id"] == "dinkes") & (b["year"] == 2022) & (b["stage"] != "realisasi")]
    assert set(kept["provenance"]) == {"simulated"} and set(kept["stage"]) == {"murni",
                                                                                "perubahan"}
    other = b[(b["unit_id"] == "dinkes") & (b["year"] == 2021)]
    assert set(other["provenance"]) == {"simulated"}


def _drop_column(d: Path):
    p = d / INNOV
    pd.read_csv(p).drop(columns=["opd_normalized"]).to_csv(p, index=False)


def _wrong_type(d: Path):
    p = d / REF
    df = pd.read_csv(p, dtype=str)
    df.loc[4, "year"] = "20x2"
    df.to_csv(p, index=False)


def _empty_file(d: Path):
    p = d / INNOV
    p.write_text(p.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")


def _unknown_opd(d: Path):
    p = d / INNOV
    df = pd.read_csv(p, dtype=str)
    df.loc[2, "opd_normalized"] = "Dinas Urusan Fiktif"
    df.to_csv(p, index=False)


def _wrong_encoding(d: Path):
    p = d / INNOV
    p.write_bytes(p.read_text(encoding="utf-8").replace("Dinas", "Dinas\u00e9").encode("latin-1",
                                                                                         "replace"))


def _user_budget(mutate):
    def write(d: Path):
        df = good_budget_rows()
        df = mutate(df)
        df.to_parquet(d / "user" / "budget.parquet")
    return write


def _negative(df):
    df["amount_idr"] = [-5.0, 2.5e10]
    return df


def _unknown_unit(df):
    df["unit_id"] = ["dinas-fiktif", "dinkes"]
    return df


def _duplicate(df):
    df["programme_class"] = ["urusan", "urusan"]
    df["spending_type"] = ["modal", "modal"]
    return df


def _indonesian_number(df):
    df["amount_idr"] = ["1.234.567.890,50", "2.000"]
    return df


BAD_INPUTS = [
    ("missing column", _drop_column, ["batang_innovation_profiles_iid2021.csv",
                                      "'opd_normalized'", "required column is missing"]),
    ("wrong type", _wrong_type, ["batang_reference.csv", "row 6", "'year'", "4-digit"]),
    ("empty file", _empty_file, ["batang_innovation_profiles_iid2021.csv", "no data rows"]),
    ("unknown OPD name", _unknown_opd, ["row 4", "'opd_normalized'", "Dinas Urusan Fiktif"]),
    ("wrong encoding", _wrong_encoding, ["batang_innovation_profiles_iid2021.csv", "UTF-8"]),
    ("negative amount", _user_budget(_negative), ["budget.parquet", "row 1", "'amount_idr'",
                                                  "greater_than_or_equal_to(0)"]),
    ("unknown unit id", _user_budget(_unknown_unit), ["budget.parquet", "row 1", "'unit_id'",
                                                      "unknown unit id", "dinas-fiktif"]),
    ("duplicate key", _user_budget(_duplicate), ["budget.parquet", "row 1", "row 2",
                                                 "duplicate key"]),
    ("Indonesian number", _user_budget(_indonesian_number),
     ["budget.parquet", "row 1", "'amount_idr'", "Indonesian-formatted number"]),
]


@pytest.mark.parametrize("case,corrupt,expected", BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_names_file_row_column_and_leaves_processed_data_untouched(
        public_data_copy, case, corrupt, expected):
    data_dir = public_data_copy      # built (public only)
    before = snapshot(data_dir)
    corrupt(data_dir)
    with pytest.raises(InputError) as err:
        pipeline.build(data_dir, simulated=False)
    msg = str(err.value)
    for part in expected:
        assert part in msg, f"{case}: {part!r} not in\n{msg}"
    assert snapshot(data_dir) == before
    assert not list(data_dir.glob(".processed-*")), "temporary folders left behind"


def test_a_crash_while_writing_leaves_previous_tables(public_data_copy, monkeypatch):
    data_dir = public_data_copy      # built (public only)
    before = snapshot(data_dir)

    import pyarrow.parquet as pq

    real, calls = pq.write_table, []

    def boom(*a, **k):   # the third table fails half way through the build's write
        calls.append(1)
        if len(calls) == 3:
            raise OSError("disk full (simulated)")
        return real(*a, **k)

    monkeypatch.setattr(pq, "write_table", boom)
    with pytest.raises(OSError, match="disk full"):
        pipeline.build(data_dir, simulated=False, force=True)   # unchanged: force the write
    assert snapshot(data_dir) == before
    assert not list(data_dir.glob(".processed-*"))


def test_missing_processed_table_gives_a_clear_message(data_dir):
    with pytest.raises(store.NotBuiltError, match="python -m analysis build"):
        store.load_table("units", data_dir)


def test_cli_build_and_summary(data_dir, capsys):
    from analysis.cli import main

    assert main(["build", "--no-simulated", "--data-dir", str(data_dir)]) == 0
    assert main(["summary", "--data-dir", str(data_dir)]) == 0
    out = capsys.readouterr().out
    assert "units" in out and "public" in out


# ---------------------------------------------------------------- incremental builds


def stat_snapshot(d: Path) -> dict[str, tuple[str, int, int]]:
    """sha256, mtime_ns and inode of every processed file."""
    out = d / "processed"
    return {p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns,
                     p.stat().st_ino) for p in sorted(out.iterdir())}


def test_unchanged_rebuild_writes_nothing(data_dir, capsys):
    from analysis.cli import main

    first = pipeline.build(data_dir, simulated=False)
    assert first.built and first.manifest["build_key"] and first.manifest["outputs"]
    before = stat_snapshot(data_dir)
    assert set(first.manifest["outputs"]) == set(before) - {store.MANIFEST}
    again = pipeline.build(data_dir, simulated=False)
    assert not again.built and again.tables == {}
    assert again.manifest["built_at"] == first.manifest["built_at"]
    assert stat_snapshot(data_dir) == before          # same bytes, same mtimes, same files
    assert main(["build", "--no-simulated", "--data-dir", str(data_dir)]) == 0
    out = capsys.readouterr().out
    assert "up to date: nothing to build" in out and first.manifest["built_at"] in out
    assert stat_snapshot(data_dir) == before
    assert not list(data_dir.glob(".processed-*"))
    # --force rebuilds: new files (the tables with the same bytes)
    assert main(["build", "--no-simulated", "--force", "--data-dir", str(data_dir)]) == 0
    assert "Built" in capsys.readouterr().out
    after = stat_snapshot(data_dir)
    assert after != before
    assert {k: v[0] for k, v in after.items() if k != store.MANIFEST} == {
        k: v[0] for k, v in before.items() if k != store.MANIFEST}


def _rewrite_with_extra_newline(d: Path):
    p = d / REF
    p.write_bytes(p.read_bytes() + b"\n")


def _add_user_budget(d: Path):
    good_budget_rows().to_parquet(d / "user" / "budget.parquet")


def _add_national_user_file(d: Path):
    (d / "user" / "national").mkdir(parents=True, exist_ok=True)
    (d / "user" / "national" / "notes.txt").write_text("not an APBD file\n")


@pytest.mark.parametrize("change,name", [
    (_rewrite_with_extra_newline, REF),
    (_add_user_budget, "user/budget.parquet"),
    (_add_national_user_file, "user/national/notes.txt"),
], ids=["external file", "user table", "file in a user subfolder"])
def test_a_changed_input_file_rebuilds(public_data_copy, change, name):
    data_dir = public_data_copy      # built (public only)
    assert not pipeline.build(data_dir, simulated=False).built   # a copy is up to date
    before = stat_snapshot(data_dir)
    change(data_dir)
    res = pipeline.build(data_dir, simulated=False)
    assert res.built and any(name in r for r in res.reasons), res.reasons
    assert res.manifest["inputs"][name]
    assert stat_snapshot(data_dir)[store.MANIFEST][1:] != before[store.MANIFEST][1:]
    assert not pipeline.build(data_dir, simulated=False).built   # and then it is current again


def test_a_touched_input_file_does_not_rebuild(public_data_copy):
    import os

    data_dir = public_data_copy      # built (public only)
    before = stat_snapshot(data_dir)
    os.utime(data_dir / REF)          # same bytes, new mtime
    assert not pipeline.build(data_dir, simulated=False).built
    assert stat_snapshot(data_dir) == before


def test_seed_version_and_damaged_outputs_rebuild(data_dir, monkeypatch):
    # only the simulated panel and its first derived step: fast, but seeded for real
    def build_panel_only(*a, **k):
        return pipeline.build(*a, steps=pipeline.STEPS[:1], **k)

    first = build_panel_only(data_dir, seed=1)
    assert first.built
    assert not build_panel_only(data_dir, seed=1).built
    second = build_panel_only(data_dir, seed=2)
    assert second.built and any("seed" in r for r in second.reasons)
    assert first.manifest["outputs"]["budget.parquet"] != second.manifest["outputs"][
        "budget.parquet"]
    assert not build_panel_only(data_dir, seed=2).built
    assert build_panel_only(data_dir, seed=2, simulated=False).built       # settings changed
    monkeypatch.setattr(build, "__version__", "9.9.9")
    res = build_panel_only(data_dir, simulated=False)
    assert res.built and any("9.9.9" in r for r in res.reasons)
    assert not build_panel_only(data_dir, simulated=False).built
    # a processed file deleted or edited by hand: rebuilt
    (data_dir / "processed" / "units.parquet").unlink()
    res = build_panel_only(data_dir, simulated=False)
    assert res.built and any("units.parquet" in r for r in res.reasons)
    p = data_dir / "processed" / "reference.parquet"
    p.write_bytes(p.read_bytes()[:-1] + b"x")
    assert build_panel_only(data_dir, simulated=False).built


def test_build_key_covers_the_table_modules_source(data_dir, monkeypatch):
    first = pipeline.build(data_dir, simulated=False)
    code = first.manifest["code"]
    assert "data/build.py" in code and "data/public.py" in code and "data/schema.py" in code
    assert "publish/render.py" not in code and "cli.py" not in code
    # a module whose source differs from what the manifest recorded: rebuilt
    monkeypatch.setattr(build, "_module_digests",
                        lambda files: {k: ("0" * 64 if k == "data/public.py" else v)
                                       for k, v in code.items()})
    res = pipeline.build(data_dir, simulated=False)
    assert res.built and any("data/public.py" in r for r in res.reasons)


# ---------------------------------------------------------------- the steps (analysis.pipeline)


def test_the_steps_are_declared_above_the_stages_and_recorded_by_name(built_result):
    names = [s.name for s in pipeline.STEPS]
    assert names == ["panel", "models", "summaries", "national", "national_2020", "ledger"]
    assert built_result.manifest["steps"] == names
    for s in pipeline.STEPS:   # every declared function exists, every input is made earlier
        assert callable(s.load()), s.name
    made = set(pipeline.INPUT_TABLES)
    for s in pipeline.STEPS:
        assert set(s.inputs) <= made, (s.name, set(s.inputs) - made)
        made |= set(s.outputs)
    assert set(built_result.tables) <= made


def test_a_step_gets_only_its_inputs_and_returns_only_its_outputs():
    seen = {}

    def peek(tables, truth):
        seen.update(tables)
        return {"b": 1}

    step = pipeline.Step("peek", peek, inputs=("a",), outputs=("b",))
    assert build.run_steps([step], {"a": 0, "z": 9}, {}) == {"b": 1}
    assert seen == {"a": 0}
    loud = pipeline.Step("loud", lambda t, truth: {"b": 1, "c": 2}, inputs=(), outputs=("b",))
    with pytest.raises(RuntimeError, match="does not declare: c"):
        build.run_steps([loud], {}, {})


def test_an_optional_step_that_cannot_estimate_is_noted_not_fatal():
    def fails(tables, truth):
        raise ValueError("too few units")

    notes: list[str] = []
    opt = pipeline.Step("models", fails, inputs=(), outputs=(), optional=True)
    assert build.run_steps([opt], {}, {}, notes) == {}
    assert notes == ["models skipped (not estimable with this data): too few units"]
    with pytest.raises(ValueError, match="too few units"):
        build.run_steps([pipeline.Step("panel", fails, inputs=(), outputs=())], {}, {})


def test_changed_steps_rebuild(public_data_copy):
    data_dir = public_data_copy      # built (public only)
    assert not pipeline.build(data_dir, simulated=False).built
    fewer = pipeline.build(data_dir, simulated=False, steps=pipeline.STEPS[:3])
    assert fewer.built and "derived steps changed" in fewer.reasons
    assert "pemda" not in fewer.tables
    assert fewer.manifest["steps"] == ["panel", "models", "summaries"]
    assert not pipeline.build(data_dir, simulated=False, steps=pipeline.STEPS[:3]).built
    # the same names, one step wired differently (its inputs): the build key differs
    panel, models, summaries = pipeline.STEPS[:3]
    rewired = (panel, models, pipeline.Step(summaries.name, summaries.func, ("panel",),
                                            summaries.outputs))
    res = pipeline.build(data_dir, simulated=False, steps=rewired)
    assert res.built and res.reasons == ["build key differs"]


def test_an_import_needs_the_rebuild(tmp_path):
    from analysis.data.importers import commit as importers

    with pytest.raises(ValueError, match="pass rebuild="):
        importers.import_files("budget", [tmp_path / "x.csv"], data_dir=tmp_path)
