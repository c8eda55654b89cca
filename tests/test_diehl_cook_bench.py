"""The Diehl & Cook benchmarks: accuracy records and the speed bench against Brian2."""

import json
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from skbio_plastic import bench
from skbio_plastic.__main__ import main
from skbio_plastic.bench._diehl_cook_speed import summary, time_diehl_cook
from skbio_plastic.spiking import STDPSpikingTransformer

# A quick digits run: 100 neurons, 200 training images in two chunks; the
# normalisation target scaled to 64 pixels, short rests.
QUICK = {
    "front_params": {"weight_sum": 6.4, "t_rest": 20.0},
    "readout_params": {
        "train_size": 200, "checkpoint_every": 100, "assign_size": 150,
        "eval_size": 100, "n_epochs": 2,
    },
}  # fmt: skip


@pytest.fixture(scope="module")
def record_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("results")
    with warnings.catch_warnings():  # the delta rule's short fit on 200 images
        warnings.simplefilter("ignore", ConvergenceWarning)
        bench.run_accuracy(
            "digits", "diehl-cook-100", seeds=[0], output_dir=folder,
            verbose=False, **QUICK,
        )  # fmt: skip
    return folder


def test_accuracy_record_has_the_curve_our_readouts_and_the_times(record_folder):
    (path,) = record_folder.glob("*.json")  # the progress record was replaced
    assert path.name.startswith("digits_diehl-cook-100_test_")
    record = json.loads(path.read_text())
    assert record["kind"] == "accuracy" and record["epochs"] == 2
    assert record["n_train"] == 200 and record["n_eval"] == 497
    assert record["params"]["front_end_estimator"] == "STDPSpikingTransformer"
    assert record["params"]["front_end"]["n_excitatory"] == 100
    assert record["params"]["front_end"]["n_epochs"] == 2
    assert record["params"]["readout_estimator"] == "LabelAssignmentClassifier"
    (run,) = record["runs"]
    assert [point["images"] for point in run["curve"]] == [100, 200, 300, 400]
    assert [point["epochs"] for point in run["curve"]] == [0.5, 1.0, 1.5, 2.0]
    assert all(0 <= point["subset_accuracy"] <= 1 for point in run["curve"])
    assert run["n_presentations"] >= run["n_images_seen"] == 400
    assert set(run["other_readouts"]) == {"LocalDeltaClassifier", "LogisticRegression"}
    assert record["other_readouts"] == run["other_readouts"]
    assert run["accuracy"] == record["accuracy_mean"] > 0.3
    for key in ("fit_seconds", "label_seconds", "predict_seconds", "wall_seconds"):
        assert run[key] > 0
    assert run["wall_seconds"] > run["fit_seconds"] + run["label_seconds"]
    assert sum(run["neurons_per_class"]) + run["unassigned_neurons"] == 100


def test_table_shows_the_paper_number_and_our_readouts(record_folder, tmp_path):
    (path,) = record_folder.glob("*.json")
    record = json.loads(path.read_text())
    record["dataset"] = "mnist"  # as if on MNIST: the paper's number appears
    (tmp_path / "mnist.json").write_text(json.dumps(record))
    page = bench.render_table(tmp_path)
    (row,) = [line for line in page.splitlines() if "diehl-cook-100" in line]
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[:2] == ["mnist", "diehl-cook-100"]  # the own readout: no variant
    assert cells[4] == "82.9"
    assert "epochs=2, neurons=100, delays=synapse" in cells[5]
    assert "shuffled" not in cells[5]  # the paper's order
    assert "on the same features: LocalDeltaClassifier " in cells[5]
    assert "LogisticRegression" in cells[5]
    sweeps = bench.render_table(record_folder, sweeps=True)
    assert "diehl-cook-100" in sweeps


