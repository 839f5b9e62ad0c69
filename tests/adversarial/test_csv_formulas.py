"""Issue 14, class 10: a full-width equals sign (U+FF1D) opened a CSV cell unescaped. Every
character that a spreadsheet reads as a formula sign, in any compatibility form and after
any leading space, is exported as text. The signs come from Unicode's own tables."""

from __future__ import annotations

import sys
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from llmadmin.audit.export import neutralised

# Every code point whose compatibility form is a formula sign: "=", U+FF1D, U+FE66, U+207C…
SIGNS = sorted(
    chr(i)
    for i in range(sys.maxunicode + 1)
    if unicodedata.normalize("NFKC", chr(i)) in ("=", "+", "-", "@")
)
SPACES = st.text(st.sampled_from(" \u3000\u00a0\u2003\n"), max_size=3)


def test_every_compatibility_form_of_a_sign_is_known() -> None:
    assert {"=", "\uff1d", "\ufe66", "+", "\uff0b", "-", "\uff0d", "@", "\uff20"} <= set(SIGNS)


@given(space=SPACES, sign=st.sampled_from(SIGNS), rest=st.text(max_size=20))
def test_a_cell_that_a_spreadsheet_would_run_is_made_text(space, sign, rest) -> None:
    cell = space + sign + rest
    assert neutralised(cell) == "'" + cell
