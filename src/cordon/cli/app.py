"""The ``cordon`` command: the root Typer app, its global options, and error handling."""

from __future__ import annotations

import importlib
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from cordon.cli.context import Runtime
from cordon.cli.output import error, errors
from cordon.config import Settings, get_settings
from cordon.errors import CordonError, ImportRefused

__all__ = ["app"]

MAX_ROWS_SHOWN = 200


class CordonGroup(TyperGroup):
    """Turns cordon's own errors into one clear line on stderr and a non-zero exit."""

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except ImportRefused as exc:
            error(str(exc))
            for row_error in exc.errors[:MAX_ROWS_SHOWN]:
                errors.print(f"  {row_error}", markup=False, soft_wrap=True)
            if len(exc.errors) > MAX_ROWS_SHOWN:
                errors.print(
                    f"  ... and {len(exc.errors) - MAX_ROWS_SHOWN} more (--rejects FILE lists all)"
                )
            raise typer.Exit(1) from None
        except CordonError as exc:
            error(str(exc))
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            error("interrupted: the store is as it was before this command")
            raise typer.Exit(130) from None


app = typer.Typer(
    cls=CordonGroup,
    name="cordon",
    help="Outbreak containment for closed facilities.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db", help="Store URL (default: CORDON_DATABASE_URL or sqlite:///./cordon.db)."
        ),
    ] = None,
    tz: Annotated[
        str | None,
        typer.Option("--tz", help="Station time zone (default: CORDON_TIMEZONE or UTC)."),
    ] = None,
    clock: Annotated[
        str | None,
        typer.Option(
            "--clock",
            help="What 'now' means, for replaying recorded days (default: CORDON_CLOCK or the "
            "wall clock).",
        ),
    ] = None,
) -> None:
    """Outbreak containment for closed facilities: records, contacts, tracing, forecasts, orders."""
    base = get_settings()
    overrides: dict[str, str] = {}
    if db:
        overrides["database_url"] = db
    if tz:
        overrides["timezone"] = tz
    if clock:
        overrides["clock"] = clock
    try:
        settings = Settings(**{**base.model_dump(), **overrides}) if overrides else base
    except ValueError as exc:
        raise typer.BadParameter(str(exc).splitlines()[-1]) from None
    ctx.obj = Runtime(settings)


COMMAND_MODULES = (
    "admin",
    "records",
    "directory",
    "cases",
    "maintenance",
    "demo",
    "plans",
    "orders",
    "containment",
    "followup",
    "access",
    "contacts",
    "analytics",
    "service",
    "policies",
    "profile",
    "arrivals",
)


def register() -> None:
    """Attach every command module to the app (imported here to keep start-up in one place)."""
    for name in COMMAND_MODULES:
        importlib.import_module(f"cordon.cli.{name}").register(app)


register()
