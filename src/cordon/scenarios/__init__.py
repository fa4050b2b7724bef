"""Reference scenarios: synthetic facilities whose records tell a known story (``venus``)."""
