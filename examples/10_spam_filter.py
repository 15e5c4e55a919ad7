"""Example 10: a spam filter: words in, "spam or not spam" out (tensor engine).

What it shows: the lecture's email slide, trained for real on 507 short messages written for
this example (examples/data/, see its README).
  * Features: a bag of words. A small tokenizer lowercases a message and cuts it into words;
    web addresses, amounts of money and other numbers become the tokens <url>, <money> and
    <number>, and every "!" is a token too. The vocabulary is every token found in at least
    two messages of the training split (never the held-out split: that would let the test
    messages leak into the model), and a message becomes a vector x of 0s and 1s, one per
    vocabulary word: is the word in the message?
  * A single sigmoid neuron, logistic regression: P(spam) = sigmoid(w . x + b), one
    nn.Linear(V, 1). Each weight is a word's vote: positive pushes towards spam, negative
    towards ham (not spam), so the largest and smallest weights show what the model learned.
  * A small MLP, Linear(V, 16) -> ReLU -> Linear(16, 1), which can combine words.
  * Both give a logit (the score before the sigmoid) and are trained with
    nn.binary_cross_entropy on the logits (stable, no sigmoid rounded to 0 or 1), Adam and a
    small L2 penalty on the weights, then tested on a fixed held-out quarter of the messages
    (seeded, stratified: the same share of spam as the training split).
It prints the held-out accuracy of both models and the messages they got wrong, the most
spam-like and ham-like words, and the verdict on any message you give it. The top words mix
real spam signals ("free", "pay", <url>) with the style of a small corpus (its ham says "the"
and "bring" more often): a model learns whatever tells its training data apart.

Run:   python examples/10_spam_filter.py [--quick] [--out out/] [--message "You won a prize!"]
Writes: out/spam_filter.png (needs matplotlib): loss curves and the top spam and ham words
"""

import argparse
import csv
import re
from pathlib import Path

import numpy as np

from tinygrad_edu import Tensor, nn, no_grad, optim

DATA = Path(__file__).resolve().parent / "data" / "spam_messages.csv"

# One pass over the lowercased text; the first alternative that matches wins.
TOKEN = re.compile(
    r"""(?P<url>https?://\S+|www\.\S+|[a-z0-9-]+\.(?:com|net|org|example)(?:/\S*)?)
      | (?P<money>[$£€]\s?\d[\d,.]*|\d[\d,.]*\s?(?:euros?|pounds?|dollars?|eur|usd)\b)
      | (?P<number>\d+(?:[.,:]\d+)*)
      | (?P<word>[a-z]+(?:'[a-z]+)?)
      | (?P<bang>!)""",
    re.VERBOSE,
)


def tokenize(text):
    """The tokens of a message, e.g. 'Win $500 now!' -> ['win', '<money>', 'now', '!']."""
    tokens = []
    for match in TOKEN.finditer(text.lower()):
        kind = match.lastgroup
        tokens.append(match.group() if kind in ("word", "bang") else f"<{kind}>")
    return tokens


def load_messages(path=DATA):
    """The corpus: texts (list of str) and labels (n,), 1 for spam and 0 for ham."""
    with open(path, newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    return [row["text"] for row in rows], np.array([row["label"] == "spam" for row in rows], dtype=float)


def split(labels, test_share=0.25, seed=0):
    """Row numbers of a stratified split: the same share of each class goes to the test side."""
    rng = np.random.default_rng(seed)
    train_rows, test_rows = [], []
    for label in (0.0, 1.0):
        rows = rng.permutation(np.flatnonzero(labels == label))
        n_test = round(test_share * len(rows))
        test_rows.extend(rows[:n_test])
        train_rows.extend(rows[n_test:])
    return np.sort(train_rows), np.sort(test_rows)


def build_vocabulary(texts, min_messages=2):
    """Tokens found in at least min_messages of the texts, alphabetically."""
    counts = {}
    for text in texts:
        for token in set(tokenize(text)):
            counts[token] = counts.get(token, 0) + 1
    return sorted(token for token, n in counts.items() if n >= min_messages)


def bag_of_words(texts, vocabulary):
    """(n, V) matrix: entry [i, j] is 1 if message i contains word j (unknown words are dropped)."""
    column = {token: j for j, token in enumerate(vocabulary)}
    x = np.zeros((len(texts), len(vocabulary)))
    for i, text in enumerate(texts):
        for token in tokenize(text):
            if token in column:
                x[i, column[token]] = 1.0
    return x


def train(model, x_train, y_train, x_test, y_test, steps, lr=0.02, l2=1e-3):
    """Full-batch Adam on binary cross-entropy + l2 * sum(weights**2); the loss curves of both splits."""
    optimizer = optim.Adam(model.parameters(), lr=lr)
    weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
    train_curve, test_curve = [], []
    for _ in range(steps):
        loss = nn.binary_cross_entropy(model(Tensor(x_train)), y_train)
        penalty = sum((w * w).sum() for w in weights) * l2  # keeps the weights of rare words small
        optimizer.zero_grad()
        (loss + penalty).backward()
        optimizer.step()
        train_curve.append(loss.item())
        with no_grad():
            test_curve.append(nn.binary_cross_entropy(model(Tensor(x_test)), y_test).item())
    return train_curve, test_curve


def spam_probability(model, x):
    """P(spam) for each row of x: the sigmoid of the model's logit, shape (n,)."""
    with no_grad():
        return model(Tensor(x)).sigmoid().numpy()[:, 0]


def plot(results, path, n_words=10):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4.2))
    for name, color in (("logistic", "C0"), ("mlp", "C1")):
        left.plot(results[f"{name}_train_curve"], color=color, label=f"{name}: training")
        left.plot(results[f"{name}_test_curve"], "--", color=color, label=f"{name}: held-out")
    left.set_yscale("log")
    left.set_xlabel("step")
    left.set_title(
        "binary cross-entropy (held-out accuracy: logistic "
        f"{results['logistic_accuracy']:.0%}, MLP {results['mlp_accuracy']:.0%})",
        fontsize=10,
    )
    left.legend(fontsize=8)
    # bottom to top: the most ham-like word first, the most spam-like word last
    words = results["top_ham_words"][:n_words] + results["top_spam_words"][:n_words][::-1]
    values = [results["word_weights"][w] for w in words]
    right.barh(range(len(words)), values, color=["#d62728" if v > 0 else "#1f77b4" for v in values])
    right.set_yticks(range(len(words)), words, fontsize=8)
    right.axvline(0, color="grey", linewidth=0.8)
    right.set_xlabel("weight in the single neuron (> 0: spam-like, < 0: ham-like)")
    right.set_title("the words that decide")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=80)
    plt.close(figure)
    return path


