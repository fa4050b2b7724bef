"""The command line: ``cordon`` (Typer + Rich), a thin layer over the services."""

from cordon.cli.app import app

__all__ = ["app", "main"]


def main() -> None:
    """Entry point of the ``cordon`` script."""
    app()
