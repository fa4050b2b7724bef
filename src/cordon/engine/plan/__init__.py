"""Optimisation plans (OR-Tools CP-SAT): housing people under order, guarding the exits."""

from cordon.engine.plan.housing import (
    HousingProblem,
    HousingSolution,
    beds_run_out,
    cohort_capacity,
    solve_housing,
)

__all__ = [
    "HousingProblem",
    "HousingSolution",
    "beds_run_out",
    "cohort_capacity",
    "solve_housing",
]