def main(out="out", quick=False, messages=()):
    """Train both models, test them, classify `messages`; return predictions, words, curves and files."""
    texts, labels = load_messages()
    train_rows, test_rows = split(labels)
    vocabulary = build_vocabulary([texts[i] for i in train_rows])
    x_train = bag_of_words([texts[i] for i in train_rows], vocabulary)  # (n_train, V)
    x_test = bag_of_words([texts[i] for i in test_rows], vocabulary)  # (n_test, V)
    y_train, y_test = labels[train_rows][:, None], labels[test_rows][:, None]  # (n, 1)
    print(
        f"{len(texts)} messages ({int(labels.sum())} spam): {len(train_rows)} for training, "
        f"{len(test_rows)} held out; vocabulary of {len(vocabulary)} tokens from the training split"
    )

    steps = 100 if quick else 300
    np.random.seed(0)  # nn.Linear draws its initial weights from numpy's global generator
    models = {
        "logistic": nn.Linear(len(vocabulary), 1),  # one sigmoid neuron
        "mlp": nn.Sequential(nn.Linear(len(vocabulary), 16), nn.ReLU(), nn.Linear(16, 1)),
    }
    results = {"train_rows": train_rows, "test_rows": test_rows, "vocabulary": vocabulary}
    for name, model in models.items():
        train_curve, test_curve = train(model, x_train, y_train, x_test, y_test, steps)
        probability = spam_probability(model, x_test)
        predicted = (probability > 0.5).astype(float)
        accuracy = float(np.mean(predicted == y_test[:, 0]))
        results.update(
            {
                f"{name}_train_curve": train_curve,
                f"{name}_test_curve": test_curve,
                f"{name}_test_probability": probability,
                f"{name}_test_predicted": predicted,
                f"{name}_accuracy": accuracy,
            }
        )
        caught = int(np.sum((predicted == 1) & (y_test[:, 0] == 1)))
        false_alarms = int(np.sum((predicted == 1) & (y_test[:, 0] == 0)))
        print(
            f"{name:>8}: held-out accuracy {accuracy:.1%} ({caught} of {int(y_test.sum())} spam caught, "
            f"{false_alarms} of {int(len(y_test) - y_test.sum())} ham wrongly flagged)"
        )
        for i in np.flatnonzero(predicted != y_test[:, 0]):
            truth = "spam" if y_test[i, 0] else "ham"
            print(f"          wrong: P(spam) = {probability[i]:.2f} for {truth} {texts[test_rows[i]]!r}")

    weight = models["logistic"].weight.data[0]  # (V,): each word's vote
    order = np.argsort(weight)
    results["word_weights"] = dict(zip(vocabulary, weight.tolist(), strict=True))
    results["top_spam_words"] = [vocabulary[j] for j in order[::-1][:15]]
    results["top_ham_words"] = [vocabulary[j] for j in order[:15]]
    print("most spam-like words: " + ", ".join(results["top_spam_words"]))
    print("most ham-like words:  " + ", ".join(results["top_ham_words"]))

    results["messages"] = []
    for text in messages:
        x = bag_of_words([text], vocabulary)  # (1, V)
        p_logistic, p_mlp = spam_probability(models["logistic"], x)[0], spam_probability(models["mlp"], x)[0]
        label = "spam" if p_logistic > 0.5 else "ham"
        print(f"message {text!r}: P(spam) = {p_logistic:.3f} -> {label}  (MLP: P(spam) = {p_mlp:.3f})")
        results["messages"].append({"text": text, "probability": p_logistic, "mlp_probability": p_mlp})

    results["files"] = []
    try:
        results["files"].append(plot(results, Path(out) / "spam_filter.png"))
        print(f"picture written to {results['files'][-1]}")
    except ImportError:
        print("matplotlib is not installed: pip install matplotlib to get the picture")
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="out", help="folder for the pictures (default: out/)")
    parser.add_argument("--quick", action="store_true", help="fewer training steps: a few seconds")
    parser.add_argument(
        "--message", action="append", default=[], help="a message to classify (may be given more than once)"
    )
    arguments = parser.parse_args()
    main(arguments.out, arguments.quick, arguments.message)
