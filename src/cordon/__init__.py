"""cordon: outbreak containment for closed facilities.

The public API is what ``__all__`` lists; everything else is private to the package and may change.
"""

import importlib as _importlib
import typing as _typing

if _typing.TYPE_CHECKING:  # the names below are imported on first use: `cordon --help` stays light
    from cordon.config import Settings, get_settings
    from cordon.domain import (
        Alert,
        AlertKind,
        Case,
        Clinical,
        Containment,
        Credential,
        Direction,
        Exposure,
        ExposureSource,
        Gathering,
        LabOutcome,
        LabResult,
        Order,
        OrderKind,
        OrderStatus,
        Passage,
        PathogenProfile,
        Person,
        Place,
        PlaceKind,
        Presence,
        Role,
        Route,
        Scope,
    )
    from cordon.errors import (
        ConfigError,
        CordonError,
        EngineError,
        ImportRefused,
        InvalidValue,
        NotFound,
        PermissionDenied,
        RowError,
        StoreError,
        StoreNotReady,
        StoreUnavailable,
        TransitionError,
    )
    from cordon.store.db import Store

__version__ = "0.1.0"

__all__ = [
    "Alert",
    "AlertKind",
    "Case",
    "Clinical",
    "ConfigError",
    "Containment",
    "CordonError",
    "Credential",
    "Direction",
    "EngineError",
    "Exposure",
    "ExposureSource",
    "Gathering",
    "ImportRefused",
    "InvalidValue",
    "LabOutcome",
    "LabResult",
    "NotFound",
    "Order",
    "OrderKind",
    "OrderStatus",
    "Passage",
    "PathogenProfile",
    "PermissionDenied",
    "Person",
    "Place",
    "PlaceKind",
    "Presence",
    "Role",
    "Route",
    "RowError",
    "Scope",
    "Settings",
    "Store",
    "StoreError",
    "StoreNotReady",
    "StoreUnavailable",
    "TransitionError",
    "__version__",
    "get_settings",
]


_HOMES = {
    "Settings": "cordon.config",
    "get_settings": "cordon.config",
    "Store": "cordon.store.db",
    **dict.fromkeys(
        [
            "ConfigError",
            "CordonError",
            "EngineError",
            "ImportRefused",
            "InvalidValue",
            "NotFound",
            "PermissionDenied",
            "RowError",
            "StoreError",
            "StoreNotReady",
            "StoreUnavailable",
            "TransitionError",
        ],
        "cordon.errors",
    ),
}


def __getattr__(name: str) -> object:
    """The public names, imported from their modules on first use (PEP 562)."""
    if name in __all__ and name != "__version__":
        value = getattr(_importlib.import_module(_HOMES.get(name, "cordon.domain")), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'cordon' has no attribute {name!r}")
