from __future__ import annotations

import json
import re

from tests.teams.factories import PASSWORD


def test_log_in_with_a_wrong_password_says_so_and_a_right_one_opens_the_llms(
    client, editor
) -> None:
    page = client.get("/accounts/login/").content.decode()
    assert 'for="id_username"' in page and 'for="id_password"' in page

    wrong = client.post("/accounts/login/", {"username": "erin", "password": "nope"})
    assert wrong.status_code == 200
    assert "enter a correct username and password" in wrong.content.decode()

    right = client.post("/accounts/login/", {"username": "erin", "password": PASSWORD})
    assert right.status_code == 302 and right["Location"] == "/llms/"


def test_log_out_is_a_post_and_ends_the_session(editor_client) -> None:
    assert editor_client.get("/llms/").status_code == 200
    response = editor_client.post("/accounts/logout/")
    assert response.status_code == 302
    assert editor_client.get("/llms/").status_code == 302


def test_every_page_carries_the_csrf_token_for_htmx_and_serves_htmx_itself(editor_client) -> None:
    html = editor_client.get("/llms/new/").content.decode()
    headers = json.loads(re.search(r"hx-headers='([^']+)'", html).group(1))
    assert len(headers["x-csrftoken"]) >= 32
    scripts = re.findall(r'<script[^>]+src="([^"]+)"', html)
    assert scripts and all(src.startswith("/static/") for src in scripts), scripts
