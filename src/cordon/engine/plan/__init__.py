"""Optimisation plans (OR-Tools CP-SAT): housing people under order, guarding the exits."""

from cordon.engine.plan.housing import (
    HousingProblem,
    HousingSolution,
    beds_run_out,
    cohort_capacity,
    solve_housing,
)
from cordon.engine.plan.roster import (
    RosterProblem,
    RosterSolution,
    guards_lower_bound,
    roster_problem,
    solve_roster,
)

__all__ = [
    "HousingProblem",
    "HousingSolution",
    "RosterProblem",
    "RosterSolution",
    "beds_run_out",
    "cohort_capacity",
    "guards_lower_bound",
    "roster_problem",
    "solve_housing",
    "solve_roster",
]
