"""The ``cordon`` command: the root Typer app, its global options, and error handling."""

from __future__ import annotations

import importlib
from difflib import get_close_matches
from typing import Annotated, Any

import typer
import typer.main
from typer import _click as click  # typer's own copy of click, whose classes its groups use
from typer.core import TyperCommand, TyperGroup

from cordon.cli.context import Runtime
from cordon.cli.output import error, errors
from cordon.errors import CordonError, ImportRefused

__all__ = ["app"]

MAX_ROWS_SHOWN = 200


COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("admin", "Create the store, or upgrade its schema to this version of cordon."),
    "audit": ("admin", "The audit log: who wrote what, when, with the record before and after."),
    "import": (
        "records",
        "Import a file of records; one with bad rows is refused whole unless --rejects is given.",
    ),
    "people": ("directory", "Everyone aboard, by id."),
    "places": ("directory", "The facility's places, by id."),
    "person": (
        "directory",
        "One person's story in a few lines, then the timeline: presence, passages, exposures, lab\n"
        "results, orders and follow-up checks.",
    ),
    "cases": (
        "cases",
        "Cases with their clinical and containment state and where the record puts them now.",
    ),
    "backup": (
        "maintenance",
        "Back up the whole store to one file, with a checksum of every table.",
    ),
    "restore": (
        "maintenance",
        "Restore a backup into an empty store, verifying every table's checksum.",
    ),
    "purge": ("maintenance", "Delete presence and passage logs older than the retention period."),
    "demo": (
        "demo",
        "Load the Venus station demo (creating the store); running it again adds nothing.",
    ),
    "missing": (
        "containment",
        "Who should be in quarantine or isolation but is not in their place: last sighting,\n"
        "companions, and any exit passage (which, when, with whom, what credential).",
    ),
    "alerts": (
        "containment",
        "Alerts, the latest event first: held persons at exits, foreign credentials, missing and\n"
        "departed cases, moratorium breaches, orders issued, overrides, emergencies. With --ack,\n"
        "acknowledge those alerts and say so.",
    ),
    "decide": (
        "access",
        "Allow or deny one passage, with the reason; the decision and any alert are recorded.\n"
        "Exit code 0: allowed, 3: denied, 1: an error. A time (--at) further than\n"
        "CORDON_DECISION_SKEW_SECONDS (default 300) from the station clock is refused.",
    ),
    "gatherings": (
        "access",
        "Scheduled gatherings: how many of the visiting crew each needs, and whether an active\n"
        "moratorium suspends it. (Import them with `cordon import gatherings FILE`.)",
    ),
    "contacts": (
        "contacts",
        "Who was with whom: pairs in one place together for at least --min-overlap.",
    ),
    "trace": (
        "contacts",
        "Time-respecting chains from index persons (forward), to cases (backward), or both.",
    ),
    "incidence": (
        "analytics",
        "Daily new cases from the store, zero days included; today is marked incomplete.",
    ),
    "estimate": (
        "analytics",
        "Growth rate, doubling time and Rt (Cori et al. 2013) with 95% intervals.",
    ),
    "forecast": (
        "analytics",
        "Forecast cases, isolated persons and beds under each scenario, with 50%/90% bands.",
    ),
    "serve": (
        "service",
        "Serve the store: the web API and dashboard on --port, door decisions on --doors-port\n"
        "(door controllers are configured with that URL), and a worker for jobs, rules on arrival\n"
        "and the periodic work, all three under supervisord, which restarts any that ends. With a\n"
        "ROLE, that process alone (a deployment across hosts: see deploy/).",
    ),
    "report": ("service", "Write the situation report (figures, charts, lists) as HTML or PDF."),
    "plan": ("plans", "Optimised plans: beds and guards."),
    "order": ("orders", "Issue, lift and list orders (quarantine, isolation, egress hold)."),
    "rules": ("containment", "The containment rules of the active pathogen profile."),
    "emergency": ("access", "Declare and end life-safety emergencies (exits fail open)."),
    "moratorium": ("access", "Suspend a route between groups, and the gatherings it covers."),
    "user": ("service", "User accounts of the service."),
    "token": ("service", "API tokens for machines (door controllers, scripts)."),
    "followup": ("followup", "Daily follow-up of everyone under quarantine or isolation."),
    "task": ("followup", "The teams' tasks: samples, visits, bring-backs, meals."),
    "notifications": (
        "notifications",
        "Notifications and their delivery state (`cordon notifications retry ID`).",
    ),
    "notify": ("notifications", "How notifications reach people."),
    "policy": (
        "policies",
        "Exit policies: deny (or hold and alert) foreign devices, escorts, unknown ids.",
    ),
    "profile": ("profile", "The pathogen profile: routes, periods and rules, versioned."),
    "arrivals": (
        "arrivals",
        "Per vessel: expected, arrived, turned back, still aboard the vessel, departed (from the\n"
        "berth passages).",
    ),
    "manifest": ("arrivals", "Vessel manifests: who a vessel brings, and when."),
}
"""Every command: the module under cordon.cli that defines it, and its help line for the list.

A command's module (and what it needs: the store, the engines, pandas) is imported only when
that command runs or shows its own help, so that ``cordon --help`` and light commands start
fast. ``tests/cli/test_startup.py`` checks this table against the modules."""


def load_commands(module: str) -> dict[str, click.Command]:
    """The click commands that ``cordon.cli.<module>`` registers, built on first use."""
    if module not in _LOADED:
        sub = typer.Typer()
        importlib.import_module(f"cordon.cli.{module}").register(sub)
        _LOADED[module] = dict(typer.main.get_group(sub).commands)
    return _LOADED[module]


_LOADED: dict[str, dict[str, click.Command]] = {}


class CordonGroup(TyperGroup):
    """Loads each command's module on demand, and turns cordon's own errors into one clear line
    on stderr and a non-zero exit."""

    _listing = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        if cmd_name not in COMMANDS:
            return None
        module, help_line = COMMANDS[cmd_name]
        if self._listing:  # the root's help lists the commands without importing them
            return TyperCommand(cmd_name, help=help_line)
        command = load_commands(module)[cmd_name]
        self.commands[cmd_name] = command
        return command

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.exceptions.UsageError as exc:  # suggest among every command, loaded or not
            matches = get_close_matches(args[0], list(COMMANDS)) if args else []
            if matches and "Did you mean" not in exc.message:
                suggestions = ", ".join(f"{m!r}" for m in matches)
                exc.message = f"{exc.message.rstrip('.')}. Did you mean {suggestions}?"
            raise

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
    from cordon.config import Settings, get_settings  # pydantic: not needed for --help

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
