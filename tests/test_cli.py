import argparse
import importlib
import json
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import skbio_plastic
from skbio_plastic import bench
from skbio_plastic.__main__ import _parser, main
from skbio_plastic.bench.accuracy import KROTOV_READOUT, METHODS

DIGITS = ["bench", "accuracy", "--dataset", "digits"]


# The demo ---------------------------------------------------------------------


def test_demo_times_the_models_not_the_compilation_and_saves_nothing(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    assert main([]) == 0
    out = capsys.readouterr().out
    assert out.count("test accuracy") == 2 and "SP" in out and "l-RP" in out
    # The warm-up fits (numba compilation) come before the timed fits.
    assert out.index("warm-up fits") < out.index("test accuracy")
    assert "Add --plot FILE.png" in out
    assert list(tmp_path.iterdir()) == []


def test_demo_saves_the_picture_only_where_asked(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    picture = tmp_path / "fields.png"
    main(["--plot", str(picture)])
    assert picture.stat().st_size > 0
    assert str(picture) in capsys.readouterr().out


# The command line -------------------------------------------------------------


def test_version(capsys):
    with pytest.raises(SystemExit) as exit:
        main(["--version"])
    assert exit.value.code == 0
    assert capsys.readouterr().out == f"skbio-plastic {skbio_plastic.__version__}\n"


def test_console_script_runs_main():
    tomllib = pytest.importorskip("tomllib")
    pyproject = Path(__file__).parents[1] / "pyproject.toml"
    scripts = tomllib.loads(pyproject.read_text())["project"]["scripts"]
    module, name = scripts["skbio-plastic"].split(":")
    assert getattr(importlib.import_module(module), name) is main


def _commands(parser, name="skbio-plastic"):
    """``(name, parser)`` of a parser and of all its subcommands."""
    yield name, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for command, subparser in action.choices.items():
                yield from _commands(subparser, f"{name} {command}")


def test_every_option_of_every_command_has_help():
    commands = dict(_commands(_parser("skbio-plastic")))
    assert {"skbio-plastic bench accuracy", "skbio-plastic bench speed"} < set(commands)
    for name, parser in commands.items():
        for action in parser._actions:
            if action.option_strings:
                assert action.help not in (None, "", argparse.SUPPRESS), (
                    name,
                    action.option_strings,
                )


def test_bench_speed_help_documents_its_options(capsys):
    with pytest.raises(SystemExit) as exit:
        main(["bench", "speed", "--help"])
    assert exit.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "lrp: l-RP transform of 784 pixels to 5000 units" in out
    assert "krotov: one epoch of Krotov's rule" in out
    default = bench.default_results_dir()
    assert f"folder the records are written to (default: {default})" in out


@pytest.mark.parametrize(
    "args, message",
    [
        (["bench"], "the following arguments are required: {accuracy,speed,table}"),
        (DIGITS + ["--method", "l-rp", "--patch-size", "9"],
         "patch_size=9 does not fit images of 8 x 8: choose 1 to 8 (default 4)"),
        (DIGITS + ["--method", "sp", "--patch-size", "3"],
         "--patch-size applies to the localized methods (l-rp, l-rg, l-pca, "
         "l-ica, l-sc, l-hebb, l-oja, l-sanger, l-bcm, l-krotov, l-bp, l-fa, "
         "spiking-l-rp, spiking-l-rg), not to sp"),
        (DIGITS + ["--method", "l-rp", "--front-end", '{"size": 3}'],
         "front-end parameters of l-rp: LocalizedRandomProjection.__init__() got "
         "an unexpected keyword argument 'size'"),
        (DIGITS + ["--method", "sp", "--readout", '{"max_iter": 0}'],
         "The 'max_iter' parameter of LocalDeltaClassifier must be"),
        (DIGITS + ["--method", "sp", "--readout", '{"max_iter": 2'],
         "argument --readout: not valid JSON"),
        (DIGITS + ["--method", "sp", "--n-labels", "5"],
         "n_labels=5 must be at least the number of classes (10)"),
        (DIGITS + ["--method", "sp", "--seeds", "-1"],
         "argument --seeds: expected at least 0, got -1"),
        (["--plot", "fields.png", "bench", "table"],
         "--plot belongs to the demo (no command)"),
    ],
)  # fmt: skip
def test_user_errors_exit_with_status_2_and_a_message(
    args, message, tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)  # a relative --results-dir would land here
    if args[:2] == DIGITS[:2]:
        args = args + ["--results-dir", "results"]
    with pytest.raises(SystemExit) as exit:
        main(args)
    assert exit.value.code == 2
    err = capsys.readouterr().err
    assert message in err and err.startswith("usage: skbio-plastic")
    assert list(tmp_path.iterdir()) == []  # no record, no picture


def test_a_user_error_shows_no_traceback(tmp_path):
    command = [sys.executable, "-m", "skbio_plastic", *DIGITS, "--method", "l-rp"]
    command += ["--patch-size", "12", "--results-dir", str(tmp_path)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "python -m skbio_plastic bench accuracy: error: patch_size=12" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr


# Where records go -------------------------------------------------------------


def test_source_checkout_is_recognised_by_its_files(tmp_path):
    package = tmp_path / "skbio_plastic"
    package.mkdir()
    (tmp_path / "pyproject.toml").write_text("")
    assert bench.source_checkout(package) is None
    (tmp_path / "benchmarks" / "results").mkdir(parents=True)
    assert bench.source_checkout(package) == tmp_path.resolve()
    (tmp_path / "pyproject.toml").unlink()
    assert bench.source_checkout(package) is None


def test_outside_a_checkout_records_go_to_the_user_folder(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setattr(bench._common, "source_checkout", lambda: None)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    user = tmp_path / "data" / "skbio_plastic" / "results"
    assert bench.default_results_dir() == user
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)

    with pytest.raises(SystemExit) as exit:
        main(["bench", "table"])
    assert exit.value.code == 2
    err = capsys.readouterr().err
    assert f"no accuracy records in {user} (no such folder)" in err
    assert "--results-dir" in err

    readout = '{"max_iter": 5, "tol": null}'
    main(DIGITS + ["--method", "sp", "--seeds", "0", "--readout", readout])
    (path,) = user.glob("digits_sp_test_*.json")
    assert f"record written to {path}" in capsys.readouterr().out
    assert list(work.iterdir()) == []  # nothing where the command ran

    assert main(["bench", "table"]) == 0
    page = capsys.readouterr().out
    assert f"From the JSON records in `{user}/`" in page
    assert f"| {path.name} |" in page  # named relative to that folder

    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert bench.default_results_dir() == (
        tmp_path / ".local" / "share" / "skbio_plastic" / "results"
    )


# Accuracy records and their tables --------------------------------------------


def test_digits_l_rp_with_the_defaults_writes_a_complete_record(tmp_path, capsys):
    # The command of the README with digits: 5000 units, 4 x 4 patches, 3 seeds.
    assert main(DIGITS + ["--method", "l-rp", "--results-dir", str(tmp_path)]) == 0
    (path,) = tmp_path.glob("digits_l-rp_test_*.json")
    assert f"record written to {path}" in capsys.readouterr().out
    record = json.loads(path.read_text())
    assert record["method"] == "l-rp" and record["dataset"] == "digits"
    assert record["params"]["front_end"]["patch_size"] == 4
    assert record["params"]["front_end"]["n_components"] == 5000
    assert [run["seed"] for run in record["runs"]] == [0, 1, 2]
    # Seeds 0-7 give 0.89-0.96 on this split (pixels alone: 0.91).
    assert record["accuracy_mean"] > 0.9
    assert min(run["accuracy"] for run in record["runs"]) > 0.85
    assert record["accuracy_std"] == pytest.approx(
        np.std([run["accuracy"] for run in record["runs"]])
    )
    for run in record["runs"]:
        assert run["transform_gflops"] * run["transform_seconds"] == pytest.approx(
            2 * record["n_eval"] * 5000 * 64 / 1e9
        )
        assert run["transform_fraction_of_gemm_peak"] == pytest.approx(
            run["transform_gflops"] / record["gemm_float32_gflops"]
        )
    assert {"numpy", "scikit-learn", "numba"} <= set(record["versions"])


def _write_record(folder, name, dataset, method, accuracies, protocol="test", **extra):
    """A synthetic accuracy record, as ``bench accuracy`` writes them."""
    folder.mkdir(exist_ok=True)
    record = {
        "kind": "accuracy",
        "dataset": dataset,
        "method": method,
        "protocol": protocol,
        "n_labels": None,
        "params": {
            "front_end": {"n_components": 5000},
            "readout_estimator": "LocalDeltaClassifier",
            "readout": {"loss": "squared"},
            "centring": METHODS[method].centring,
        },
        "accuracy_mean": float(np.mean(accuracies)),
        "accuracy_std": float(np.std(accuracies)),
        "runs": [
            {"seed": seed, "accuracy": accuracy, "fit_seconds": 2.0}
            for seed, accuracy in enumerate(accuracies)
        ],
        **extra,
    }
    (folder / name).write_text(json.dumps(record))


def _rows(page):
    """The table rows of a markdown page, as lists of cells."""
    return [
        [cell.strip() for cell in line.strip("|").split("|")]
        for line in page.splitlines()[2:]
        if line.startswith("| ") and not line.startswith("| dataset")
    ]


@pytest.fixture
def records(tmp_path):
    folder = tmp_path / "results"
    _write_record(folder, "a.json", "mnist", "l-rp", [0.985, 0.983, 0.984])
    _write_record(folder, "b.json", "mnist", "l-rp", [0.97, 0.971, 0.972])
    _write_record(folder, "c.json", "mnist", "l-rp", [0.99])  # one seed only
    _write_record(folder, "d.json", "mnist", "l-rp", [0.995], protocol="validation")
    _write_record(folder, "e.json", "mnist", "krotov", [0.97])
    _write_record(folder, "f.json", "mnist", "sp", [0.9, 0.91, 0.92], n_labels=600)
    (folder / "speed.json").write_text(json.dumps({"kind": "speed"}))
    return folder


def test_results_page_shows_the_best_test_record_per_method(records, tmp_path):
    page = bench.render_table(records, page_dir=tmp_path / "doc")
    assert "`../results/` (relative to this page)" in page
    assert _rows(page) == [
        ["mnist", "sp (600 labels)", "91.00 +/- 0.82", "3", "-",
         "readout on 600 labels only, H=5000, LocalDeltaClassifier, loss=squared",
         "2", "f.json"],
        ["mnist", "l-rp", "98.40 +/- 0.08", "3", "98.4 +/- 0.1",
         "H=5000, LocalDeltaClassifier, loss=squared", "2", "a.json"],
        ["mnist", "krotov", "97.00", "1", "98.54",
         "H=5000, LocalDeltaClassifier, loss=squared", "2", "e.json"],
    ]  # fmt: skip
    assert "0.00" not in page


def test_sweeps_page_lists_every_record(records, tmp_path, capsys):
    page = tmp_path / "doc" / "sweeps.md"
    page.parent.mkdir()
    args = ["bench", "table", "--sweeps", "--results-dir", str(records)]
    assert main(args + ["--output", str(page)]) == 0
    assert f"wrote {page}" in capsys.readouterr().out
    rows = _rows(page.read_text())
    assert [row[-1] for row in rows] == [
        "f.json", "a.json", "b.json", "c.json", "d.json", "e.json"
    ]  # fmt: skip
    assert [row[2] for row in rows].count("validation") == 1
    assert [row[4] for row in rows][3:] == ["99.00", "99.50", "97.00"]


def test_validation_protocol_never_touches_the_test_images():
    X_train, _, X_eval, _, shape = bench.load_split("digits", "validation")
    X_all, _, X_test, _, _ = bench.load_split("digits", "test")
    assert shape == (8, 8)
    assert len(X_train) + len(X_eval) == len(X_all)
    assert len(X_all) + len(X_test) == 1797


def test_speed_record_ratios_agree_with_its_timings(tmp_path):
    record = bench.run_speed(
        n_samples=1000,
        numpy_samples=200,
        repeats=1,
        output_dir=tmp_path,
        verbose=False,
    )
    peak = record["gemm_float32_gflops"]
    lrp = record["lrp_transform"]
    n, d, h = lrp["shape"]
    assert lrp["speedup_vs_numpy"] == pytest.approx(
        lrp["numpy_float64_seconds"] / lrp["seconds"]
    )
    assert lrp["gflops"] == pytest.approx(2 * n * d * h / lrp["seconds"] / 1e9)
    assert lrp["fraction_of_gemm_peak"] == pytest.approx(lrp["gflops"] / peak)
    delta = record["delta_rule_epoch"]
    assert delta["numpy_extrapolated_from_samples"] == 200
    assert delta["speedup_vs_numpy"] == pytest.approx(
        delta["numpy_float64_seconds"] / delta["seconds"]
    )
    krotov = record["krotov_epoch"]
    n, d, h = krotov["shape"]
    for size in (100, 1000):
        entry = krotov[f"batch_{size}"]
        times = [entry[key] for key in ("seconds", "gemm_only_seconds",
                                        "numpy_float64_seconds")]  # fmt: skip
        assert np.all(np.isfinite(times)) and min(times) > 0
        assert entry["speedup_vs_numpy"] == pytest.approx(
            entry["numpy_float64_seconds"] / entry["seconds"]
        )
        assert entry["ours_over_gemm"] == pytest.approx(
            entry["seconds"] / entry["gemm_only_seconds"]
        )
        assert entry["fraction_of_gemm_peak"] == pytest.approx(
            2 * h * d * n / entry["seconds"] / 1e9 / peak
        )
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

    main(
        DIGITS
        + ["--method", "krotov", "--n-components", "20", "--seeds", "0"]
        + ["--front-end", '{"n_epochs": 1, "normalize_input": "patch"}']
        + ["--readout", '{"max_iter": 2, "tol": null, "average": 100}']
        + ["--centre", "image", "--results-dir", str(tmp_path)]
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


# Digits test accuracy of every method at small settings (below): the lowest of
# seeds 0-9, less a margin of about 0.05.
SMALL_SETTING_ACCURACY = {
    "sp": 0.8,
    "l-rp": 0.7,
    "rp": 0.7,
    "l-rg": 0.7,
    "rg": 0.65,
    "l-pca": 0.8,
    "l-ica": 0.85,
    "l-sc": 0.7,
    "pca": 0.6,
    "ica": 0.4,
    "krotov": 0.65,
    "l-krotov": 0.35,
    "krotov-stack": 0.5,
    "conv": 0.9,
    "l-hebb": 0.8,
    "l-oja": 0.7,
    "l-sanger": 0.85,
    "l-bcm": 0.65,
    "l-bp": 0.8,
    "l-fa": 0.8,
    "bp": 0.85,
}


@pytest.mark.parametrize(
    "method",
    [m for m, spec in METHODS.items() if not spec.spiking and spec.runner is None],
)
def test_every_bench_method_learns_at_small_settings(method):
    X_train, y_train, X_eval, y_eval, shape = bench.load_split("digits", "test")
    krotov = "krotov" in method
    model = bench.make_model(
        method,
        shape,
        0,
        n_components=100 if krotov else 200,
        front_params={"n_epochs": 20} if krotov else None,
        readout_params={**(KROTOV_READOUT if krotov else {}), "max_iter": 20,
                        "tol": None},
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # rank-deficient patches, short fits
        accuracy = model.fit(X_train, y_train).score(X_eval, y_eval)
    assert accuracy > SMALL_SETTING_ACCURACY[method]


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
        readout_params={"max_iter": 3, "tol": None},
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


@pytest.mark.parametrize(
    "method", [method for method, spec in METHODS.items() if spec.spiking]
)
def test_spiking_bench_methods_record_an_accuracy_curve(method, tmp_path):
    record = bench.run_accuracy(
        "digits",
        method,
        seeds=[0],
        n_components=1000,
        patch_size=4,
        readout_params={
            "n_epochs": 2, "learning_rate": 0.01, "dt": 0.1, "t_transient": 20,
            "t_learn": 20, "t_test": 70, "t_count": 50,
            "eval_size": 200, "checkpoint_every": 650,
        },
        output_dir=tmp_path,
        verbose=False,
    )  # fmt: skip
    (run,) = record["runs"]
    assert [point["presentations"] for point in run["curve"]] == [650, 1300, 1950, 2600]
    assert all(0 <= point["subset_accuracy"] <= 1 for point in run["curve"])
    assert record["accuracy_mean"] > 0.7 and record["eval_subset_size"] == 200
    assert run["ms_per_train_image"] > 0 and run["ms_per_test_image"] > 0
    assert record["params"]["readout_estimator"] == "SpikingLIFClassifier"
    assert record["params"]["readout"]["front_end"] in (
        "LocalizedRandomProjection",
        "RandomGabor",
    )
    assert not list(tmp_path.glob("*progress*"))  # replaced by the record
    row = [line for line in bench.render_table(tmp_path).splitlines() if method in line]
    assert f"| {method} |" in row[0] and "epochs=2" in row[0]
