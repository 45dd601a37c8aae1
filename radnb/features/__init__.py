"""Feature blocks: radiomic, habitat, deep, fusion, robustness (import the submodule you need).

Feature tables keep the per-patient failures of the run that made them in
``df.attrs["errors"]`` as a list of ``{"patient_id", "sequence", "message"}``
records (plain records, so that pandas can still join and concatenate tables);
:func:`errors_table` turns them into a DataFrame.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ERROR_COLUMNS", "errors_table", "set_errors"]

ERROR_COLUMNS = ("patient_id", "sequence", "message")


def set_errors(df: Any, errors: Any) -> Any:
    """Store an errors table (DataFrame or records) in ``df.attrs["errors"]``; returns df."""
    import pandas as pd

    frame = (
        errors
        if isinstance(errors, pd.DataFrame)
        else pd.DataFrame(list(errors), columns=list(ERROR_COLUMNS))
    )
    df.attrs["errors"] = frame.reindex(columns=list(ERROR_COLUMNS)).to_dict("records")
    return df


def errors_table(df: Any):
    """The per-patient errors of the run that made a feature table, as a DataFrame.

    Examples
    --------
    >>> import pandas as pd
    >>> df = set_errors(pd.DataFrame({"f": [1.0]}), [("p2", "CT", "mask is empty")])
    >>> errors_table(df)["patient_id"].tolist()
    ['p2']
    >>> pd.concat([df, df.rename(columns={"f": "g"})], axis=1).shape  # tables still join
    (1, 2)
    """
    import pandas as pd

    return pd.DataFrame(list(df.attrs.get("errors", [])), columns=list(ERROR_COLUMNS))