@pytest.mark.parametrize(
    "args, message",
    [
        (["--n-components", "50"], "choose the method diehl-cook-50 instead"),
        (["--classifier", "sgd"], "--classifier sgd does not apply"),
        (["--readout", '{"max_iter": 3}'], "unknown readout parameters ['max_iter']"),
        (["--readout", '{"n_epochs": 0}'], "n_epochs must be a positive integer"),
        (["--readout", '{"max_minutes": -1}'], "max_minutes must be positive"),
        (["--readout", '{"shuffle": 1}'], "shuffle must be true or false"),
        (["--front-end", '{"theta": 1}'], "got an unexpected keyword argument"),
        (["--front-end", '{"delays": "axon"}'], "The 'delays' parameter"),
        (["--centre", "pixel"], "centre='pixel' does not apply"),
        (["--n-labels", "100"], "does not take n_labels"),
    ],
)
def test_user_errors_exit_with_a_message_before_any_work(
    args, message, tmp_path, capsys
):
    command = ["bench", "accuracy", "--dataset", "digits", "--method",
               "diehl-cook-100", "--results-dir", str(tmp_path)]  # fmt: skip
    with pytest.raises(SystemExit) as exit:
        main(command + args)
    assert exit.value.code == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def quick_run(folder, **readout_params):
    """The quick digits run with some bench options changed; its record."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return bench.run_accuracy(
            "digits", "diehl-cook-100", seeds=[0], output_dir=folder,
            verbose=False, front_params=QUICK["front_params"],
            readout_params={**QUICK["readout_params"], **readout_params},
        )  # fmt: skip


def test_a_time_budget_stops_training_at_a_point_of_the_curve(tmp_path):
    record = quick_run(tmp_path, max_minutes=1e-9)
    (run,) = record["runs"]
    assert len(run["curve"]) == 1 and run["n_images_seen"] == 100
    assert record["epochs"] == run["epochs"] == 0.5
    assert record["planned_epochs"] == 2 and record["max_minutes"] == 1e-9
    assert record["params"]["front_end"]["n_epochs"] == 0.5  # in the table


def test_shuffle_presents_each_epoch_in_a_new_order(tmp_path, monkeypatch):
    seen = []
    original = STDPSpikingTransformer.partial_fit

    def recording(self, X, y=None):
        seen.append(X.copy())
        return original(self, X, y)

    monkeypatch.setattr(STDPSpikingTransformer, "partial_fit", recording)
    record = quick_run(tmp_path, shuffle=True)
    first, second = np.vstack(seen[:2]), np.vstack(seen[2:])
    X = bench.load_split("digits", "test")[0][:200]
    assert not np.array_equal(first, X) and not np.array_equal(first, second)
    for epoch in (first, second):  # every image once per epoch
        np.testing.assert_array_equal(np.unique(epoch, axis=0), np.unique(X, axis=0))
    assert record["params"]["front_end"]["shuffle"] is True
    assert "shuffled=True" in bench.render_table(tmp_path)


def test_make_model_points_to_the_runner():
    with pytest.raises(ValueError, match="has a benchmark of its own"):
        bench.make_model("diehl-cook-400", (28, 28), 0)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_speed_bench_runs_both_simulators_on_the_same_trains():
    """A small network: ours and Brian2 (numpy target) on the same images and
    trains give the same excitatory spikes per image (within a few percent
    on average; float64 exactly) and the same presentations."""
    pytest.importorskip("brian2")
    record = time_diehl_cook(
        3, 1, n_excitatory=12, long_images=6, brian2_target="numpy"
    )
    assert record["network"]["params"]["n_excitatory"] == 12
    assert record["images"]["n_images"] == 3
    agree = record["spike_count_agreement"]
    assert agree["ours_float64_vs_brian2"]["fraction_of_equal_image_counts"] == 1.0
    assert agree["ours_float32_vs_brian2"]["mean_relative_difference"] < 0.03
    assert agree["presentations_equal_float64"]
    assert record["ours"]["presentations"] == record["brian2"]["presentations"] >= 3
    assert record["ours_long_run"]["n_images"] == 6
    spikes = np.mean(record["ours_float64"]["excitatory_spikes_per_image"])
    assert spikes == agree["ours_float64_vs_brian2"]["spikes_per_image"][1] > 0
    # each input spike reaches the 12 neurons: at least that many events
    assert record["synaptic_events_per_presentation"] > 12 * 100
    ratio = record["speedup_vs_brian2"]
    assert ratio == pytest.approx(
        record["brian2"]["ms_per_presentation_without_run_overhead"]
        / record["ours"]["ms_per_presentation"]
    )
    lines = summary(record)
    assert lines[0].startswith("diehl-cook (12 excitatory neurons, 3 images)")
    assert "% apart" in lines[-1]
