"""baimo's capability dimensions: the columns of a model's profile.

At the bottom of the layers because two files name dimensions: a task file (``dimension:``)
and the models file (``dimensions:``, task → dimension). Both are checked against the same
list with the same rule, and the models file is read by ``baimo.config``, which sits below
the tasks.
"""

from __future__ import annotations

import difflib

DIMENSIONS = ("knowledge", "reasoning", "math", "code", "instruction", "chinese", "safety",
              "tools", "long-context", "dialogue", "empathy")


def misspelt_dimension(dimension: str) -> str | None:
    """Why ``dimension`` looks like a misspelt built-in one, or ``None``.

    A dimension of one's own is welcome; one a letter away from a built-in one is a typo that
    would give the profile a column of its own ("knowlege" beside "knowledge").
    """
    if dimension in DIMENSIONS:
        return None
    near = difflib.get_close_matches(dimension.lower(), DIMENSIONS, n=1, cutoff=0.75)
    if not near:
        return None
    return (f"dimension '{dimension}' is close to the built-in '{near[0]}' but not it; write "
            f"'{near[0]}' (built-in: {', '.join(DIMENSIONS)}), or pick a name of your own that "
            "no one will take for it.")
