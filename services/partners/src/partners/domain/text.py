"""Comparing names the way people do: without case, accents or extra spaces."""

from __future__ import annotations

import unicodedata


def name_key(name: str) -> str:
    """`Université  Paris-Saclay` and `universite paris-saclay` give the same key.

    NFKD splits accented letters into a base letter and combining marks,
    which are dropped; casefold handles ß and the like; runs of white space
    become one space. Scripts without case or accents (Chinese, Japanese)
    are compared as written.
    """
    decomposed = unicodedata.normalize("NFKD", name)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(unicodedata.normalize("NFKC", stripped).casefold().split())
