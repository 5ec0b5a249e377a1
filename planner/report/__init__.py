"""Outputs for people: the leadership workbook of one plan, the scenario comparison, the infeasibility
explanation and the console summary. Reading an earlier plan back is input, in planner.readback.

  plan_workbook   write_plan_workbook: leadership summary, meeting sheets, lookup sheets, technical sheet
  summary         the one-page leadership summary: headline figures in sentences, decisions, budget, charts, map
  map_image       shortage_map_png / shortage_map_figure: communes by people short, province outline
  words           the summary's and technical sheet's words, scenario parameter labels
  comparison      write_comparison_workbook: the tables of planner.compare, one sheet each
  infeasibility   write_infeasibility: why a scenario cannot be met (workbook + .txt)
  console         print_summary: the few lines `planner solve` prints
  norms           norms_text, write_norms_workbook: what `planner norms` prints and writes
  sheets, style, anonymize   what they share: the table-sheet writer, openpyxl styling, name removal
"""

from ..errors import OutputError
from .comparison import write_comparison_workbook
from .console import print_summary
from .infeasibility import write_infeasibility
from .norms import norms_text, write_norms_workbook
from .plan_workbook import write_plan_workbook

__all__ = [
    "OutputError",
    "norms_text",
    "print_summary",
    "write_comparison_workbook",
    "write_infeasibility",
    "write_norms_workbook",
    "write_plan_workbook",
]
