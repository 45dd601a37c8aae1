"""The six Shrout & Fleiss ICCs with CIs against R psych 2.2.9 on data made here.

SIMULATED ratings (15 subjects x 3 raters, drawn once with numpy and written
below; the same rows as ``icc.csv`` with header r1,r2,r3). Reference:

    library(psych)                                   # psych 2.2.9
    x <- read.csv("icc.csv")
    r <- ICC(x, lmer = FALSE)$results                # ICC, F, df1, df2, p, lower, upper
    r2 <- ICC(x[, 1:2], lmer = FALSE, alpha = 0.1)$results   # two raters, 90% CI

printed with ``sprintf("%.15g")``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from radnb.features.robustness import icc, icc_forms, icc_matrix

X = np.array(
    [[10.75, 6.55, 8.87], [9.08, 9.22, 8.19], [14.18, 16.25, 14.36], [13.76, 10.58, 11.47],
     [4.01, 6.81, 2.03], [9.57, 11.04, 7.7], [9.31, 9.14, 8.84], [11.6, 10.07, 8.99],
     [4.93, 6.87, 5.7], [9.87, 10.8, 9.27], [10.01, 11.22, 10.05], [17.2, 14.92, 13.88],
     [11.5, 10.61, 10.01], [11.55, 13.26, 9.45], [7.17, 5.9, 5.22]]
)  # fmt: skip

# kind: ICC, F, df1, df2, p, lower, upper
R3 = {
    "ICC(1,1)": [0.81385862020488, 14.1167817886705, 14, 30, 1.54745440064614e-09,
                 0.62679861751801, 0.926058046182394],
    "ICC(2,1)": [0.816708072127266, 18.8362166662547, 14, 28, 1.24466997695712e-10,
                 0.593540196475413, 0.930536079364057],
    "ICC(3,1)": [0.856019926839279, 18.8362166662547, 14, 28, 1.24466997695712e-10,
                 0.697982852156306, 0.944211493534507],
    "ICC(1,k)": [0.929162325027751, 14.1167817886705, 14, 30, 1.54745440064614e-09,
                 0.834397479425367, 0.974074704036224],
    "ICC(2,k)": [0.930397659225781, 18.8362166662547, 14, 28, 1.24466997695712e-10,
                 0.814154155085178, 0.975721017582855],
    "ICC(3,k)": [0.946910782684322, 18.8362166662547, 14, 28, 1.24466997695712e-10,
                 0.873947633181861, 0.980685478991391],
}  # fmt: skip
# two raters, alpha = 0.1: ICC, lower, upper
R2 = {
    "ICC(1,1)": [0.800895094948453, 0.577243586733334, 0.914081059961083],
    "ICC(2,1)": [0.799505893721312, 0.562938159239452, 0.914483442493756],
    "ICC(3,1)": [0.788502759461367, 0.54594152035841, 0.909104745557685],
    "ICC(1,k)": [0.889441142013191, 0.731965045334407, 0.955112172709831],
    "ICC(2,k)": [0.888583801265538, 0.720358839422522, 0.95533178527005],
    "ICC(3,k)": [0.88174620395759, 0.706290002783339, 0.952388545126285],
}


def test_six_iccs_match_psych():
    tab = icc_forms(X)
    assert tab.index.tolist() == list(R3)
    ref = pd.DataFrame(R3, index=["icc", "F", "df1", "df2", "pvalue", "lower", "upper"]).T
    for col in ref.columns:
        np.testing.assert_allclose(tab[col], ref[col], rtol=1e-9, err_msg=col)


@pytest.mark.parametrize("kind", list(R2))
def test_two_raters_90_percent(kind):
    r = icc_matrix(X[:, :2], kind=kind, level=0.9).iloc[0]
    np.testing.assert_allclose([r["icc"], r["lower"], r["upper"]], R2[kind], rtol=1e-9)


def test_average_kinds_through_icc_and_aliases():
    a = pd.DataFrame({"f": X[:, 0]}, index=[f"p{i}" for i in range(15)])
    b = pd.DataFrame({"f": X[:, 1]}, index=a.index)
    c = pd.DataFrame({"f": X[:, 2]}, index=a.index)
    for alias in ("ICC(3,k)", "ICC(C,k)", "ICC3k"):
        assert icc(a, b, c, kind=alias)["icc"].iloc[0] == pytest.approx(R3["ICC(3,k)"][0], 1e-12)
    assert icc(a, b, c, kind="ICC(A,k)")["icc"].iloc[0] == pytest.approx(R3["ICC(2,k)"][0], 1e-12)
    with pytest.raises(ValueError, match=r"ICC\(1,k\)"):
        icc(a, b, kind="ICC(4,1)")
    # identical tables: every form is 1
    np.testing.assert_allclose(icc_forms(np.c_[X[:, 0], X[:, 0]])["icc"], 1.0, rtol=1e-12)
