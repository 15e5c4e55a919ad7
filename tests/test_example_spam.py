"""Example 10, the spam filter: its claims checked against the CSV, with counts made here.

The example runs once in quick mode in a fresh interpreter (``run_example`` from
test_examples.py). Accuracy is recomputed from its held-out probabilities and the labels read
straight from the CSV; whether a top word is spam-like is counted in the raw training texts
with this file's own word matching, not with the example's tokenizer.
"""

import csv
import re
import subprocess
import sys

import numpy as np
import pytest
from test_examples import EXAMPLES, assert_png, environment, run_example

DATA = EXAMPLES / "data" / "spam_messages.csv"
SPAMMY = "WINNER! Claim your free cash prize now, click here and verify your account details"
HAMMY = "Can we move the rehearsal to Thursday? I'll bring the slides from the lecture"


def read_corpus():
    """(labels as a 0/1 array, texts) from the CSV."""
    with open(DATA, newline="", encoding="utf-8") as file:
        rows = list(csv.reader(file))
    assert rows[0] == ["label", "text"]
    assert all(len(row) == 2 for row in rows[1:])
    return np.array([label == "spam" for label, _ in rows[1:]], dtype=float), [text for _, text in rows[1:]]


def occurs(token, text):
    """Does the token occur in the text? Words as whole words; the example's special tokens by a
    rough pattern of our own (a digit for <number> also counts money: a superset)."""
    text = text.lower()
    patterns = {
        "!": r"!",
        "<url>": r"https?://|www\.|[a-z0-9-]\.(?:com|net|org|example)\b",
        "<money>": r"[$£€]\s?\d|\d\s?(?:euros?|pounds?|dollars?|eur|usd)\b",
        "<number>": r"\d",
    }
    pattern = patterns.get(token, rf"(?<![a-z])(?<![a-z]'){re.escape(token)}(?!'?[a-z])")
    return re.search(pattern, text) is not None


@pytest.fixture(scope="module")
def spam_run(tmp_path_factory):
    return run_example("10_spam_filter.py", tmp_path_factory.mktemp("spam"))


def test_corpus_is_big_enough_has_both_classes_and_no_duplicates():
    labels, texts = read_corpus()
    assert len(texts) >= 300
    assert 0.35 <= labels.mean() <= 0.55  # both classes, about 45% spam
    normalized = [" ".join(text.lower().split()) for text in texts]
    assert len(set(normalized)) == len(texts)
    assert all(len(text.split()) >= 2 for text in texts)
    readme = (EXAMPLES / "data" / "README.md").read_text()  # the counts it states are right
    n_spam = int(labels.sum())
    assert f"| spam | {n_spam} |" in readme and f"| ham | {len(texts) - n_spam} |" in readme
    assert f"| total | {len(texts)} |" in readme and "MIT" in readme


def test_split_is_fixed_stratified_and_the_vocabulary_comes_from_training_only(spam_run):
    results, _ = spam_run
    labels, texts = read_corpus()
    train_rows, test_rows = results["train_rows"], results["test_rows"]
    assert sorted(np.r_[train_rows, test_rows].tolist()) == list(range(len(texts)))  # a partition
    assert 0.2 <= len(test_rows) / len(texts) <= 0.3
    assert abs(labels[test_rows].sum() - 0.25 * labels.sum()) <= 1  # stratified: a quarter of the spam
    words = [token for token in results["vocabulary"] if re.fullmatch(r"[a-z']+", token)]
    assert len(words) > 100
    for word in words:  # every word of the vocabulary is in at least 2 training messages
        assert sum(occurs(word, texts[i]) for i in train_rows) >= 2, word


def test_held_out_accuracy_is_at_least_90_percent(spam_run):
    results, stdout = spam_run
    labels, _ = read_corpus()
    truth = labels[results["test_rows"]]
    for name in ("logistic", "mlp"):
        probability = results[f"{name}_test_probability"]
        assert probability.shape == truth.shape and np.all((0 <= probability) & (probability <= 1))
        accuracy = float(np.mean((probability > 0.5) == truth))
        assert accuracy >= 0.9, name
        assert accuracy == pytest.approx(results[f"{name}_accuracy"])
        assert f"held-out accuracy {accuracy:.1%}" in stdout
        curve = results[f"{name}_train_curve"]
        assert len(curve) == 100 and curve[-1] < curve[0] / 3
    assert_png(results["files"][0])


def test_top_spam_words_occur_mostly_in_spam_and_top_ham_words_mostly_in_ham(spam_run):
    results, stdout = spam_run
    labels, texts = read_corpus()
    train_rows = results["train_rows"]
    base_rate = labels[train_rows].mean()  # about 0.45

    def spam_share(token):
        rows = [i for i in train_rows if occurs(token, texts[i])]
        assert len(rows) >= 2, token
        return labels[rows].mean()

    spam_shares = {token: spam_share(token) for token in results["top_spam_words"][:10]}
    ham_shares = {token: spam_share(token) for token in results["top_ham_words"][:10]}
    assert all(share >= 0.6 for share in spam_shares.values()), spam_shares
    assert np.mean(list(spam_shares.values())) >= 0.8 > base_rate
    assert all(share < 0.5 for share in ham_shares.values()), ham_shares
    assert all(results["word_weights"][t] > 0 for t in spam_shares)
    assert all(results["word_weights"][t] < 0 for t in ham_shares)
    assert "most spam-like words: " + ", ".join(results["top_spam_words"]) in stdout


def test_message_option_labels_a_spammy_and_a_hammy_message(tmp_path):
    _, texts = read_corpus()
    assert SPAMMY not in texts and HAMMY not in texts  # new messages, not training data
    completed = subprocess.run(
        [sys.executable, str(EXAMPLES / "10_spam_filter.py"), "--quick", "--out", str(tmp_path / "pics")]
        + ["--message", SPAMMY, "--message", HAMMY],
        capture_output=True,
        text=True,
        env=environment(),
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    verdicts = re.findall(r"^message .*: P\(spam\) = ([0-9.]+) -> (spam|ham)", completed.stdout, flags=re.M)
    assert [label for _, label in verdicts] == ["spam", "ham"], completed.stdout
    assert float(verdicts[0][0]) > 0.9 and float(verdicts[1][0]) < 0.1
    assert_png(tmp_path / "pics" / "spam_filter.png")
