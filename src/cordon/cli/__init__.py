"""The command line: ``cordon`` (Typer + Rich), a thin layer over the services."""

from cordon.cli.app import app

__all__ = ["app", "main"]


def main() -> None:
    """Entry point of the ``cordon`` script (log records scrubbed, as in the service)."""
    from cordon import logs

    logs.install()
    app()
