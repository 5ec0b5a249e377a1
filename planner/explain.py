"""Plain-words explanations of a staffing plan: why an official is where they are, what a commune gets.

`explain_official` and `explain_commune` read a solved plan and its dataset and return an Explanation
(a title, lines and an optional table) in Vietnamese or English. The app and the notebooks show it
(planner.ui); `str(explanation)` is the same in plain text. Codes (fields, positions) are spelled out
with the code lists (planner.vocab), table headers with the workbook's labels (planner.labels).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from . import vocab
from .labels import LANGS, check_lang, column_label
from .messages import in_language

# key -> (vi, en) templates with the same named placeholders
SENTENCES: dict[str, tuple[str, str]] = {
    "no_official": ("Không có cán bộ mang mã {id}.", "No official with id {id}."),
    "official_intro": ("{name} ({id}), {position}, lĩnh vực {field}, hiện công tác tại {now_at}",
                       "{name} ({id}), {position} in {field}, now at {now_at}"),
    "placed": ("Bố trí về {commune}, chức danh {position} ({field}), cách nhà {km} km.",
               "Placed in {commune} as {position} ({field}), {km} km from home."),
    "pinned_decision": ("Đây là quyết định đã chốt (đã ghim).", "This was pinned as a decision already taken."),
    "next_best_cost": ("Nơi thay thế tốt nhất: {commune}, tốn thêm {extra} điểm chi phí.",
                       "Next best: {commune}, which would cost {extra} cost points more."),
    "next_best": ("Nơi thay thế tốt nhất: {commune}.", "Next best: {commune}."),
    "no_other_commune": ("Không có xã nào khác phù hợp với cán bộ này (đã ghim, hoặc không có lựa chọn khác).",
                         "No other commune was open to this official (pinned, or no other candidate)."),
    "cost_components": ("Các thành phần chi phí (điểm chi phí)", "Cost components (cost points)"),
    "listed_surplus": ("Thuộc diện dôi dư (không vị trí nào cần người này hơn chi phí bố trí).",
                       "Listed as surplus (no slot needs them more than it costs to place them)."),
    "not_in_plan": ("Cán bộ này không có trong phương án (chưa chạy bước bố trí cán bộ).",
                    "This official is not in the plan (the staffing stage did not run)."),
    "no_commune": ("Không có xã mang mã {code}.", "No commune with code {code}."),
    "commune_population": ("Dân số {population}; đã bố trí {assigned} cán bộ.",
                           "Population {population}; {assigned} officials assigned."),
    "commune_missing": ("Thiếu {shortage} người lĩnh vực {field} ({position}): cần {required}, có {assigned}.",
                        "Missing {shortage} in {field} ({position}): needs {required}, has {assigned}."),
    "commune_marginal": ("Thêm một cán bộ lĩnh vực {field} ({position}) sẽ giảm chi phí phương án khoảng {value} "
                         "điểm chi phí (giá trị đối ngẫu của bài toán nới lỏng tuyến tính).",
                         "One more official in {field} ({position}) would lower the plan's cost by about {value} "
                         "cost points (dual value from the linear relaxation)."),
    "commune_hq": ("Trụ sở: {name} (công trình {id}).", "Headquarters: {name} (building {id})."),
    "staffing_of": ("Biên chế của {name}", "Staffing of {name}"),
}

# columns of a commune's staffing rows shown under its explanation
COMMUNE_COLUMNS = ("field", "position", "required_min", "required_max", "assigned", "shortage", "surplus",
                   "marginal_value")


def sentence(key: str, lang: str = "vi", **values) -> str:
    """Sentence `key` in the language, with its {placeholders} filled."""
    words = SENTENCES[key][LANGS.index(check_lang(lang))]
    return words.format(**values) if values else words


@dataclass
class Explanation:
    """What to tell the reader: a title, lines under it, and a table (None when there is none to show)."""

    title: str
    lines: list[str] = field(default_factory=list)
    table: pd.DataFrame | None = None
    table_title: str = ""

    def __str__(self) -> str:
        parts = [self.title, *(f"- {line}" for line in self.lines)]
        if self.table is not None:
            parts += [self.table_title, self.table.to_string(index=False)]
        return "\n".join(parts)


def explain_official(plan, ds, official_id: str, lang: str = "vi") -> Explanation:
    """Where one official goes, how far, what it costs, and the next-best commune (or why they are surplus)."""
    check_lang(lang)
    people = ds["officials"].set_index("id")
    if official_id not in people.index:
        return Explanation(sentence("no_official", lang, id=official_id))
    person = people.loc[official_id]
    communes = ds["communes"].set_index("code")["name"]
    units = ds["old_units"].set_index("id")["name"]
    intro = sentence("official_intro", lang, name=person["name"], id=official_id,
                     field=vocab.label("fields", person["field"], lang),
                     position=vocab.label("positions", person["position"], lang),
                     now_at=units.get(person["old_unit_id"], person["old_unit_id"]))
    assignments = plan.tables.get("assignments", pd.DataFrame())
    row = assignments[assignments["official_id"] == official_id] if len(assignments) else assignments
    if len(row):
        r = row.iloc[0]
        lines = [sentence("placed", lang, commune=communes.get(int(r["commune_code"]), r["commune_code"]),
                          position=vocab.label("positions", r["position"], lang),
                          field=vocab.label("fields", r["field"], lang),
                          km=f"{float(r.get('distance_km', float('nan'))):.1f}")]
        if pd.notna(person.get("fixed_commune")):
            lines.append(sentence("pinned_decision", lang))
        runner = r.get("runner_up_commune")
        if runner is not None and pd.notna(runner):
            extra = r.get("runner_up_extra_cost")
            runner_name = communes.get(int(runner), runner)
            lines.append(sentence("next_best_cost", lang, commune=runner_name, extra=f"{float(extra):,.1f}")
                         if pd.notna(extra) else sentence("next_best", lang, commune=runner_name))
        else:
            lines.append(sentence("no_other_commune", lang))
        costs = [c for c in row.columns if c.startswith(("cost_", "bonus_")) or c == "total_cost"]
        if not costs:
            return Explanation(intro, lines)
        return Explanation(intro, lines, row[costs], sentence("cost_components", lang))
    surplus = plan.tables.get("surplus_officials", pd.DataFrame())
    hit = surplus[surplus["official_id"] == official_id] if len(surplus) else surplus
    if len(hit):
        reason = [f"{column_label(c, lang)}: {v}" for c, v in in_language(hit, lang).iloc[0].items()
                  if c not in ("official_id", "name") and pd.notna(v)]
        return Explanation(intro, [sentence("listed_surplus", lang)] + reason)
    return Explanation(intro, [sentence("not_in_plan", lang)])


def explain_commune(plan, ds, commune_code: int, lang: str = "vi") -> Explanation:
    """A commune's required, assigned and missing staff by field, and what one more official would be worth."""
    check_lang(lang)
    communes = ds["communes"].set_index("code")
    if commune_code not in communes.index:
        return Explanation(sentence("no_commune", lang, code=commune_code))
    name = communes.loc[commune_code, "name"]
    rows = plan.tables["staffing_by_commune"]
    rows = rows[rows["commune_code"] == commune_code]
    headcount_ceiling = vocab.role_code("fields", "total")  # a rule row, not officials
    assigned = int(rows.loc[rows["field"] != headcount_ceiling, "assigned"].sum())
    lines = [sentence("commune_population", lang, population=f"{int(communes.loc[commune_code, 'population']):,}",
                      assigned=assigned)]
    for r in rows[rows["shortage"] > 0].itertuples():
        lines.append(sentence("commune_missing", lang, shortage=int(r.shortage),
                              field=vocab.label("fields", r.field, lang),
                              position=vocab.label("positions", r.position, lang), required=int(r.required_min),
                              assigned=int(r.assigned)))
    if "marginal_value" in rows and rows["marginal_value"].abs().max() > 1e-9:
        best = rows.loc[rows["marginal_value"].abs().idxmax()]
        lines.append(sentence("commune_marginal", lang, field=vocab.label("fields", best["field"], lang),
                              position=vocab.label("positions", best["position"], lang),
                              value=f"{abs(float(best['marginal_value'])):,.1f}"))
    hq = plan.tables.get("hq_plan", pd.DataFrame())
    hq = hq[hq["commune_code"] == commune_code] if len(hq) else hq
    if len(hq):
        building = hq.iloc[0]
        lines.append(sentence("commune_hq", lang, name=building.get("building_name", building["building_id"]),
                              id=building["building_id"]))
    shown = [c for c in COMMUNE_COLUMNS if c in rows]
    return Explanation(name, lines, rows[shown], sentence("staffing_of", lang, name=name))
