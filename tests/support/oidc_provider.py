"""A real OpenID Connect provider for the tests: Node's `oidc-provider` (tests/sso/provider),
started on a free loopback port, and a person's browser at it.

The provider reads its people and groups (and, when a test asks, how to tamper with the ID
token) from a state file on every request, so a test changes them while it runs; rotating
its keys is a restart on the same port with a new key.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from joserfc.jwk import RSAKey

PROVIDER_DIR = Path(__file__).resolve().parent.parent / "sso" / "provider"
CLIENT_ID = "llmadmin"
CLIENT_SECRET = "test-client-secret-for-the-loopback-provider"
PASSWORD = "provider password 1"


def node() -> str | None:
    return shutil.which("node")


def ensure_installed() -> None:
    """`npm ci` the provider once, so a fresh clone needs nothing but Node and npm."""
    if not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        subprocess.run(  # noqa: S603 - a fixed command, npm from the PATH as a developer runs it
            [shutil.which("npm") or "npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=PROVIDER_DIR,
            check=True,
        )


def new_key(kid: str) -> dict[str, Any]:
    key = RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"})
    return key.as_dict(private=True)


def user(name: str, groups: list[str] | None, email: str | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "password": PASSWORD,
        "email": email or f"{name}@example.com",
        "name": name.title(),
    }
    if groups is not None:  # None: the provider sends no groups claim at all
        entry["groups"] = groups
    return entry


class Provider:
    def __init__(self, workdir: Path, *, redirect_base: str) -> None:
        self.dir = workdir
        self.redirect_base = redirect_base.rstrip("/")
        self.keys = [new_key("key-1")]
        self.port = 0
        self.issuer = ""
        self.users: dict[str, dict[str, Any]] = {}
        self.tampering: dict[str, Any] | None = None
        self._process: subprocess.Popen[str] | None = None
        self._generation = 1

    # --- running ---------------------------------------------------------------------------

    def start(self) -> Provider:
        ensure_installed()
        self._write_state()
        config = {
            "port": self.port,
            "state": str(self.dir / "state.json"),
            "keys": self.keys,
            "client": {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "redirect_uris": [f"{self.redirect_base}/sso/callback/"],
                "post_logout_redirect_uris": [f"{self.redirect_base}/accounts/login/"],
                "grant_types": ["authorization_code"],
                "response_types": ["code"],
            },
        }
        (self.dir / "config.json").write_text(json.dumps(config))
        log = (self.dir / "provider.log").open("a")
        self._process = subprocess.Popen(  # noqa: S603 - our own script and config
            [node() or "node", str(PROVIDER_DIR / "server.js"), str(self.dir / "config.json")],
            cwd=PROVIDER_DIR,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        line: list[str] = []
        reader = threading.Thread(target=lambda: line.append(self._process.stdout.readline()))  # type: ignore[union-attr]
        reader.start()
        reader.join(30)
        if not line or not line[0].startswith("listening "):
            self.stop()
            raise RuntimeError(f"the test provider did not start; see {self.dir / 'provider.log'}")
        self.port = int(line[0].split()[1])
        self.issuer = f"http://127.0.0.1:{self.port}"
        return self

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(10)
            self._process = None

    def rotate_keys(self) -> None:
        """Restart on the same port signing with a new key, the old one gone from its JWKS."""
        self._generation += 1
        self.keys = [new_key(f"key-{self._generation}")]
        self.stop()
        self.start()

    # --- what it says ------------------------------------------------------------------------

    def reset(self, users: dict[str, dict[str, Any]]) -> None:
        self.users = dict(users)
        self.tampering = None
        self._write_state()

    def set_groups(self, name: str, groups: list[str] | None, **how: bool) -> None:
        """`how`: groups_in_userinfo_only, or overage (a pointer instead of the groups)."""
        self.users[name] = {**user(name, groups, self.users[name]["email"]), **how}
        self._write_state()

    def remove(self, name: str) -> None:
        del self.users[name]
        self._write_state()

    def tamper(
        self, claims: dict[str, Any] | None = None, *, foreign_key: bool = False, raw: str = ""
    ) -> None:
        """Re-sign the next ID tokens with these claims, or with a key it never published, or
        send `raw` in their place."""
        self.tampering = {"claims": claims or {}, "foreign_key": foreign_key}
        if raw:
            self.tampering["raw"] = raw
        self._write_state()

    def _write_state(self) -> None:
        state = {"users": self.users, "tamper": self.tampering}
        path = self.dir / "state.json"
        path.with_suffix(".tmp").write_text(json.dumps(state))
        path.with_suffix(".tmp").replace(path)


class ProviderBrowser:
    """A person's browser at the provider, for tests that drive llmadmin with Django's test
    client: it follows the provider's redirects, keeps its cookies (its session), and fills
    in its log-in form when shown one."""

    def __init__(self) -> None:
        self.http = requests.Session()
        self.callbacks: list[str] = []  # every redirect back to llmadmin, as sent

    def through(self, client: Any, response: Any, login: str = "", password: str = PASSWORD) -> Any:
        """From llmadmin's `response` (a redirect to the provider) to llmadmin's answer to
        the provider's redirect back (the callback's response)."""
        url = response["Location"]
        for _ in range(20):
            if url.startswith("http://testserver"):
                self.callbacks.append(url)
                parts = urlsplit(url)
                return client.get(f"{parts.path}?{parts.query}" if parts.query else parts.path)
            answer = self.http.get(url, allow_redirects=False, timeout=10)
            if answer.is_redirect:
                url = urljoin(url, answer.headers["Location"])
                continue
            url = self._submit(url, answer, login, password)
        raise AssertionError("the provider kept redirecting")

    def _submit(self, url: str, answer: requests.Response, login: str, password: str) -> str:
        form = re.search(r'<form[^>]* method="post" action="([^"]+)"', answer.text)
        assert form, (
            f"expected a form from the provider, got {answer.status_code}: {answer.text[:300]}"
        )
        action = urljoin(url, form.group(1).replace("&amp;", "&"))
        if "/interaction/" in action:
            assert login, "the provider asks for a log-in and the test gave none"
            data = {"login": login, "password": password}
        else:  # the provider's "sign out?" confirmation
            data = dict(
                re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', answer.text)
            )
            data["logout"] = "yes"
        posted = self.http.post(action, data=data, allow_redirects=False, timeout=10)
        assert posted.is_redirect, (
            f"the provider answered {posted.status_code}: {posted.text[:300]}"
        )
        return urljoin(action, posted.headers["Location"])
