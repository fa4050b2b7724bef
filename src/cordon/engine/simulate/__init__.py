"""Stochastic epidemic simulation: temporal and static networks, branching process."""
