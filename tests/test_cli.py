import json
import warnings

import numpy as np
import pytest

from skbio_plastic import bench
from skbio_plastic.__main__ import main


def test_demo_prints_both_accuracies_and_saves_picture(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    picture = tmp_path / "fields.png"
    main(["--output", str(picture)])
    out = capsys.readouterr().out
    assert out.count("test accuracy") == 2
    assert "SP" in out and "l-RP" in out
    assert picture.stat().st_size > 0 and str(picture) in out


def _bench_digits(results_dir, *args):
    """``python -m skbio_plastic bench accuracy --dataset digits ARGS``."""
    main(
        ["bench", "accuracy", "--dataset", "digits", *args]
        + ["--results-dir", str(results_dir)]
    )


def test_bench_accuracy_writes_a_complete_record(tmp_path, capsys):
    _bench_digits(
        tmp_path,
        *("--method", "l-rp", "--n-components", "200", "--patch-size", "4"),
        *("--seeds", "0", "1", "--readout", '{"max_iter": 5}'),
    )
    (path,) = tmp_path.glob("digits_l-rp_test_*.json")
    record = json.loads(path.read_text())
    assert record["method"] == "l-rp" and record["dataset"] == "digits"
    assert [run["seed"] for run in record["runs"]] == [0, 1]
    assert 0.5 < record["accuracy_mean"] <= 1
    assert record["params"]["readout"]["max_iter"] == 5
    assert record["runs"][0]["transform_fraction_of_gemm_peak"] > 0
    assert {"numpy", "scikit-learn", "numba"} <= set(record["versions"])

    main(
        [
            "bench",
            "table",
            "--results-dir",
            str(tmp_path),
            "--output",
            str(tmp_path / "results.md"),
        ]
    )
    table = capsys.readouterr().out
    assert "| digits | l-rp | test |" in table
    assert path.name in (tmp_path / "results.md").read_text()


def test_validation_protocol_never_touches_the_test_images():
    X_train, _, X_eval, _, shape = bench.load_split("digits", "validation")
    X_all, _, X_test, _, _ = bench.load_split("digits", "test")
    assert shape == (8, 8)
    assert len(X_train) + len(X_eval) == len(X_all)
    assert len(X_all) + len(X_test) == 1797


def test_speed_record_compares_with_numpy(tmp_path):
    record = bench.run_speed(
        n_samples=1000,
        numpy_samples=200,
        repeats=1,
        output_dir=tmp_path,
        verbose=False,
    )
    assert record["lrp_transform"]["speedup_vs_numpy"] > 0
    assert record["delta_rule_epoch"]["numpy_extrapolated_from_samples"] == 200
    krotov = record["krotov_epoch"]
    assert {"batch_100", "batch_1000"} <= set(krotov)
    assert krotov["batch_100"]["ours_over_gemm"] > 0
    assert len(list(tmp_path.glob("speed_*.json"))) == 1


def test_bench_krotov_pipeline_uses_raw_pixels():
    model = bench.make_model(
        "krotov",
        (8, 8),
        0,
        n_components=20,
        front_params={"n_epochs": 1},
        readout_params={"loss": "power_tanh"},
    )
    assert [name for name, _ in model.steps] == [
        "krotovhebbiantransformer",
        "localdeltaclassifier",
    ]
    assert model[0].n_components == 20 and model[-1].loss == "power_tanh"


def test_bench_defaults_follow_the_method():
    krotov = bench.make_model("krotov", (8, 8), 0)
    assert krotov[0].n_components == 2000
    assert krotov[-1].get_params()["loss"] == "power_tanh"
    assert krotov[-1].solver == "adam" and krotov[-1].max_iter == 150
    lrp = bench.make_model("l-rp", (8, 8), 0)
    assert lrp[1].n_components == 5000 and lrp[-1].loss == "squared"
    # Given readout parameters replace the method's, they are not merged.
    replaced = bench.make_model("krotov", (8, 8), 0, readout_params={"max_iter": 3})
    assert replaced[-1].loss == "squared" and replaced[-1].max_iter == 3
    sgd = bench.make_model("krotov", (8, 8), 0, readout="sgd")
    assert type(sgd[-1]).__name__ == "SGDClassifier" and sgd[-1].loss == "hinge"


def test_bench_centring_override_centres_each_image(tmp_path):
    model = bench.make_model("krotov", (8, 8), 0, n_components=20, centre="image")
    X = np.arange(12, dtype=np.float32).reshape(2, 6)
    centred = model[0].fit_transform(X)
    np.testing.assert_allclose(centred.mean(axis=1), 0, atol=1e-6)
    np.testing.assert_allclose(centred[0], [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5])
    assert X[0, 0] == 0  # the input is not modified
    default = bench.make_model("l-rp", (8, 8), 0, n_components=20)
    assert type(default[0]).__name__ == "StandardScaler"
    raw = bench.make_model("l-rp", (8, 8), 0, n_components=20, centre="none")
    assert type(raw[0]).__name__ == "LocalizedRandomProjection"

    _bench_digits(
        tmp_path,
        *("--method", "krotov", "--n-components", "20", "--seeds", "0"),
        *(
            "--front-end",
            '{"n_epochs": 1, "normalize_input": "patch"}',
            "--readout",
            '{"max_iter": 2, "tol": null, "average": 100}',
        ),
        *("--centre", "image"),
    )
    (path,) = tmp_path.glob("digits_krotov_test_*.json")
    assert json.loads(path.read_text())["params"]["centring"] == "image"
    table = bench.render_table(tmp_path)
    assert "centre=image, H=20" in table and "average=100" in table
    assert "normalize=patch" in table


def test_stacked_krotov_record_names_both_layers(tmp_path):
    record = bench.run_accuracy(
        "digits",
        "krotov-stack",
        seeds=[0],
        n_components=30,
        front_params={"n_epochs": 2, "second": {"n_components": 20, "k": 3}},
        readout_params={"max_iter": 3, "tol": None},
        output_dir=tmp_path,
        verbose=False,
    )
    params = record["params"]
    assert params["front_end_estimator"] == "KrotovHebbianTransformer x2"
    assert params["front_end"]["n_components"] == 30
    assert params["front_end"]["image_shape"] == (8, 8)
    (second,) = params["front_end_stack"]
    assert second["n_components"] == 20 and second["k"] == 3
    assert second["n_epochs"] == 2  # shared parameters reach both layers
    assert second["image_shape"] is None  # learns on activities, not pixels
    # Transform cost counts both layers: 64 -> 30 -> 20 inputs per image.
    run = record["runs"][0]
    assert run["transform_gflops"] * run["transform_seconds"] == pytest.approx(
        2 * 497 * (64 * 30 + 30 * 20) / 1e9
    )
    table = bench.render_table(tmp_path)
    assert "then H=20" in table
    assert "eps=0.02" in table  # the learning rate tells Krotov rows apart


def test_localized_krotov_draws_patches():
    model = bench.make_model(
        "l-krotov",
        (8, 8),
        0,
        n_components=20,
        patch_size=4,
        front_params={"n_epochs": 1},
    )
    assert model[0].patch_size == 4
    assert bench.make_model("krotov", (8, 8), 0, patch_size=4)[0].patch_size is None


@pytest.mark.parametrize("method", list(bench.accuracy.METHODS))
def test_every_bench_method_fits_and_scores(method):
    X_train, y_train, X_eval, y_eval, shape = bench.load_split("digits", "test")
    front_params = {"n_epochs": 1} if "krotov" in method else {}
    model = bench.make_model(
        method,
        shape,
        0,
        n_components=40,
        patch_size=4,
        front_params=front_params,
        readout_params={"max_iter": 3, "tol": None},
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # rank-deficient patches, short fits
        accuracy = model.fit(X_train, y_train).score(X_eval, y_eval)
    assert accuracy > 0.3  # chance is 0.1


def test_few_labels_readout_sees_only_the_labelled_subset(tmp_path, monkeypatch):
    seen = {}
    fit = bench.accuracy.LocalDeltaClassifier.fit

    def spy(self, X, y):
        seen["n"] = len(y)
        return fit(self, X, y)

    monkeypatch.setattr(bench.accuracy.LocalDeltaClassifier, "fit", spy)
    record = bench.run_accuracy(
        "digits",
        "l-rp",
        seeds=[0],
        n_components=50,
        patch_size=4,
        n_labels=55,
        readout_params={"max_iter": 3},
        output_dir=tmp_path,
        verbose=False,
    )
    assert seen["n"] == 55 and record["n_labels"] == 55
    assert record["n_train"] == 1300  # the front end saw every training image
    subset = bench.accuracy._balanced_subset(np.repeat(np.arange(10), 20), 55, 0)
    assert (
        np.bincount(np.repeat(np.arange(10), 20)[subset]).tolist() == [6] * 5 + [5] * 5
    )


def test_mlp_baseline_has_one_hidden_layer_of_the_front_end_size():
    model = bench.make_model("sp", (8, 8), 0, n_components=30, readout="mlp")
    assert model[-1].hidden_layer_sizes == (30,)
