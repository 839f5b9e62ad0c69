"""Figure 6: queries per page for /llms/ and /audit/, at a few rows and at many: equal.

Counted in this process with Django's test client against the same database the server
uses (the server runs with DEBUG off and doesn't count), after one warm-up request.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from .support import Result

PAGES = {"/llms/": "editor", "/audit/": "auditor"}


def count(path: str, username: str) -> int:
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=username))
    assert client.get(path).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def result(path: str, small: tuple[int, int], large: tuple[int, int]) -> Result:
    (few_rows, few), (many_rows, many) = small, large
    return Result(
        "6",
        f"{path} queries at {many_rows:,} rows ÷ at {few_rows:,}",
        many / few,
        "== 1",
        f"{few} queries at {few_rows:,} rows, {many} at {many_rows:,}",
    )
