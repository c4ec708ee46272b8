"""scikit-learn peer for bench/quality.ts: the same train/test CSVs, the same preprocessing, the same models.

Preprocessing (a ColumnTransformer, fitted on the training rows): numeric columns mean-imputed and
standardized; other columns one-hot encoded, a missing cell being its own category, categories unseen
in training ignored. A column is numeric when every present cell is a number, as OpenMaaS infers it.

Models, per task:
  linear     LinearRegression() / LogisticRegression(penalty=None, max_iter=500): unregularized, like OpenMaaS's
  mlp        MLP(100,) relu, adam, lr 0.001, batch min(200, n), at most --epochs epochs (each value given), alpha=0,
             stop when the training loss has not improved by tol=1e-4 for 10 epochs: with 200 epochs,
             sklearn's defaults except alpha
  mlpDefault MLPClassifier/MLPRegressor(hidden_layer_sizes=(100,)): every other setting sklearn's default
Prints one JSON line: accuracy (classification) or R^2 (regression) on the test CSV; for MLPs, one
(metric, epochs run) per seed.
"""
import argparse, csv, json, warnings
import numpy as np
import sklearn
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import accuracy_score, r2_score
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

ap = argparse.ArgumentParser()
ap.add_argument("--train", required=True)
ap.add_argument("--test", required=True)
ap.add_argument("--target", required=True)
ap.add_argument("--task", choices=["classification", "regression"], required=True)
ap.add_argument("--seeds", default="0")
ap.add_argument("--epochs", default="200", help="comma-separated maximum epochs of the same-settings MLP")
a = ap.parse_args()
warnings.filterwarnings("ignore", category=ConvergenceWarning)  # max_iter reached: expected, both sides stop there


def read(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def is_number(s):
    try:
        float(s)
        return True
    except ValueError:
        return False


header, train_rows = read(a.train)
_, test_rows = read(a.test)
t = header.index(a.target)
features = [c for c in range(len(header)) if c != t]
numeric = [c for c in features if all(r[c] == "" or is_number(r[c]) for r in train_rows)]
categorical = [c for c in features if c not in numeric]


def matrix(rows):
    """Features as an object array: floats (NaN where missing) in numeric columns, strings elsewhere."""
    x = np.empty((len(rows), len(features)), dtype=object)
    for j, c in enumerate(features):
        for i, r in enumerate(rows):
            x[i, j] = (float(r[c]) if r[c] != "" else np.nan) if c in numeric else (r[c] if r[c] != "" else "(missing)")
    return x


def target(rows):
    return np.array([float(r[t]) for r in rows]) if a.task == "regression" else np.array([r[t] for r in rows])


x_train, y_train, x_test, y_test = matrix(train_rows), target(train_rows), matrix(test_rows), target(test_rows)
position = {c: j for j, c in enumerate(features)}
preprocess = ColumnTransformer(
    [
        ("numeric", make_pipeline(FunctionTransformer(lambda v: v.astype(float)), SimpleImputer(strategy="mean"), StandardScaler()), [position[c] for c in numeric]),
        ("categorical", OneHotEncoder(handle_unknown="ignore"), [position[c] for c in categorical]),
    ]
)


def score(model):
    pipe = Pipeline([("preprocess", preprocess), ("model", model)]).fit(x_train, y_train)
    p = pipe.predict(x_test)
    return float(accuracy_score(y_test, p) if a.task == "classification" else r2_score(y_test, p))


def mlp(model):
    """The test metric and the epochs the MLP ran."""
    return {"metric": score(model), "epochs": model.n_iter_}


classification = a.task == "classification"
MLP = MLPClassifier if classification else MLPRegressor
seeds = [int(s) for s in a.seeds.split(",")]
result = {
    "linear": score(LogisticRegression(penalty=None, max_iter=500) if classification else LinearRegression()),
    "mlp": {
        e: [mlp(MLP(hidden_layer_sizes=(100,), activation="relu", solver="adam", alpha=0.0, batch_size="auto", learning_rate_init=0.001, max_iter=int(e), tol=1e-4, n_iter_no_change=10, random_state=s)) for s in seeds]
        for e in a.epochs.split(",")
    },
    "mlpDefault": [mlp(MLP(hidden_layer_sizes=(100,), random_state=s)) for s in seeds],
    "sklearn": sklearn.__version__,
}
print(json.dumps(result))
