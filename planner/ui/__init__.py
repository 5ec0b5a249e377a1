"""Widgets, maps and charts for the notebooks and the Voila app (logic here, notebooks stay thin).

One module per tab: data_check_tab, staffing_tab, assets_tab, scenarios_tab (saved plans); settings is the one
settings panel, plans the store of saved plans (the plan register), table the sortable paged tables, panel the
Explorer base and widget helpers, and app puts them together.
Explanations and pins are not widget code: they live in planner.explain and planner.edits.
"""

from ..edits import with_pins
from ..explain import explain_commune, explain_official
from .app import App, start_app
from .assets_tab import AssetsExplorer
from .common import default_data_path, describe_error, open_province, show
from .data_check_tab import DataCheckExplorer
from .plans import PlanStore, RegisterStore
from .settings import Settings, scenario_with
from .scenarios_tab import ScenarioExplorer
from .staffing_tab import StaffingExplorer

__all__ = ["App", "AssetsExplorer", "DataCheckExplorer", "PlanStore", "RegisterStore", "Settings", "ScenarioExplorer", "StaffingExplorer",
           "default_data_path", "describe_error", "explain_commune", "explain_official", "open_province",
           "scenario_with", "show", "start_app", "with_pins"]
