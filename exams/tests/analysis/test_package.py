"""Package hygiene (no Django in the engine, exported API) and the synthetic benchmark data."""

import ast
from pathlib import Path

import numpy as np

import exams.analysis as analysis
from exams.analysis import bench_data, describe_groups, item_analysis, option_analysis

PACKAGE = Path(analysis.__file__).parent


def test_engine_has_no_django_imports():
    files = sorted(PACKAGE.glob("*.py"))
    assert len(files) >= 9
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert not name.startswith(("django", "core", "roster", "exams.models")), (path.name, name)


def test_public_api_is_exported():
    for name in analysis.__all__:
        assert callable(getattr(analysis, name)) or name == "DEFAULT_THRESHOLDS"


def test_bench_data_shapes_and_determinism():
    d = bench_data.generate(n_students=3000, n_subjects=3, n_items=20, n_schools=4, classes_per_school=5, seed=1)
    assert d["school"].shape == (3000,)
    assert d["klass"].min() >= 0
    assert d["klass"].max() < 20
    np.testing.assert_array_equal(d["klass"] // 5, d["school"])
    assert len(d["subjects"]) == 3
    for s in d["subjects"]:
        items = s["items"]
        assert items.shape == (3000, 20)
        assert s["item_full"].sum() == s["full_mark"]
        absent = np.isnan(items).all(axis=1)
        assert np.isnan(items).any(axis=1).tolist() == absent.tolist()  # absent = the whole row
        assert 0.002 < absent.mean() < 0.03
        assert (items[~absent] <= s["item_full"]).all()
        assert (items[~absent] >= 0).all()
        n_obj = int(s["objective"].sum())
        assert s["options"].shape == (3000, n_obj)
        assert len(s["keys"]) == n_obj
        assert len(s["item_kps"]) == 20
        np.testing.assert_array_equal(np.isnan(s["total"]), absent)
        # objective scores agree with the answers: full marks exactly when the key was chosen
        for j in range(n_obj):
            opts = s["options"][:, j]
            assert all(o is None for o in opts[absent])
            assert set(opts[~absent]) <= {"A", "B", "C", "D", ""}
            np.testing.assert_array_equal(items[~absent, j] == s["item_full"][j], opts[~absent] == s["keys"][j])
    again = bench_data.generate(n_students=3000, n_subjects=3, n_items=20, n_schools=4, classes_per_school=5, seed=1)
    np.testing.assert_array_equal(again["subjects"][2]["items"], d["subjects"][2]["items"])


def test_bench_data_is_usable_by_the_engine():
    d = bench_data.generate(n_students=2000, n_subjects=1, n_items=10, n_schools=2, classes_per_school=3, seed=2)
    s = d["subjects"][0]
    g = describe_groups(s["total"], d["klass"], 6, s["full_mark"])
    assert g["n"].sum() + g["absent"].sum() == 2000
    a = item_analysis(s["items"], s["item_full"], s["total"])
    assert ((a["difficulty"] > 0) & (a["difficulty"] < 1)).all()
    assert (a["discrimination"] > 0).all()  # items are generated to discriminate
    o = option_analysis(s["options"][:, 0], s["keys"][0], s["total"], choices="ABCD")
    assert o["count"].sum() == int((~np.isnan(s["total"])).sum())
    assert o["option"][o["is_key"]].tolist() == [s["keys"][0]]
