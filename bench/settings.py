"""The app's own settings, plus what only the benchmark needs: Django admin (figure 2 compares
the audit list with a default changelist of the same table), the bare and signed-in floor
views (bench/urls.py), and a static DNS answer for the create form's URI check."""

from __future__ import annotations

from llmadmin.core import environment
from llmadmin.settings import *  # noqa: F403
from llmadmin.settings import DATABASES, INSTALLED_APPS, env

INSTALLED_APPS = [*INSTALLED_APPS, "django.contrib.admin"]
# Figure 8 syncs in a database of its own; the benchmark's process reads its runs through
# this alias (bench/sync_job.py). Only that process is given the variable.
if env.str("BENCH_SYNC_DATABASE_URL", default=""):
    DATABASES = {
        **DATABASES,
        "sync": environment.database(env, "BENCH_SYNC_DATABASE_URL", default=""),
    }
ROOT_URLCONF = "bench.urls"
# The benchmark talks to the loopback only: the URI check gets its answer from this table
# instead of asking the network's resolver.
LLMADMIN_DNS_RESOLVER = "bench.settings.resolve"
DNS = {"api.openai.com": ["162.159.140.245"]}


def resolve(host: str) -> list[str]:
    from llmadmin.llms.uri_policy import UnresolvableHost

    try:
        return DNS[host.lower().rstrip(".")]
    except KeyError:
        raise UnresolvableHost(host) from None
