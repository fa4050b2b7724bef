"""The service behind the doors' front: ``python -m cordon.api.backend SOCKET``, run by the
front (nothing imports this module).

The whole app (``create_app``) on a private Unix socket, at a lower priority than the front
(``front.BACKEND_NICENESS``), ending with the front even when it is killed outright (an open
transaction then rolls back instead of committing later).
"""

from __future__ import annotations

import os
import sys

from cordon.api import worker

__all__ = ["main"]


def main(argv: list[str]) -> None:
    """Serve the app on the socket named in ``argv`` until the front stops or is gone."""
    import uvicorn

    (socket,) = argv
    worker.follow(os.getppid())
    uvicorn.run(
        "cordon.api:app_from_environment",
        factory=True,
        uds=socket,
        proxy_headers=True,
        forwarded_allow_ips="*",  # only the front can reach the socket (mode 0600 folder)
        log_level=os.environ.get("CORDON_BACKEND_LOG_LEVEL", "warning"),
        access_log=False,
    )


if __name__ == "__main__":
    main(sys.argv[1:])
