"""`fcnet serve`: start fcnet studio, the local web app, on 127.0.0.1 by default."""

from __future__ import annotations

import errno
import socket

import click

from fcnet.i18n import gettext as _

_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _check_port(host: str, port: int) -> None:
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
    try:
        import uvicorn

        from fcnet.studio import create_app
        from fcnet.studio.app import LOCAL_HOSTS
    except ModuleNotFoundError as exc:
        raise OSError(
            _(
                "fcnet serve needs the studio extra (pip install 'fcnet[studio]'); missing {name}"
            ).format(name=exc.name)
        ) from None
    _check_port(host, port)
    if host not in _LOOPBACK:  # the user asked for it: any Host header is answered
        click.echo(
            _(
                "warning: listening on {host}: anyone who can reach it can train on this machine"
            ).format(host=host),
            err=True,
        )
    shown = f"[{host}]" if ":" in host else host
    click.echo(
        _("fcnet studio: http://{host}:{port}/  (runs from {folder}/; Ctrl-C stops)").format(
            host=shown, port=port, folder=runs_dir
        )
    )
    local = host in _LOOPBACK
    uvicorn.run(
        create_app(runs_dir, hosts=LOCAL_HOSTS if local else None),
        host=host,
        port=port,
        log_level="warning",
        timeout_graceful_shutdown=2,
    )


COMMANDS = [serve]
