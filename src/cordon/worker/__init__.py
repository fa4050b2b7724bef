"""The worker process: runs the queued jobs (imports, forecasts), applies the rules as soon as
evidence arrives, and does the periodic work every minute (expiry, missing check, moratorium
ends, recovery of jobs whose worker died). ``cordon serve worker`` runs it."""
