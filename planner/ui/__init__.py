"""Widgets, maps and charts for the notebooks and the Voila app (logic here, notebooks stay thin)."""

from .common import default_data_path, describe_error, open_province, output_folder, show
from .explorers import (App, AssetsExplorer, DataCheckExplorer, PlanStore, ScenarioExplorer, StaffingExplorer,
                        explain_commune, explain_official, scenario_with, start_app, with_pins)

__all__ = ["App", "AssetsExplorer", "DataCheckExplorer", "PlanStore", "ScenarioExplorer", "StaffingExplorer",
           "default_data_path", "describe_error", "explain_commune", "explain_official", "open_province",
           "output_folder", "scenario_with", "show", "start_app", "with_pins"]
