"""Scenario: every knob of a planning run, as documented defaults plus a small YAML of overrides.

Unknown keys and wrong types are errors that name the key (pydantic, extra="forbid").
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from . import vocab
from .errors import ScenarioError

DEFAULT_KEY = "default"
DEFAULT_SHORTAGE_PENALTY = 300.0
DEFAULT_DISRUPTION_WEIGHT = 50.0  # assumption: cost points of moving one official away from the previous plan


def deep_merge(base: dict, changes: dict) -> dict:
    """`base` with `changes` merged in, mapping by mapping (a new dict; lists and values are replaced)."""
    out = dict(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _known_keys(mapping: dict, allowed: tuple[str, ...]) -> dict:
    for key in mapping:
        if key not in allowed:
            raise PydanticCustomError("unknown_code", "unknown key (allowed: {allowed})",
                                      {"key": key, "allowed": ", ".join(allowed)})
    return mapping


def _known_code(value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise PydanticCustomError("unknown_code_value", "unknown code {value!r} (allowed: {allowed})",
                                  {"value": value, "allowed": ", ".join(allowed)})
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class SolverOptions(_Strict):
    name: Literal["highs", "cbc"] = Field("highs", description="MIP/LP solver; CBC is also the fallback when HiGHS fails")
    time_limit_s: float = Field(120.0, gt=0, description="Time limit per solve, seconds")
    threads: int = Field(1, ge=1, description="Solver threads per process (1: the LP simplex is serial, a second thread gained nothing on these models and slowed `planner solve`, whose side process uses the second core)")
    seed: int = Field(0, ge=0, description="Random seed passed to the solver")
    mip_gap: float = Field(1e-6, ge=0, description="Relative MIP gap at which a solve stops")
    msg: bool = Field(False, description="Print the solver log")


class ITSupportOptions(_Strict):
    enabled: bool = Field(True, description="Plan which IT officer supports which commune")
    hours_capacity: float = Field(160.0, gt=0, description="Monthly hours an IT officer can give to support")
    base_hours: float = Field(16.0, ge=0, description="Monthly IT workload of a commune, hours")
    hours_per_10k_residents: float = Field(2.0, ge=0, description="Extra monthly hours per 10,000 residents")
    visits_per_month: float = Field(4.0, ge=0, description="On-site visits per month (travel time counts as workload)")
    travel_speed_kmh: float = Field(35.0, gt=0, description="Road speed for IT support travel")
    radius_km: float = Field(60.0, gt=0, description="An officer only supports communes within this distance")
    uncovered_penalty: float = Field(10000.0, ge=0, description="Cost of leaving a commune without a supporting IT officer (reported)")


class StaffingOptions(_Strict):
    enabled: bool = True
    candidate_radius_km: float = Field(60.0, gt=0, description="An official is only considered for communes whose centre is within this distance of home or of the old unit (own commune and pins always)")
    distance_threshold_km: float = Field(30.0, ge=0, description="Commute beyond this costs far_cost_per_km instead of cost_per_km, unless willing_to_relocate")
    cost_per_km: float = Field(1.0, ge=0, description="Cost points per km of commute")
    far_cost_per_km: float = Field(4.0, ge=0, description="Cost points per km of commute beyond the threshold")
    secondary_field_cost: float = Field(20.0, ge=0, description="Retraining cost when placed in the secondary field")
    allow_mismatch: bool = Field(False, description="Allow placement in a field that is neither primary nor secondary")
    mismatch_cost: float = Field(80.0, ge=0, description="Retraining cost of a mismatched field (when allowed)")
    continuity_bonus: float = Field(15.0, ge=0, description="Bonus for staying in the new commune that contains one's old unit")
    surplus_cost: float = Field(0.0, ge=0, description="Cost of listing an official as surplus (0 = neutral)")
    shortage_penalty: dict[str, float] = Field(
        default_factory=lambda: {**vocab.column("fields", "default_shortage_penalty", numeric=True),
                                 DEFAULT_KEY: DEFAULT_SHORTAGE_PENALTY},
        description="Penalty per missing official below the minimum, by field code (defaults: the fields list's "
                    "default_shortage_penalty; 'default' for a field without one). A partial mapping changes only its keys",
    )
    fairness: bool = Field(True, description="First minimize the largest commune shortage ratio (a commune's missing officials / its minimum headcount, all posts together; gaps no plan can fill count too), then the cost within fairness_tolerance")
    fairness_tolerance: float = Field(0.02, ge=0, description="Relative slack on the best largest commune shortage ratio: the cheapest plan keeping every commune at or below best x (1 + tolerance), never above the least-cost plan's largest ratio, is chosen")
    disruption_weight: float | None = Field(
        None, ge=0, description="Cost points of moving an official away from the commune of the previous plan (or leaving them without a post). "
        "None (default) = 50 when a previous plan is given, else 0. The 50 is an assumption, not a norm: about 50 km of commute "
        "or 2.5 times the secondary-field retraining cost, enough to keep people in place unless a move closes a shortage")
    position_change_weight: float | None = Field(
        None, ge=0, description="Cost points of keeping an official in the commune of the previous plan but in another position "
        "or field. None (default) = half the disruption weight in use (an assumption: a change of post disrupts less than a move)")
    reference_date: date | None = Field(None, description="Date at which the surplus list computes ages and years to statutory retirement; None = the date of the run")
    previous_plan: str | None = Field(None, description="Earlier result workbook whose assignments are the reference for disruption")
    max_candidate_communes: int | None = Field(
        15, ge=1, description="Per official, keep only this many nearest communes (within the radius) that have a post in their fields; own, pinned, previous and pair_costs communes always stay; None = all within the radius")
    candidates: Literal["distance", "pair_costs"] = Field(
        "distance", description="Which official-commune pairs get a variable: 'distance' (within candidate_radius_km, own, pinned, previous and pair_costs communes) or 'pair_costs' (only the pair_costs rows and pins)")
    it_support: ITSupportOptions = Field(default_factory=ITSupportOptions)

    retraining_limit: dict[str, int] = Field(
        default_factory=dict, description="Most officials that may be placed outside their primary field (retrained: "
        "secondary field, or a mismatch where allowed), by field code, across the province; a field not listed has no limit")

    @field_validator("retraining_limit")
    @classmethod
    def _known_retraining_fields(cls, value: dict[str, int]) -> dict[str, int]:
        if any(v < 0 for v in value.values()):
            raise ValueError("a retraining limit cannot be negative")
        return _known_keys(value, vocab.codes("fields"))

    @field_validator("shortage_penalty")
    @classmethod
    def _known_fields(cls, value: dict[str, float]) -> dict[str, float]:
        return _known_keys(value, vocab.codes("fields") + (DEFAULT_KEY,))

    def disruption(self, has_previous: bool = True) -> float:
        """The disruption weight in use: the given one, else DEFAULT_DISRUPTION_WEIGHT with a previous plan, else 0."""
        if self.disruption_weight is not None:
            return float(self.disruption_weight)
        return DEFAULT_DISRUPTION_WEIGHT if has_previous else 0.0

    def position_change(self, has_previous: bool = True) -> float:
        """The cost of a change of position or field within the previous commune: the given weight, else half the disruption."""
        if self.position_change_weight is not None:
            return float(self.position_change_weight)
        return self.disruption(has_previous) / 2

    def plan_date(self) -> date:
        """reference_date, else today."""
        return self.reference_date or date.today()

    def penalty(self, field: str) -> float:
        return self.shortage_penalty.get(field, self.shortage_penalty.get(DEFAULT_KEY, DEFAULT_SHORTAGE_PENALTY))


class AssetOptions(_Strict):
    enabled: bool = True
    m2_per_official: dict[str, float] = Field(
        default_factory=lambda: vocab.column("positions", "default_m2_per_official", numeric=True),
        description="Office floor area per official by position code (defaults: the positions list's "
                    "default_m2_per_official). A partial mapping changes only its keys",
    )
    shared_area_factor: float = Field(1.6, ge=1, description="Total floor area / office area (meeting rooms, one-stop hall, archives)")
    hq_candidate_radius_km: float = Field(25.0, gt=0, description="Buildings within this distance of a commune may host its HQ")
    citizen_cost_per_km: float = Field(0.05, ge=0, description="Cost points per resident-km of travel to the HQ (per 1000 residents)")
    staff_commute_cost_per_km: float = Field(1.0, ge=0, description="Cost points per official-km of commute to the HQ")
    service_distance_km: float = Field(15.0, gt=0, description="Every old unit's residents should be within this distance of a service point or the HQ")
    service_capacity: float = Field(40000.0, gt=0, description="Residents one service point can serve")
    single_source: bool = Field(True, description="Each old unit is served by one service point (False: demand may be split)")
    service_point_gap_vnd: float = Field(1e6, ge=0, description="Each commune's service points are accepted once proven within this many VND of the cheapest choice for that commune (0: to the solver's relative gap). Far below one service point's cost; it keeps large provinces fast")
    service_point_fixed_cost: float | None = Field(None, ge=0, description="Fixed cost of a service point; None = from the costs table")
    renovation_budget_vnd: float | None = Field(None, ge=0, description="Renovation budget; None = from the costs table")
    equipment_budget_vnd: float | None = Field(None, ge=0, description="Equipment purchase budget; None = from the costs table")
    equipment_budget_covers: Literal["purchases", "purchases_repairs_transport"] = Field(
        "purchases", description="What the equipment budget pays for: 'purchases' (new items only; repairs and transport are "
        "paid outside it) or 'purchases_repairs_transport' (new items, repairs and transport together, so moving or "
        "repairing an item competes with buying one)")
    price_uplift: float = Field(0.0, ge=0, le=0.3, description="Raise every new-item purchase price by this fraction (0.1 = +10%). The bundled prices are the maximum prices of Decision 15/2025/QĐ-TTg (cars: Decree 153/2025/NĐ-CP); Art. 4(4) of the Decision lets the province raise them by up to 30% (agency heads up to 15%), so more than 0.30 is refused. Decision 10/2026/QĐ-TTg amends Art. 3-4 (not verified)")
    housing_for_officials: bool = Field(False, description="Offer surplus buildings as public housing for officials living far from their commune (housing_distance_km) and for housing rows of facility_needs, after the public uses. Off by default: the Prime Minister's Official Dispatch 213/CĐ-TTg (11 Nov 2025) gives surplus houses and land to health, education, culture, sports, commune police and other public purposes, and housing for officials is not on that list; some provinces opt in")
    housing_distance_km: float = Field(30.0, ge=0, description="Officials living farther than this from their commune need public housing (counted always; housed only with housing_for_officials)")
    housing_m2_per_official: float = Field(20.0, gt=0, description="Floor area of public housing per official")
    idle_years: float = Field(5.0, ge=0, description="Horizon over which an idle building's yearly cost is counted")
    vnd_per_cost_point: float = Field(1e6, gt=0, description="Money value of one travel or commute cost point (puts travel and renovation on one VND scale when choosing headquarters)")
    allow_sale: bool = Field(True, description="Surplus buildings may be sold or leased; False keeps a building idle unless a need uses it")
    public_use_first: bool = Field(True, description="Surplus buildings serve public needs before any is sold, in the priority order of Official Dispatch 213/CĐ-TTg (the building_uses list's priority: health, education, culture, sports, commune police, other public purposes; then housing for officials when housing_for_officials): the most needs of the first priority, then of the next, ..., then the most value. False: the most value only")
    housing_value_per_m2_vnd: float = Field(5e6, ge=0, description="Value of one m² of needed public housing for officials (ranks housing against sale and other uses)")
    @field_validator("m2_per_official")
    @classmethod
    def _known_positions(cls, value: dict[str, float]) -> dict[str, float]:
        return _known_keys(value, vocab.codes("positions"))

    equipment_candidate_communes: int = Field(10, ge=1, description="Equipment at an old unit may go to its own commune, this many nearest headquarters, and this many nearest communes short of that item")


class NormOverride(_Strict):
    field: str = Field(description="Field code the override applies to (or the pseudo-field 'total': the headcount ceiling)")
    position: str = Field(default_factory=lambda: vocab.role_code("positions", "staff"),
                          description="Position code (or 'any'); default: the staff position (specialist)")
    commune_type: str = Field(default_factory=lambda: vocab.role_code("commune_types", "any"),
                              description="Commune type code (or 'any', the default)")
    min_count: int | None = Field(None, ge=0)
    max_count: int | None = Field(None, ge=0)
    per_10k_residents: float | None = Field(None, ge=0)

    @field_validator("field")
    @classmethod
    def _known_field(cls, value: str) -> str:
        return _known_code(value, vocab.codes("fields", pseudo=True))

    @model_validator(mode="after")
    def _max_not_below_min(self) -> "NormOverride":
        if self.min_count is not None and self.max_count is not None and self.max_count < self.min_count:
            raise ValueError(f"max_count {self.max_count} is below min_count {self.min_count}")
        return self

    @field_validator("position")
    @classmethod
    def _known_position(cls, value: str) -> str:
        return _known_code(value, vocab.codes("positions", pseudo=True))

    @field_validator("commune_type")
    @classmethod
    def _known_commune_type(cls, value: str) -> str:
        return _known_code(value, vocab.codes("commune_types", pseudo=True))


class Scenario(_Strict):
    name: str = Field("baseline", description="Name shown in the workbook and in comparisons")
    description: str = ""
    solver: SolverOptions = Field(default_factory=SolverOptions)
    staffing: StaffingOptions = Field(default_factory=StaffingOptions)
    assets: AssetOptions = Field(default_factory=AssetOptions)
    norm_overrides: list[NormOverride] = Field(default_factory=list, description="Changes to the staffing norms for this scenario")

    @classmethod
    def from_dict(cls, data: dict | None, source: str = "<scenario>") -> "Scenario":
        """The documented defaults with `data` deep-merged onto them: a partial mapping (e.g. one shortage
        penalty) changes only its keys; lists (norm_overrides) are replaced. Unknown keys are errors."""
        merged = deep_merge(cls().model_dump(mode="json"), data or {})
        try:
            return cls.model_validate(merged)
        except ValidationError as exc:
            raise ScenarioError(source, [f"{'.'.join(str(p) for p in _location(err))}: {_explain(err)}"
                                         for err in exc.errors()]) from None

    @classmethod
    def from_yaml(cls, path: str | Path) -> "Scenario":
        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise ScenarioError(str(path), [f"not valid YAML: {exc}"]) from None
        if data is not None and not isinstance(data, dict):
            raise ScenarioError(str(path), ["the file must hold a mapping of keys to values"])
        return cls.from_dict(data, source=str(path))

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.model_dump(mode="json"), allow_unicode=True, sort_keys=False)

    def digest(self) -> str:
        """Short hash of all settings, recorded with every result."""
        text = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:12]


def _location(err: dict) -> tuple:
    """Where the error is; an unknown key of a code-keyed mapping is named as part of the path."""
    if err["type"] == "unknown_code":
        return tuple(err["loc"]) + (err["ctx"]["key"],)
    return tuple(err["loc"])


def _explain(err: dict) -> str:
    if err["type"] == "extra_forbidden":
        return "unknown key"
    if err["type"] in ("unknown_code", "unknown_code_value"):
        return err["msg"]
    return f"{err['msg']} (got {err.get('input')!r})"
