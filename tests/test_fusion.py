"""FusionClassifier: planted signal, attention, missing-sequence masking, persistence."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.metrics import roc_auc_score

from radnb.features.fusion import FusionClassifier


def _planted(rng, n=400, n_seq=3, n_feat=8, signal=1):
    """Outcome driven by a latent that only sequence ``signal`` carries."""
    X = rng.normal(size=(n, n_seq, n_feat))
    latent = rng.normal(size=n)
    y = (latent + 0.5 * rng.normal(size=n) > 0).astype(int)
    X[:, signal, :4] += latent[:, None]
    return X, y


def test_learns_a_signal_carried_by_one_sequence_and_attends_to_it(rng):
    X, y = _planted(rng)
    clf = FusionClassifier(random_state=0).fit(X[:300], y[:300])
    auc = roc_auc_score(y[300:], clf.predict_proba(X[300:])[:, 1])
    assert auc > 0.75
    att = clf.attention(X[300:])
    np.testing.assert_allclose(att.sum(axis=1), 1.0)
    mean = att.mean()
    assert mean.idxmax() == "seq_1" and mean["seq_1"] > 1 / 3 + 0.05
    # without the signal sequence the model has nothing to go on
    X_missing = X[300:].copy()
    X_missing[:, 1] = np.nan
    assert roc_auc_score(y[300:], clf.predict_proba(X_missing)[:, 1]) < auc - 0.15


def test_missing_sequence_is_masked_not_imputed(rng):
    X, y = _planted(rng, n=120)
    clf = FusionClassifier(max_epochs=20, random_state=1).fit(X, y)
    X_new = X[:10].copy()
    X_new[:5, 2] = np.nan  # sequence 2 missing for five patients
    p = clf.predict_proba(X_new)[:, 1]
    assert np.isfinite(p).all()
    att = clf.attention(X_new)
    assert (att.iloc[:5]["seq_2"] == 0).all() and (att.iloc[5:]["seq_2"] > 0).all()
    # whatever value sits in a masked token, the output is the same
    xs, missing, _ = clf._prepare(X_new)
    assert missing[:5, 2].all() and not missing[5:, 2].any()
    outs = []
    for fill in (0.0, 1e3, -7.0):
        xs2 = [a.copy() for a in xs]
        xs2[2][missing[:, 2]] = fill
        with torch.no_grad():
            outs.append(clf.module_([torch.from_numpy(a) for a in xs2], torch.from_numpy(missing)))
    torch.testing.assert_close(outs[0], outs[1])
    torch.testing.assert_close(outs[0], outs[2])
    np.testing.assert_allclose(torch.sigmoid(outs[0]).numpy(), p)
    # ... and zero-imputation would have given a different answer
    unmasked = np.zeros_like(missing)
    with torch.no_grad():
        imputed = clf.module_([torch.from_numpy(a) for a in xs], torch.from_numpy(unmasked))
    assert not torch.allclose(imputed[:5], outs[0][:5])


def test_dict_and_wide_frame_inputs_match_the_array(rng):
    X, y = _planted(rng, n=80, n_feat=4)
    ids = [f"p{i}" for i in range(80)]
    names = ["T1", "T2", "CE"]
    frames = {
        s: pd.DataFrame(X[:, i], index=ids, columns=[f"f{j}" for j in range(4)])
        for i, s in enumerate(names)
    }
    wide = pd.concat({s: f for s, f in frames.items()}, axis=1)
    wide.columns = [f"{s}__{c}" for s, c in wide.columns]
    a = FusionClassifier(max_epochs=15, random_state=0).fit(X, y)
    b = FusionClassifier(max_epochs=15, random_state=0).fit(frames, pd.Series(y, index=ids))
    c = FusionClassifier(max_epochs=15, random_state=0).fit(wide, y)
    pa = a.predict_proba(X)
    np.testing.assert_allclose(b.predict_proba(frames), pa, atol=1e-10)
    np.testing.assert_allclose(c.predict_proba(wide), pa, atol=1e-10)
    assert b.sequences_ == names and list(b.attention(frames).index) == ids
    # a patient absent from one sequence's table is masked for that sequence
    partial = dict(frames, CE=frames["CE"].drop(index=["p3"]))
    assert b.attention(partial).loc["p3", "CE"] == 0
    with pytest.raises(ValueError, match="features"):
        a.predict_proba(X[:, :2])


def test_same_seed_same_model_and_save_load_round_trip(rng, tmp_path):
    X, y = _planted(rng, n=100)
    X[::7, 0] = np.nan
    a = FusionClassifier(max_epochs=25, random_state=3, class_weight="balanced").fit(X, y)
    b = clone(a).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    path = tmp_path / "fusion.pt"
    a.save(path)
    loaded = FusionClassifier.load(path)
    np.testing.assert_array_equal(loaded.predict_proba(X), a.predict_proba(X))
    pd.testing.assert_frame_equal(loaded.attention(X), a.attention(X))
    assert loaded.get_params() == a.get_params()
    raw = torch.load(path, weights_only=True)  # plain tensors and strings only
    assert set(raw) == {"format", "meta", "state_dict"}


def test_unfitted_and_bad_input():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        FusionClassifier().predict_proba(np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match="divide"):
        FusionClassifier(n_heads=3).fit(np.zeros((10, 2, 3)), np.arange(10) % 2)
