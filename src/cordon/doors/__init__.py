"""The doors process: door and airlock decisions from an in-memory index, on a port of its own
(``cordon serve doors``), so that no page, upload or job delays a door. Door controllers are
configured with its URL; the web process waits on its ``sync`` after each write."""
