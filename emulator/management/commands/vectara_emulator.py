"""`manage.py vectara_emulator`: serve the Vectara /v2/llms emulator until Ctrl-C or SIGTERM."""

from __future__ import annotations

import ipaddress
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from emulator import EmulatorServer, EmulatorStoreError, make_server

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765  # where `make run` points VECTARA_API_URL (bin/dev-server)


class _Stop(Exception):
    """Raised by the SIGTERM handler to leave serve_forever() in the main thread."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise _Stop


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Command(BaseCommand):
    help = "Run a local emulator of Vectara's /v2/llms API (state kept in a JSON file)."
    # The emulator uses none of the dashboard's models or URLs; it should start even while
    # the dashboard itself fails its checks.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 picks a free port.")
        parser.add_argument(
            "--host",
            default=DEFAULT_HOST,
            help="Address to bind; anything but loopback exposes the emulator to the network.",
        )
        parser.add_argument(
            "--store",
            type=Path,
            default=None,
            help="JSON file holding the LLMs (default: <BASE_DIR>/var/vectara-emulator.json).",
        )
        parser.add_argument(
            "--api-key",
            default=None,
            help="Required x-api-key (default: the VECTARA_API_KEY setting; empty: none).",
        )
        parser.add_argument(
            "--create-delay",
            type=float,
            default=0.0,
            metavar="SECONDS",
            help="Wait this long before answering each valid create, as Vectara does while it "
            "tests the model (default 0: answer at once).",
        )
        parser.add_argument(
            "--verbose", action="store_true", help="Log one 'METHOD /path STATUS' line per request."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        host: str = options["host"]
        store: Path = options["store"] or Path(settings.BASE_DIR) / "var" / "vectara-emulator.json"
        api_key = options["api_key"]
        if api_key is None:
            api_key = getattr(settings, "VECTARA_API_KEY", "")
        if not 0 <= options["create_delay"] <= 600:
            raise CommandError("--create-delay must be from 0 to 600 seconds.")
        if not _is_loopback(host):
            # Only reachable through an explicit --host: the default never leaves the machine.
            self.stderr.write(f"Warning: {host} is not loopback; other machines can reach this.")
        store.parent.mkdir(parents=True, exist_ok=True)
        try:
            server = make_server(
                host,
                options["port"],
                store_path=store,
                api_key=api_key or None,
                verbose=options["verbose"],
                create_delay=options["create_delay"],
            )
        except EmulatorStoreError as exc:
            raise CommandError(str(exc)) from None
        except OSError as exc:
            raise CommandError(
                f"Can't listen on {host}:{options['port']}: {exc.strerror}"
            ) from None

        bound_host, port = server.server_address[:2]
        assert isinstance(bound_host, str)  # an AF_INET(6) socket's address, never a Unix path
        shown_host = f"[{bound_host}]" if ":" in bound_host else bound_host
        self.stdout.write(
            f"Vectara emulator listening on http://{shown_host}:{port} (store: {store})"
        )
        self.stdout.flush()  # a parent process reads this line through a pipe to find the port
        self._serve(server)

    def _serve(self, server: EmulatorServer) -> None:
        # Signal handlers can only be installed from the main thread (call_command elsewhere).
        in_main = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGTERM, _on_sigterm) if in_main else None
        try:
            server.serve_forever()
        except (KeyboardInterrupt, _Stop):
            pass  # both mean "stop": exit 0 after closing the socket
        finally:
            server.server_close()
            if in_main:
                signal.signal(signal.SIGTERM, previous)
