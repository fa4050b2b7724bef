"""``cordon policy``: the facility's exit policies, set, listed, lifted and their history."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from cordon.cli.context import Runtime, runtime
from cordon.cli.orders import JSON, when
from cordon.cli.output import console, emit_json, moment, table
from cordon.domain.exit_policy import ExitPolicy, PolicyAction, PolicyKind
from cordon.domain.vocab import choice
from cordon.services import exit_policies
from cordon.times import format_time

__all__ = ["register"]

policy_app = typer.Typer(
    help="Exit policies: deny (or hold and alert) foreign devices, escorts, unknown ids."
)

KIND_ALIASES = {
    "foreign": "foreign_credential",
    "credential": "foreign_credential",
    "unknown": "unknown_person",
    "stranger": "unknown_person",
    "escorted": "escort",
}


def policy_json(p: ExitPolicy, rt: Runtime) -> dict[str, Any]:
    """A policy version as printed by ``--json``."""
    zone = rt.settings.zone
    return {
        **p.record(),
        "set_at": format_time(p.set_at, zone),
        "closed_at": format_time(p.closed_at, zone) or None,
    }


def _table(title: str, found: list[ExitPolicy], rt: Runtime) -> None:
    zone = rt.settings.zone
    table(
        title,
        ["policy", "action", "status", "groups", "set", "reason"],
        [
            (
                f"{p.name} v{p.version} ({p.id})",
                p.action.value,
                p.status.value,
                " ".join(
                    [
                        *(f"with:{r}" for r in sorted(p.companion_roles)),
                        *(f"with:{a}" for a in sorted(p.companion_affiliations)),
                        *(f"exempt:{r}" for r in sorted(p.exempt_roles)),
                        *(f"at:{x}" for x in sorted(p.places)),
                    ]
                ),
                f"{moment(p.set_at, zone)} {p.set_by}",
                p.close_reason if p.close_reason else p.reason,
            )
            for p in found
        ],
    )


@policy_app.command("set")
def set_(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(help="foreign_credential, escort or unknown_person.")],
    reason: Annotated[str, typer.Option(help="Why (recorded with the version).")],
    action: Annotated[str, typer.Option(help="deny, or hold (deny and call security).")] = "deny",
    name: Annotated[str | None, typer.Option(help="The policy's name (default: the kind).")] = None,
    companion_role: Annotated[
        list[str] | None, typer.Option(help="Escort: companions of this role (repeatable).")
    ] = None,
    companion_affiliation: Annotated[
        list[str] | None, typer.Option(help="Escort: companions of this affiliation.")
    ] = None,
    exempt_role: Annotated[
        list[str] | None,
        typer.Option(help="Roles the policy does not bind (escort default: the companions')."),
    ] = None,
    place: Annotated[
        list[str] | None, typer.Option(help="Only these exits (default: every exit).")
    ] = None,
    at: Annotated[str | None, typer.Option(help="When (default: now).")] = None,
    as_json: JSON = False,
) -> None:
    """Put an exit policy in force at every exit (a new version of an existing one)."""
    rt = runtime(ctx)
    with rt.session() as session:
        policy = exit_policies.set_policy(
            session,
            actor=rt.actor,
            kind=choice(PolicyKind, kind, KIND_ALIASES),
            at=when(rt, at),
            reason=reason,
            name=name,
            action=choice(PolicyAction, action),
            companion_roles=companion_role or (),
            companion_affiliations=companion_affiliation or (),
            exempt_roles=exempt_role,
            places=place or (),
        )
    if as_json:
        emit_json(policy_json(policy, rt))
        return
    console.print(f"{policy.label} in force: {policy.action.value} ({policy.reason})")


@policy_app.command("list")
def list_(
    ctx: typer.Context,
    all_: Annotated[
        bool, typer.Option("--all", help="Every version, not only those in force.")
    ] = False,
    as_json: JSON = False,
) -> None:
    """The exit policies in force (or every version with --all)."""
    rt = runtime(ctx)
    with rt.session() as session:
        found = exit_policies.list_policies(session, actor=rt.actor, active_only=not all_)
    if as_json:
        emit_json([policy_json(p, rt) for p in found])
        return
    _table(f"exit policies ({len(found)})", found, rt)


@policy_app.command("lift")
def lift(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The policy's name (or a version's id).")],
    reason: Annotated[str, typer.Option(help="Why it is lifted (recorded).")],
    at: Annotated[str | None, typer.Option(help="When (default: now).")] = None,
    as_json: JSON = False,
) -> None:
    """End the policy in force at every exit."""
    rt = runtime(ctx)
    with rt.session() as session:
        lifted = exit_policies.lift_policy(
            session, name, actor=rt.actor, at=when(rt, at), reason=reason
        )
    if as_json:
        emit_json(policy_json(lifted, rt))
        return
    console.print(f"{lifted.label} lifted")


@policy_app.command("history")
def history(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The policy's name.")],
    as_json: JSON = False,
) -> None:
    """Every version of one policy: who set it, when and why, and how it ended."""
    rt = runtime(ctx)
    with rt.session() as session:
        found = exit_policies.history(session, name, actor=rt.actor)
    if as_json:
        emit_json([policy_json(p, rt) for p in found])
        return
    _table(f"{name}: {len(found)} version(s)", found, rt)


def register(app: typer.Typer) -> None:
    """Add these commands to the app."""
    app.add_typer(policy_app, name="policy")
