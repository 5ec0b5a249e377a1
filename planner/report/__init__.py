"""Outputs for people and other tools: the leadership workbook, the infeasibility explanation,
the console summary, and reading an earlier plan back (for re-planning with minimal disruption)."""

from ..errors import OutputError
from .workbook import (
    print_summary,
    read_plan_assignments,
    read_table,
    write_comparison_workbook,
    write_infeasibility,
    write_plan_workbook,
)

__all__ = [
    "OutputError",
    "print_summary",
    "read_plan_assignments",
    "read_table",
    "write_comparison_workbook",
    "write_infeasibility",
    "write_plan_workbook",
]
