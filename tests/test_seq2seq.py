"""The seq2seq recipe: date pairs generated from the calendar, keras.io's spa.txt and your own
pairs CSV, the scores of decoded texts, and one short real run on dates (killed after its
first epoch and resumed, as `cookbook train --resume` would) that every slow test inspects:
exact match far above the baseline, attention pictures, greedy against beam decoding,
`cookbook predict` and the string-to-string SavedModel."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import zipfile

import keras
import numpy as np
import pytest
import tensorflow as tf

from common.config import load_config
from common.config.schema import DataConfig
from common.data import catalogue, dates, pairs
from common.data.tokens import END, START, UNKNOWN, Corpus, TextPairs, Tokenization, words
from common.errors import ConfigError
from common.reporting import run_files, translations
from common.training.driver import train
from common.training.recipe import load_recipe
from tests import keras_files
from tests.conftest import cookbook, tiny
from tests.interrupted import killed_and_resumed

# --------------------------------------------------------------------------------------------
# Dates: deeplearning.ai's forms, written from the calendar
# --------------------------------------------------------------------------------------------

# Babel's en_US output for Monday 8 January 2007 in each of the assignment's formats.
WRITTEN = {
    "short": "1/8/07",
    "medium": "Jan 8, 2007",
    "long": "January 8, 2007",
    "full": "Monday, January 8, 2007",
    "d MMM YYY": "8 Jan 2007",
    "d MMMM YYY": "8 January 2007",
    "dd MMM YYY": "08 Jan 2007",
    "d MMM, YYY": "8 Jan, 2007",
    "d MMMM, YYY": "8 January, 2007",
    "dd, MMM YYY": "08, Jan 2007",
    "d MM YY": "8 01 07",
    "MMMM d YYY": "January 8 2007",
    "MMMM d, YYY": "January 8, 2007",
    "dd.MM.YY": "08.01.07",
}


def test_every_form_of_the_assignment_is_written_as_babel_writes_it():
    assert set(WRITTEN) == set(dates.FORMATS)
    for form, expected in WRITTEN.items():
        assert dates.english(form, dt.date(2007, 1, 8)) == expected, form
    # The calendar year, not CLDR's week-based year (Babel: "31 Dec 2008").
    assert dates.english("d MMM YYY", dt.date(2007, 12, 31)) == "31 Dec 2007"
    assert dates.in_case("Jan 8, 2007", "lower without commas") == "jan 8 2007"


def test_date_pairs_are_seeded_and_cover_every_form_and_case():
    sources, targets, forms = dates.date_pairs(3000, seed=5)
    again, same_targets, _ = dates.date_pairs(3000, seed=5)
    other, _, _ = dates.date_pairs(3000, seed=6)
    assert list(sources) == list(again) and list(targets) == list(same_targets)
    assert list(sources) != list(other)
    assert set(forms) == set(dates.FORMATS)
    assert any(s.isupper() for s in sources) and any(s.islower() for s in sources)
    assert np.mean(forms == "full") == pytest.approx(10 / len(dates.FORMATS), abs=0.03)
    for source, target in zip(sources[:300], targets[:300], strict=True):
        day = dt.date.fromisoformat(target)
        assert dates.FIRST_DAY <= day <= dates.LAST_DAY
        assert str(day.day) in source  # the day of the month, padded or not, is in the input


def test_no_test_date_is_seen_in_training_in_any_form():
    dataset = catalogue.load(DataConfig(dataset="dates", test_split=0.2), 3, stratify=False)
    assert isinstance(dataset.x_train, TextPairs) and isinstance(dataset.x_test, TextPairs)
    assert len(dataset.y_train) + len(dataset.y_test) == dates.EXAMPLES
    assert len(dataset.y_test) == pytest.approx(0.2 * dates.EXAMPLES, rel=0.05)
    assert not set(dataset.y_test) & set(dataset.y_train)
    assert dataset.x_test.corpus is dataset.x_train.corpus  # encoded with training tokens


# --------------------------------------------------------------------------------------------
# Tokens and the two file sources
# --------------------------------------------------------------------------------------------


def test_vocabularies_come_from_training_and_frame_the_targets():
    corpus = Corpus(np.array(["ab", "ba"], dtype=object), np.array(["x-y", "y"], dtype=object))
    vocabularies = corpus.vocabularies(Tokenization("characters"))
    assert vocabularies.source_length == 2 and vocabularies.target_length == 3
    assert vocabularies.encode_sources(["az"])[0][1] == UNKNOWN  # z: never seen in training
    targets = vocabularies.encode_targets(["y", "x-y-y"])  # the second cut to 3 tokens
    assert targets[0][0] == START and targets[0][2] == END and targets[0][3] == 0
    assert vocabularies.decode(targets[:, 1:]) == ["y", "x-y"]
    assert words("¿Dónde está el baño? ¡Aquí!") == ["dónde", "está", "el", "baño", "aquí"]
    capped = corpus.vocabularies(Tokenization("words", vocabulary_size=5))
    assert len(capped.target) == 5 and capped.target[4] == "y"  # the most frequent word


def test_spa_txt_loads_from_the_file_its_folder_or_the_zip(tmp_path):
    path = keras_files.write_spa_eng(tmp_path)
    lines = path.read_text(encoding="utf-8").splitlines()
    dataset = pairs.load_spa_eng("spa_eng", DataConfig(path=str(path), test_split=0.25), 0, False)
    assert len(dataset.y_train) + len(dataset.y_test) == len(lines)
    assert "CC-BY" not in " ".join([*dataset.y_train, *dataset.y_test])  # attribution dropped
    # One English sentence with two translations stays on one side of the split.
    assert not set(dataset.x_test.sources) & set(dataset.x_train.sources)
    english, spanish = lines[0].split("\t")[:2]
    everything = dict(zip(dataset.x_train.sources, dataset.y_train, strict=True))
    everything.update(zip(dataset.x_test.sources, dataset.y_test, strict=True))
    assert english in everything and everything[english].startswith(("Tengo", "¡Tengo"))
    with zipfile.ZipFile(tmp_path / "spa-eng.zip", "w") as archive:
        archive.write(path, "spa-eng/spa.txt")
    for given in (tmp_path / "spa-eng.zip", tmp_path):
        same = pairs.load_spa_eng("spa_eng", DataConfig(path=str(given), test_split=0.25), 0, False)
        assert list(same.y_test) == list(dataset.y_test), given
    path.write_text("Go.\tVe.\nno tab on this line\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="line 2 is not a pair"):
        pairs.load_spa_eng("spa_eng", DataConfig(path=str(path)), 0, False)


def test_pairs_csv_reads_the_named_columns_and_names_mistakes(tmp_path):
    path = tmp_path / "pairs.csv"
    rows = [f"{n} apples,{n} manzanas" for n in range(20)]
    path.write_text("english,spanish\n" + "\n".join(rows) + "\n", encoding="utf-8")
    data = DataConfig(dataset="pairs_csv", path=str(path), features=["english"], target="spanish")
    dataset = catalogue.load(data, 0, stratify=False)
    assert len(dataset.y_train) + len(dataset.y_test) == 20
    assert all(t.endswith("manzanas") for t in dataset.y_test)
    with pytest.raises(ConfigError, match="data.features: .* no column 'source'"):
        catalogue.load(DataConfig(dataset="pairs_csv", path=str(path)), 0, stratify=False)
    only_source = DataConfig(dataset="pairs_csv", path=str(path), features=["english"])
    with pytest.raises(ConfigError, match="data.target: .* no column 'target'"):
        catalogue.load(only_source, 0, stratify=False)
    path.write_text("source,target\nhello,hola\nbye,\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="line 3 has an empty"):
        catalogue.load(DataConfig(dataset="pairs_csv", path=str(path)), 0, stratify=False)


def test_the_recipe_refuses_data_that_are_not_pairs():
    config = load_config("seq2seq", ["data.dataset=digits"])
    with pytest.raises(ConfigError, match="data.dataset: the seq2seq recipe reads text pairs"):
        load_recipe("seq2seq").dataset(config)


# --------------------------------------------------------------------------------------------
# Scores
# --------------------------------------------------------------------------------------------


def test_exact_match_character_accuracy_and_corpus_bleu():
    assert translations.exact_match(["2007-01-08", "x"], ["2007-01-08", "y"]) == 0.5
    # 9 of 10 characters, then 2 of the longer 4 ("ab" against "abcd").
    assert translations.character_accuracy(["2007-01-09", "ab"], ["2007-01-08", "abcd"]) == (
        pytest.approx((0.9 + 0.5) / 2)
    )
    sentence = "the cat sat on the mat"
    assert translations.corpus_bleu([sentence], [sentence]) == pytest.approx(1.0)
    assert translations.corpus_bleu(["a b c"], ["a b c d"]) == 0.0  # no 4-gram at all
    # By hand: precisions 5/6, 3/5, 2/4, 1/3 over 6 words; the reference has 6 words too.
    hand = math.exp(sum(math.log(p) for p in (5 / 6, 3 / 5, 2 / 4, 1 / 3)) / 4)
    bleu = translations.corpus_bleu(["the cat sat on a mat"], [sentence])
    assert bleu == pytest.approx(hand)
    # Brevity: the same four words against a six-word reference are penalised by exp(1 - 6/4).
    short = translations.corpus_bleu(["the cat sat on"], [sentence])
    assert short == pytest.approx(math.exp(1 - 6 / 4))
    assert translations.most_frequent(["b", "a", "b", "a", "c"]) == "a"  # ties: sorted first
    assert translations.dateutil_dates(["Jan 8, 2007", "nonsense"]) == ["2007-01-08", ""]


# --------------------------------------------------------------------------------------------
# One short real run on dates, killed after its first epoch and resumed
# --------------------------------------------------------------------------------------------

EPOCHS = 4
SMALL = ("data.test_split=0.1", "data.validation_split=0.1", "trainer.backup_interval=0")


@pytest.fixture(scope="module")
def dates_run(tmp_path_factory):
    from recipes import seq2seq

    output = tmp_path_factory.mktemp("seq2seq")
    config = tiny("seq2seq", output, f"trainer.epochs={EPOCHS}", *SMALL)
    return killed_and_resumed(seq2seq, config)


@pytest.mark.slow
def test_a_few_epochs_translate_held_out_dates_far_above_the_baseline(dates_run):
    run_dir, metrics = dates_run
    rows = run_files.read_history(run_dir / "history.csv")
    assert [int(row["epoch"]) for row in rows] == list(range(EPOCHS))  # resumed to the end
    test, baseline = metrics["test"], metrics["baseline"]
    assert test["exact_match"] >= 0.9 and baseline["exact_match"] < 0.01
    assert test["character_accuracy"] > baseline["character_accuracy"] + 0.4
    assert metrics["reference_model"] == "dateutil.parser"
    assert 0.5 < metrics["reference"]["exact_match"] < 1.0
    assert metrics["validation"]["exact_match"] >= 0.9 and "loss" in metrics["validation"]
    with open(run_dir / "test_predictions.csv", encoding="utf-8") as file:
        predictions = list(csv.DictReader(file))
    assert len(predictions) == pytest.approx(0.1 * dates.EXAMPLES, rel=0.05)
    right = np.mean([row["prediction"] == row["target"] for row in predictions])
    assert right == pytest.approx(test["exact_match"])


@pytest.mark.slow
def test_attention_maps_reach_the_run_folder_and_tensorboard(dates_run):
    run_dir, metrics = dates_run
    assert metrics["attention"] == "attention.png" and (run_dir / "attention.png").is_file()
    tags = [
        value.tag
        for path in (run_dir / "logs" / "images").glob("events.out.tfevents.*")
        for event in tf.compat.v1.train.summary_iterator(str(path))
        for value in event.summary.value
    ]
    assert tags.count("attention/test") == 1
    assert tags.count("attention/validation") == EPOCHS  # one per epoch, resumed ones too


@pytest.mark.slow
def test_greedy_and_beam_decoding_agree_on_inputs_the_model_finds_easy(dates_run):
    from recipes import seq2seq

    run_dir, _ = dates_run
    model = keras.saving.load_model(run_dir / "best.keras", safe_mode=True)
    vocabularies, _ = seq2seq.saved_vocabularies(run_dir)
    sources, targets, _ = dates.date_pairs(300, seed=123)
    greedy, _ = seq2seq.translate(model, vocabularies, sources, seq2seq.Options(beam_width=1))
    easy = [i for i, (out, target) in enumerate(zip(greedy, targets, strict=True)) if out == target]
    assert len(easy) > 250
    beam, _ = seq2seq.translate(model, vocabularies, sources[easy], seq2seq.Options(beam_width=3))
    assert beam == [greedy[i] for i in easy]


@pytest.mark.slow
def test_predict_translates_lines_and_the_export_takes_strings(dates_run, tmp_path):
    run_dir, _ = dates_run
    lines = ["Tuesday, June 29, 2010", "18 March, 1987", "", "1/8/07", "3 MAY 1979"]
    path = tmp_path / "dates.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = cookbook("predict", str(run_dir), str(path))
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["input", "prediction"]
    assert rows[1:] == [
        ["Tuesday, June 29, 2010", "2010-06-29"],
        ["18 March, 1987", "1987-03-18"],
        ["1/8/07", "2007-01-08"],
        ["3 MAY 1979", "1979-05-03"],
    ]
    result = cookbook("export", str(run_dir))
    assert result.returncode == 0, result.stderr
    exported = tf.saved_model.load(str(run_dir / "export" / "saved_model"))
    texts = exported.serve(tf.constant([row[0] for row in rows[1:]])).numpy()
    assert [t.decode() for t in texts] == [row[1] for row in rows[1:]]
    refused = cookbook("export", str(run_dir), "--format", "tflite")
    assert refused.returncode == 2 and "SavedModel only" in refused.stderr


@pytest.mark.slow
def test_the_transformer_config_trains_an_epoch_and_pictures_its_attention(tmp_path):
    overrides = ("data.test_split=0.05", "data.validation_split=0.05", "model.num_layers=1")
    run_dir, metrics = train(tiny("seq2seq-transformer", tmp_path, "trainer.epochs=1", *overrides))
    assert np.isfinite(metrics["test"]["loss"]) and 0.0 <= metrics["test"]["exact_match"] <= 1.0
    assert metrics["test"]["token_accuracy"] > 0.3  # chance over 15 target tokens is 0.07
    assert (run_dir / "attention.png").is_file()


# --------------------------------------------------------------------------------------------
# The default config at its default epochs (`make test-full`)
# --------------------------------------------------------------------------------------------


@pytest.mark.quality
def test_the_default_translates_095_of_new_dates_at_or_above_dateutil(tmp_path):
    _, metrics = train(load_config("seq2seq", ["trainer.verbose=0", f"output.dir={tmp_path}"]))
    assert metrics["test"]["exact_match"] >= 0.95
    assert metrics["test"]["exact_match"] >= metrics["reference"]["exact_match"]
