"""Exit policies: set (a new version superseding the one in force), lift, list and history.

Every write is audited and moves the ``holds`` topic of the change signal (a trigger on the
table), so every door applies it at its next decision."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from cordon.domain.exit_policy import ExitPolicy, PolicyAction, PolicyKind, PolicyStatus
from cordon.domain.people import ROLE_ALIASES
from cordon.domain.roles import Actor, Permission, require
from cordon.domain.vocab import normalise_word, require_text
from cordon.errors import InvalidValue
from cordon.services.transaction import unit_of_work
from cordon.store import exit_policies as store

__all__ = ["history", "lift_policy", "list_policies", "role_words", "set_policy"]

_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_")


def role_words(words: Iterable[str]) -> frozenset[str]:
    """Role names as the directory writes them (``crew`` -> ``visiting_crew``)."""
    return frozenset(ROLE_ALIASES.get(normalise_word(w), normalise_word(w)) for w in words if w)


def set_policy(
    session: Session,
    *,
    actor: Actor,
    kind: PolicyKind,
    at: int,
    reason: str,
    name: str | None = None,
    action: PolicyAction = PolicyAction.DENY,
    companion_roles: Iterable[str] = (),
    companion_affiliations: Iterable[str] = (),
    exempt_roles: Iterable[str] | None = None,
    places: Iterable[str] = (),
) -> ExitPolicy:
    """Put a policy in force at every exit (or at ``places``): a new version of ``name``
    (default: the kind's name) that supersedes the version in force."""
    require(actor, Permission.SET_EXIT_POLICY)
    reason = require_text(reason, "an exit policy's reason")
    name = (name or kind.value.replace("_", "-")).strip().lower()
    if not name or len(name) > 64 or not set(name) <= _NAME_CHARS:
        raise InvalidValue(f"a policy name is 1-64 letters, digits, '-' or '_' (got {name!r})")
    roles = role_words(companion_roles)
    affiliations = frozenset(a.strip() for a in companion_affiliations if a.strip())
    if kind is PolicyKind.ESCORT and not (roles or affiliations):
        raise InvalidValue(
            "an escort policy names the companions' group (give --companion-role or "
            "--companion-affiliation, e.g. --companion-role visiting_crew)"
        )
    if kind is not PolicyKind.ESCORT and (roles or affiliations):
        raise InvalidValue(f"a {kind.value} policy has no companion group (only escort has)")
    # By default the escorts themselves are not bound by their own escort policy.
    exempt = role_words(exempt_roles) if exempt_roles is not None else roles
    with unit_of_work(session):
        current = store.list_policies(session, active_only=True, name=name)
        if current and current[-1].kind is not kind:
            raise InvalidValue(
                f"policy {name!r} is a {current[-1].kind.value} policy; lift it or choose "
                "another --name"
            )
        for old in current:
            assert old.id is not None
            store.close(
                session,
                old.id,
                PolicyStatus.SUPERSEDED,
                at=at,
                actor=actor.name,
                reason=f"superseded: {reason}",
            )
        return store.add_version(
            session,
            ExitPolicy(
                id=None,
                name=name,
                version=store.next_version(session, name),
                kind=kind,
                action=action,
                reason=reason,
                set_by=actor.name,
                set_at=at,
                companion_roles=roles,
                companion_affiliations=affiliations,
                exempt_roles=exempt,
                places=frozenset(p.strip() for p in places if p.strip()),
            ),
            actor=actor.name,
        )


def lift_policy(session: Session, name: str, *, actor: Actor, at: int, reason: str) -> ExitPolicy:
    """End the version of ``name`` in force (by name, or by a version's id)."""
    require(actor, Permission.SET_EXIT_POLICY)
    reason = require_text(reason, "the reason for lifting a policy")
    with unit_of_work(session):
        if name.isdigit():
            found = [store.get_policy(session, int(name))]
            found = [p for p in found if p.status is PolicyStatus.ACTIVE]
        else:
            found = store.list_policies(session, active_only=True, name=name.strip().lower())
        if not found:
            raise InvalidValue(f"no exit policy {name!r} is in force (see `cordon policy list`)")
        policy = found[-1]
        assert policy.id is not None
        return store.close(
            session, policy.id, PolicyStatus.LIFTED, at=at, actor=actor.name, reason=reason
        )


def list_policies(session: Session, *, actor: Actor, active_only: bool = True) -> list[ExitPolicy]:
    """The policies in force (or every version), for anyone who may read orders."""
    require(actor, Permission.READ_ORDERS)
    return store.list_policies(session, active_only=active_only)


def history(session: Session, name: str, *, actor: Actor) -> list[ExitPolicy]:
    """Every version of one policy, oldest first, with who set and closed each and why."""
    require(actor, Permission.READ_ORDERS)
    found = store.list_policies(session, name=name.strip().lower())
    if not found:
        raise InvalidValue(f"no exit policy named {name!r} (see `cordon policy list --all`)")
    return found
