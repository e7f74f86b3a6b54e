"""`fcnet serve`: start fcnet studio, the local web app, on 127.0.0.1 by default."""

from __future__ import annotations

import errno
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import click

from fcnet.i18n import gettext as _

_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def check_port(host: str, port: int) -> None:
    """OSError naming host and port when the address cannot be bound (in use, or no such host)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise OSError(
            _("--host: cannot resolve {host!r}: {error}").format(host=host, error=exc.strerror)
        ) from None
    family, _type, _proto, _name, addr = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(addr)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise OSError(
                    _("--port: {host}:{port} is in use; try --port {next}").format(
                        host=host, port=port, next=port + 1
                    )
                ) from None
            raise OSError(
                _("--host/--port: cannot listen on {host}:{port}: {error}").format(
                    host=host, port=port, error=exc.strerror
                )
            ) from None


def studio_modules(what: str) -> tuple[Any, Any, tuple[str, ...]]:
    """(uvicorn, create_app, LOCAL_HOSTS), or an OSError saying that `what` needs the
    studio extra."""
    try:
        import uvicorn

        from fcnet.studio import create_app
        from fcnet.studio.app import LOCAL_HOSTS
    except ModuleNotFoundError as exc:
        raise OSError(
            _("{what} needs the studio extra (pip install 'fcnet[studio]'); missing {name}").format(
                what=what, name=exc.name
            )
        ) from None
    return uvicorn, create_app, LOCAL_HOSTS


def start_studio(
    host: str,
    port: int,
    runs_dir: str,
    banner: Callable[[str], str],
    *,
    what: str = "fcnet serve",
    path: str = "/",
    exercise_root: str | None = None,
    browser: bool = False,
) -> None:
    """Serve fcnet studio until Ctrl-C: the port checked first, `banner(url)` printed (url:
    the studio's address followed by `path`), the browser opened at that address
    once the server listens when `browser`; `exercise_root` is where the pages' exercise
    files are looked for (`fcnet.studio.exercise_files`)."""
    uvicorn, create_app, local_hosts = studio_modules(what)
    check_port(host, port)
    if host not in _LOOPBACK:  # the user asked for it: any Host header is answered
        click.echo(
            _(
                "warning: listening on {host}: anyone who can reach it can train on this machine"
            ).format(host=host),
            err=True,
        )
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}{path}"
    click.echo(banner(url))
    app = create_app(runs_dir, hosts=local_hosts if host in _LOOPBACK else None)
    if exercise_root is not None:
        app.state.exercise_root = exercise_root
    config = uvicorn.Config(
        app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=2
    )
    server = uvicorn.Server(config)
    if browser:
        threading.Thread(target=_open_when_started, args=(server, url), daemon=True).start()
    server.run()


def _open_when_started(server: Any, url: str, wait: float = 30.0) -> None:
    """Open `url` in the user's browser once `server` listens (not at all after `wait` s)."""
    import webbrowser

    deadline = time.monotonic() + wait
    while not server.started:
        if time.monotonic() > deadline or server.should_exit:
            return
        time.sleep(0.05)
    webbrowser.open(url)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--runs",
    "runs_dir",
    default="runs",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Folder of the runs the Runs and Digits pages show.",
)
def serve(host: str, port: int, runs_dir: str) -> None:
    """Start fcnet studio: Fit, Digits and Runs pages in the browser, live training."""
    start_studio(
        host,
        port,
        runs_dir,
        lambda url: _("fcnet studio: {url}  (runs from {folder}/; Ctrl-C stops)").format(
            url=url, folder=runs_dir
        ),
    )


COMMANDS = [serve]
