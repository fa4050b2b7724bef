"""``cordon notifications`` (delivery state, retrying a failed one) and ``cordon notify channel``
(how each recipient is reached)."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from cordon.cli.context import runtime
from cordon.cli.orders import JSON
from cordon.cli.output import console, emit_json, moment, table
from cordon.errors import InvalidValue
from cordon.services import notify
from cordon.services.notify import ChannelInfo, NotificationView
from cordon.times import format_time

__all__ = ["register"]

notifications_app = typer.Typer(
    help="Notifications and their delivery state (`cordon notifications retry ID`)."
)
notify_app = typer.Typer(help="How notifications reach people.", no_args_is_help=True)
channel_app = typer.Typer(help="Contact channels: e-mail, signed webhook, dashboard feed.",
                          no_args_is_help=True)  # fmt: skip


def _json(v: NotificationView, zone: Any) -> dict[str, Any]:
    return {
        "id": v.id, "event": v.event, "ref": v.ref, "recipient": v.recipient,
        "channel": v.channel, "address": v.address, "subject": v.subject, "body": v.body,
        "status": v.status, "attempts": v.attempts,
        "next_attempt_at": format_time(v.next_attempt_at, zone) if v.status == "pending" else None,
        "last_error": v.last_error, "created_at": format_time(v.created_at, zone),
        "sent_at": format_time(v.sent_at, zone) if v.sent_at else None,
    }  # fmt: skip


@notifications_app.callback(invoke_without_command=True)
def notifications(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(help="pending, sent, failed or no_channel.")] = None,
    recipient: Annotated[
        str | None, typer.Option(help="Only to this recipient (e.g. person:w3, role:medical).")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    as_json: JSON = False,
) -> None:
    """Notifications, newest first, with their delivery state: who, how, sent or why not."""
    if ctx.invoked_subcommand is not None:
        return
    rt = runtime(ctx)
    with rt.session() as session:
        found, total = notify.list_notifications(
            session, actor=rt.actor, status=status, recipient=recipient, limit=limit
        )
    zone = rt.settings.zone
    if as_json:
        emit_json([_json(v, zone) for v in found])
        return
    table(
        f"notifications ({len(found)} of {total})",
        ["id", "created", "event", "to", "by", "status", "tries", "subject / error"],
        [
            (
                v.id, moment(v.created_at, zone), v.event, v.recipient,
                v.channel if v.channel != "email" else f"email {v.address}", v.status,
                v.attempts, v.last_error if v.status != "sent" and v.last_error else v.subject,
            )
            for v in found
        ],
    )  # fmt: skip


@notifications_app.command("retry")
def retry(
    ctx: typer.Context,
    notification_id: Annotated[int, typer.Argument(help="The failed notification's id.")],
) -> None:
    """Put a failed notification back in the queue (the worker sends it within a minute)."""
    rt = runtime(ctx)
    with rt.session() as session:
        notify.retry(session, notification_id, actor=rt.actor, now=notify.wall_clock())
    console.print(f"notification {notification_id} queued again")


def _channel_json(c: ChannelInfo) -> dict[str, Any]:
    return {
        "id": c.id, "recipient": c.recipient, "channel": c.channel, "address": c.address,
        "has_secret": c.has_secret, "active": c.active, "created_by": c.created_by,
    }  # fmt: skip


@channel_app.command("add")
def channel_add(
    ctx: typer.Context,
    recipient: Annotated[str, typer.Argument(help="person:ID, user:NAME, role:ROLE or team:TEAM.")],
    email: Annotated[str | None, typer.Option("--email", help="An e-mail address.")] = None,
    webhook: Annotated[str | None, typer.Option("--webhook", help="A webhook URL.")] = None,
    secret: Annotated[
        str | None,
        typer.Option(
            "--secret", help="The webhook's HMAC secret (default: one is made and shown once)."
        ),
    ] = None,
    secret_stdin: Annotated[
        bool, typer.Option("--secret-stdin", help="Read the webhook secret from standard input.")
    ] = False,
    feed: Annotated[bool, typer.Option("--feed", help="The dashboard's feed.")] = False,
    as_json: JSON = False,
) -> None:
    """Give a recipient a channel: --email ADDR, --webhook URL [--secret S], or --feed."""
    chosen = [name for name, given in (("email", email), ("webhook", webhook), ("feed", feed))
              if given]  # fmt: skip
    if len(chosen) != 1:
        raise InvalidValue("give exactly one of --email ADDR, --webhook URL or --feed")
    if (secret is not None or secret_stdin) and chosen[0] != "webhook":
        raise InvalidValue("--secret goes with --webhook only")
    if secret_stdin:
        secret = sys.stdin.readline().rstrip("\n")
    rt = runtime(ctx)
    with rt.session() as session:
        info, made = notify.add_channel(
            session, actor=rt.actor, recipient=recipient, channel=chosen[0],
            address=email or webhook, secret=secret, now=rt.now(),
        )  # fmt: skip
    if as_json:
        emit_json({**_channel_json(info), "secret": made})
        return
    console.print(f"channel {info.id}: {info.recipient} by {info.channel} {info.address}",
                  markup=False)  # fmt: skip
    if made:
        console.print(f"webhook secret (shown only now): {made}", markup=False)


@channel_app.command("list")
def channel_list(
    ctx: typer.Context,
    recipient: Annotated[str | None, typer.Option(help="Only this recipient's.")] = None,
    as_json: JSON = False,
) -> None:
    """Every contact channel (webhook secrets are never shown)."""
    rt = runtime(ctx)
    with rt.session() as session:
        found, _total = notify.list_channels(
            session, actor=rt.actor, recipient=recipient, limit=10_000
        )
    if as_json:
        emit_json([_channel_json(c) for c in found])
        return
    table(
        f"contact channels ({len(found)})",
        ["id", "recipient", "channel", "address", "secret"],
        [(c.id, c.recipient, c.channel, c.address, "yes" if c.has_secret else "")
         for c in found],
    )  # fmt: skip


@channel_app.command("remove")
def channel_remove(
    ctx: typer.Context, channel_id: Annotated[int, typer.Argument(help="The channel's id.")]
) -> None:
    """Remove a channel; messages still waiting for it fail with that reason."""
    rt = runtime(ctx)
    with rt.session() as session:
        info = notify.remove_channel(session, channel_id, actor=rt.actor)
    console.print(f"channel {info.id} ({info.recipient} by {info.channel}) removed")


def register(app: typer.Typer) -> None:
    """Add these commands to the app."""
    app.add_typer(notifications_app, name="notifications")
    notify_app.add_typer(channel_app, name="channel")
    app.add_typer(notify_app, name="notify")
