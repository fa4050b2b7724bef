"""The continuous runtime shared by the service's processes: the job queue (huey), the jobs kept
in the store, and the tasks they run. The processes themselves are ``cordon.doors`` (door
decisions), ``cordon.api`` (web) and ``cordon.worker`` (jobs and periodic work), started
together by ``cordon.serve``."""
