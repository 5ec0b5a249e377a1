"""Sentences the models write into tables, notes and infeasibility explanations, in Vietnamese and English.

A model calls `message(key, **values)`: the result is the English sentence (a str, so CSV outputs and
code that reads the English text keep working) that also carries its Vietnamese form in `.vi`.
A table keeps the English sentence in its column and the Vietnamese one in `<column>_vi`;
`in_language` picks the one a reader's language needs. Names and numbers are inserted as given;
codes (fields, uses, item types) are spelled out with the workbook's value labels.
"""

from __future__ import annotations

import pandas as pd

from .labels import value_label

VI_SUFFIX = "_vi"

# key -> (vi, en) templates with the same named placeholders
CATALOGUE: dict[str, tuple[str, str]] = {
    # staffing: why an official has no post
    "within_km": ("trong bán kính {km} km", "within {km} km"),
    "nearest_communes_within_km": ("tại {count} xã gần nhất trong bán kính {km} km",
                                   "in the {count} nearest communes within {km} km"),
    "pair_cost_communes": ("tại các xã được liệt kê cho cán bộ trong bảng pair_costs",
                           "among the communes listed for them in pair_costs"),
    "field_or_field": ("{field} hoặc {other_field}", "{field} or {other_field}"),
    "no_post_in_field": ("không có vị trí thuộc lĩnh vực {field} {reach}", "no post in field {field} {reach}"),
    "vacancy_costs_more": ("bố trí vào chỗ còn thiếu gần nhất thuộc lĩnh vực {field} tốn kém hơn lợi ích bù phần thiếu hụt",
                           "filling the nearest vacancy in field {field} would cost more than the shortage it closes"),
    "no_vacancy_in_field": ("không còn chỉ tiêu trống thuộc lĩnh vực {field} {reach} "
                            "(các vị trí đã đủ định mức tối thiểu hoặc đã đạt mức tối đa)",
                            "no vacancy in field {field} {reach} (posts are filled to the minimum or the ceiling)"),
    "only_far_posts_in_field": ("chỉ có vị trí thuộc lĩnh vực {field} ở xa nơi ở hơn {km} km",
                                "only posts in field {field} farther than {km} km from home"),
    # staffing notes
    "previous_plan_changes": ("So với phương án trước: {moved} cán bộ đổi xã hoặc không còn vị trí, {changed} cán bộ "
                              "đổi chức danh hoặc lĩnh vực (chi phí thay đổi {weight} điểm mỗi người rời xã cũ, {post_weight} điểm mỗi người "
                              "ở lại xã cũ nhưng đổi chức danh hoặc lĩnh vực).",
                              "Compared with the previous plan: {moved} officials change commune or lose their post, "
                              "{changed} change position or field (disruption cost {weight} points per official moved, {post_weight} points per "
                              "official kept in the same commune in another position or field)."),
    # console warnings
    "equipment_priority_1_unmet": ("CẢNH BÁO: còn {count} thiết bị ưu tiên 1 (quầy một cửa) chưa được đáp ứng trong ngân sách.",
                                   "WARNING: {count} priority-1 equipment items (one-stop counters) are left unmet within the budget."),
    "staffing_candidates": ("Bố trí cán bộ: {posts} phương án vị trí cho {officials} cán bộ "
                            "(chuẩn bị trong {prepared} giây, trích xuất và kiểm tra trong {checked} giây).",
                            "Staffing: {posts} candidate posts for {officials} officials "
                            "(prepared in {prepared} s, extracted and checked in {checked} s)."),
    "staffing_fairness": ("Cân đối giữa các xã (tỷ lệ thiếu của một xã = số cán bộ còn thiếu / định mức tối thiểu của xã, "
                          "tính chung mọi vị trí): phương án chi phí thấp nhất để một xã thiếu {least_cost}; "
                          "không phương án nào đưa được mọi xã xuống dưới {best}, nên đã chọn phương án chi phí thấp nhất "
                          "trong phạm vi {tolerance} so với mức đó (tỷ lệ thiếu lớn nhất của một xã hiện là {now}).",
                          "Staffing fairness (a commune's shortage ratio = its missing officials / its minimum headcount, "
                          "all posts together): the least-cost plan leaves one commune at {least_cost}; "
                          "no plan can bring every commune below {best}, so the least-cost plan "
                          "within {tolerance} of that was chosen (largest commune ratio now {now})."),
    "previous_plan_unreadable": ("một phương án trước đọc được (bảng kết quả hoặc tệp CSV phân công) ({error})",
                                 "an earlier plan (result workbook or assignments CSV) that can be read ({error})"),
    "it_support_out_of_reach": ("Hỗ trợ CNTT: không có công chức CNTT nào được bố trí trong phạm vi hỗ trợ của bất kỳ xã nào.",
                                "IT support: no IT officer is placed within reach of any commune."),
    # buildings: what a building is used for
    "headquarters_of": ("trụ sở {commune}", "headquarters of {commune}"),
    "headquarters_extended": ("trụ sở {commune} (mở rộng {m2} m²)", "headquarters of {commune} (extension {m2} m²)"),
    "service_point_residents": ("điểm phục vụ, {residents} người dân", "service point, {residents} residents"),
    "sale_or_lease": ("bán hoặc cho thuê theo giá trị sổ sách", "sale or lease at book value"),
    "idle_years": ("để trống {years} năm", "idle {years} years"),
    "use_for_commune": ("{use} cho {commune}", "{use} for {commune}"),
    "buildings_without_sites": ("Sử dụng công trình: chưa có phương án trụ sở, nên chưa dành công trình nào "
                                "làm trụ sở hoặc điểm phục vụ.",
                                "Building uses: no site plan, so no building is reserved as headquarters or service point."),
    "housing_not_offered": ("Sử dụng công trình: {officials} cán bộ ở xa xã công tác hơn {km} km, nhưng không công trình nào "
                            "được bố trí làm nhà công vụ (assets.housing_for_officials đang tắt: nhà công vụ không thuộc "
                            "danh mục ưu tiên của Công điện 213/CĐ-TTg).",
                            "Building uses: {officials} officials live farther than {km} km from their commune, but no building "
                            "is offered as housing (assets.housing_for_officials is off: housing for officials is not on the "
                            "priority list of Official Dispatch 213/CĐ-TTg)."),
    "buildings_without_staffing": ("Sử dụng công trình: chưa có phương án bố trí cán bộ, nên chưa tính nhu cầu nhà công vụ.",
                                   "Building uses: no staffing plan, so no housing demand for officials is counted."),
    # headquarters: residents a service point cannot serve
    "over_capacity_or_budget": ("vượt công suất ({capacity} người dân mỗi điểm) hoặc không đủ kinh phí cải tạo",
                                "capacity ({capacity} residents per point) or renovation budget"),
    "no_building_within_km": ("không có công trình sử dụng được trong bán kính {km} km (gần nhất cách {nearest} km)",
                              "no usable building within {km} km (nearest {nearest} km)"),
    "left_to_headquarters": ("Điểm phục vụ: {unit} ({commune}) do trụ sở xã phục vụ trực tiếp: {reason}.",
                             "Service points: {unit} (commune {commune}) is left to the headquarters: {reason}."),
    # equipment notes
    "equipment_without_sites": ("Thiết bị: chưa có phương án trụ sở, nên thiết bị được chuyển về trung tâm xã "
                                "và không thiết bị nào được tính là giữ tại chỗ.",
                                "Equipment: no headquarters plan, so items are sent to commune centres "
                                "and none counts as kept in place."),
    "equipment_without_price": ("Thiết bị: chưa có đơn giá mua mới (new_unit_price) cho {items}, nên không thể mua các loại này.",
                                "Equipment: no new_unit_price for {items}, so these cannot be bought."),
    "equipment_capped": ("Thiết bị: nhu cầu {items} giảm {count} chiếc để không xã nào có quá {cap} chiếc "
                         "(mức tối đa max_per_commune của định mức trang thiết bị).",
                         "Equipment: demand for {items} cut by {count} items so that no commune holds more than {cap} "
                         "(max_per_commune of the equipment norms)."),
    "equipment_budget_short": ("Thiết bị: ngân sách còn lại {left} đồng không mua đủ {items} cần ở mức ưu tiên {priority} "
                               "(chỉ mua số nguyên thiết bị; còn thiếu {missing}).",
                               "Equipment: the budget left ({left} VND) cannot buy all the {items} needed at priority {priority} "
                               "(whole items only; {missing} missing)."),
    "equipment_budget_purchases": ("Thiết bị: dự toán {budget} đồng chỉ chi cho mua mới (đã dùng {used} đồng); chi phí sửa chữa "
                                   "({repair} đồng) và vận chuyển ({transport} đồng) tính ngoài dự toán.",
                                   "Equipment: the budget ({budget} VND) pays for purchases only ({used} VND used); repairs "
                                   "({repair} VND) and transport ({transport} VND) are paid outside it."),
    "equipment_budget_all_costs": ("Thiết bị: dự toán {budget} đồng chi cho cả mua mới ({purchases} đồng), sửa chữa ({repair} đồng) "
                                   "và vận chuyển ({transport} đồng): đã dùng {used} đồng.",
                                   "Equipment: the budget ({budget} VND) pays for purchases ({purchases} VND), repairs "
                                   "({repair} VND) and transport ({transport} VND): {used} VND used."),
    # infeasible scenarios: staffing pins, ceilings and slot maxima
    "pin_unknown_commune": ("{who} được chốt vào xã {code}, nhưng xã này không có trong bảng communes.",
                            "{who} is pinned to commune {code}, which is not in the communes table."),
    "pin_forbidden_pair": ("{where}: {who} được chốt tại đây nhưng bảng pair_costs không cho phép bố trí cán bộ này vào xã này.",
                           "{where}: {who} is pinned there but the pair_costs table forbids this official in this commune."),
    "pin_not_eligible": ("{where}: {who} được chốt vào chức danh {position} nhưng không đủ điều kiện giữ chức vụ lãnh đạo.",
                         "{where}: {who} is pinned as {position} but is not eligible for leadership."),
    "pin_no_post": ("{where}: {who} được chốt tại đây nhưng xã không có vị trí thuộc lĩnh vực {field}.",
                    "{where}: {who} is pinned there but the commune has no post in field {field}."),
    "pin_no_position_post": ("{where}: {who} được chốt tại đây với chức danh {position} nhưng xã không có vị trí "
                             "{position} thuộc lĩnh vực {field}.",
                             "{where}: {who} is pinned there as {position} but the commune has no {position} post "
                             "in field {field}."),
    "pins_over_ceiling": ("{commune}: {pinned} cán bộ đã được chốt nhưng biên chế tối đa chỉ là {ceiling} (vượt {over}).",
                          "{commune}: {pinned} officials are pinned but the headcount ceiling is {ceiling} ({over} over)."),
    "pins_over_slot": ("{commune}, lĩnh vực {field}, chức danh {position}: {pinned} cán bộ đã được chốt "
                       "nhưng chỉ được tối đa {limit} (vượt {over}).",
                       "{commune}, field {field}, position {position}: {pinned} officials "
                       "are pinned but at most {limit} are allowed ({over} over)."),
    "staffing_unsolved": ("Không giải được mô hình bố trí cán bộ (trạng thái bộ giải: {status}).",
                          "The staffing model could not be solved (solver status: {status})."),
    # any model: a solve stopped at its time limit with a plan (planner.solver.time_limit_notes)
    "solve_time_limit_no_plan": ("{stage}: bộ giải đã hết thời gian cho phép ({seconds} giây) ở bước {model} mà chưa "
                                 "tìm được phương án nào (sai số {gap}). Hãy tăng solver.time_limit_s trong kịch bản.",
                                 "{stage}: the solver reached its time limit ({seconds} s) on {model} before any plan "
                                 "was found (gap {gap}). Raise solver.time_limit_s in the scenario."),
    "solve_time_limit": ("{model}: bộ giải dừng khi hết thời gian cho phép ({seconds} giây); phương án dùng lời giải "
                         "tốt nhất đã tìm được, chưa chứng minh là tối ưu (sai số {gap}). Tăng solver.time_limit_s "
                         "để có phương án tối ưu.",
                         "{model}: the solver stopped at its time limit ({seconds} s); the plan uses the best solution "
                         "found so far, not proven optimal (gap {gap}). Raise solver.time_limit_s for an optimal plan."),
    # infeasible scenarios: headquarters
    "hq_no_buildings": ("Bảng công trình (buildings) đang trống nên không xã nào có trụ sở. "
                        "Hãy nhập trụ sở cũ và các công trình công khác trước.",
                        "The buildings table is empty, so no commune can get a headquarters. "
                        "List the old headquarters and other public buildings first."),
    "hq_no_candidate": ("{commune} không có công trình nào làm được trụ sở: không đơn vị cũ nào của xã sở hữu công trình "
                        "và công trình gần nhất cách {nearest} km (giới hạn {limit} km). "
                        "Hãy bổ sung công trình hoặc nới hq_candidate_radius_km lên ít nhất {needed} km.",
                        "{commune} has no building that can host its headquarters: none of its old units owns a building "
                        "and the nearest building is {nearest} km away (limit {limit} km). "
                        "Add a building or widen hq_candidate_radius_km to at least {needed} km."),
    "hq_too_few_candidates": ("Không thể bố trí cho mọi xã một trụ sở riêng: một số xã dùng chung quá ít công trình "
                              "ứng viên (mỗi công trình chỉ làm trụ sở cho một xã). Các xã có ít công trình ứng viên nhất: "
                              "{communes}.",
                              "Not every commune can get its own headquarters building: some communes share too few "
                              "candidate buildings (a building can host one commune only). Communes with the fewest "
                              "candidates: {communes}."),
    "hq_budget_short": ("Kinh phí cải tạo {budget} VND không đủ cho trụ sở: phương án rẻ nhất bảo đảm mọi xã có "
                        "công trình đủ diện tích sàn cần ít nhất {needed} VND (thiếu {short} VND).",
                        "The renovation budget of {budget} VND is too small for the headquarters: the cheapest plan "
                        "that gives every commune a building with enough floor area needs at least {needed} VND "
                        "({short} VND more)."),
    "hq_budget_paid": ("Phương án đó chi cải tạo hoặc mở rộng tại {count} xã: {shown}{more}.",
                       "That plan pays for renovation or extension in {count} communes: {shown}{more}."),
    "and_more_in_conflicts": (" và {count} xã khác (xem bảng xung đột)", " and {count} more (see the conflicts table)"),
    "training_secondary": ("Bố trí vào lĩnh vực thứ hai ({field}): cần bồi dưỡng chuyên môn.",
                           "Placed in their secondary field ({field}): needs retraining."),
    "training_mismatch": ("Bố trí ngoài lĩnh vực được đào tạo ({field}): cần đào tạo.",
                          "Placed outside their trained fields ({field}): needs training."),
    "sites_fitted": ("Trụ sở được chọn và tính diện tích lại theo số cán bộ phương án bố trí ({rounds} vòng).",
                     "Headquarters were re-chosen and re-sized for the staff the plan assigns ({rounds} round(s))."),
    "sites_not_refitted": ("Không thể tính lại trụ sở theo số cán bộ được bố trí ({reason}); trụ sở giữ theo định mức "
                           "tối thiểu, xem bảng kiểm tra diện tích trụ sở.",
                           "The headquarters could not be re-sized for the staff the plan assigns ({reason}); they stay "
                           "sized on the norms' minimums: see the HQ area check table."),
    "hq_budget_advice": ("Hãy nâng renovation_budget_vnd lên ít nhất mức đó, giảm m2_per_official "
                         "hoặc bổ sung công trình sử dụng được.",
                         "Raise renovation_budget_vnd to at least that amount, lower m2_per_official, "
                         "or add usable buildings."),
    "service_points_line": ("Điểm phục vụ: {line}", "Service points: {line}"),
    # infeasible facility location (service points, OR-Library benchmarks)
    "word_customer": ("Điểm nhu cầu", "Customer"),
    "word_facility": ("cơ sở", "facility"),
    "word_units_of_demand": ("đơn vị nhu cầu", "units of demand"),
    "word_old_unit": ("Đơn vị cũ", "Old unit"),
    "word_service_point": ("điểm phục vụ", "service point"),
    "word_residents": ("người dân", "residents"),
    "fl_unreachable": ("{customer} {name} ({demand} {demand_word}) không có {facility} nào được phép sử dụng.",
                       "{customer} {name} ({demand} {demand_word}) has no {facility} it may use."),
    "fl_above_every_capacity": ("{customer} {name}: {demand} {demand_word}, lớn hơn công suất của mọi {facility} "
                                "được phép sử dụng (lớn nhất {largest}).",
                                "{customer} {name}: {demand} {demand_word}, more than the capacity of "
                                "every {facility} it may use (largest {largest})."),
    "fl_single_source": ("Khi mỗi {customer} chỉ do một {facility} phục vụ thì không có phương án khả thi; "
                         "cho phép chia nhu cầu sẽ phục vụ được.",
                         "With single sourcing each {customer} is served by one {facility}, so this is infeasible; "
                         "allowing split demand would serve them."),
    "fl_above_summed_capacity": ("{customer} {name}: {demand} {demand_word}, nhưng mọi {facility} được phép sử dụng "
                                 "cộng lại chỉ chứa được {capacity}.",
                                 "{customer} {name}: {demand} {demand_word}, but every {facility} it may use "
                                 "together holds only {capacity}."),
    "fl_above_total_capacity": ("Tổng cộng {demand} {demand_word}, vượt tổng công suất {capacity} của tất cả các {facility}.",
                                "In total {demand} {demand_word}, above the total capacity {capacity} of all {facility} sites."),
    "fl_must_open_budget": ("Các {facility} bắt buộc mở cần kinh phí {forced}, vượt mức {budget} hiện có.",
                            "The {facility} sites that must open need a budget of {forced}, above the {budget} available."),
    "fl_unsolved": ("Bộ giải không tìm được cách phục vụ mọi điểm nhu cầu trong phạm vi công suất.",
                    "The solver found no way to serve every customer within the capacities."),
    "fl_unsolved_budget": ("Bộ giải không tìm được cách phục vụ mọi điểm nhu cầu trong phạm vi công suất và kinh phí.",
                           "The solver found no way to serve every customer within the capacities and the budget."),
}

# placeholders holding codes, spelled out in Vietnamese with planner.labels.VALUES[kind]
CODE_KINDS = {"field": "field", "other_field": "field", "position": "position", "use": "use", "items": "item_type",
              "stage": "stage"}


class Message(str):
    """An English sentence from the catalogue; its Vietnamese form is in `.vi`."""

    vi: str


def message(key: str, **values) -> Message:
    """Catalogue sentence `key` with its placeholders filled; values may be Messages, codes or lists of codes."""
    vi, en = CATALOGUE[key]
    out = Message(en.format(**{name: _value(name, v, "en") for name, v in values.items()}))
    out.vi = vi.format(**{name: _value(name, v, "vi") for name, v in values.items()})
    return out


def number(amount: float) -> Message:
    """An amount rounded to a whole number with each language's thousands separator, for a sentence's placeholder:
    1,234,567 in English, its .vi 1.234.567 (a code or a year is passed as it is, not through this)."""
    text = f"{round(amount):,}"
    out = Message(text)
    out.vi = text.replace(",", ".")
    return out


def lowered(text) -> str:
    """`text` in lower case, its Vietnamese form too when it is a Message."""
    out = Message(text.lower())
    out.vi = getattr(text, "vi", text).lower()
    return out


def _value(name: str, value, lang: str) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(_value(name, v, lang) for v in value)
    if lang == "vi" and isinstance(value, Message):
        return value.vi
    if lang == "vi" and name in CODE_KINDS:
        return str(value_label(CODE_KINDS[name], value, lang))
    return str(value)


def with_vietnamese(df: pd.DataFrame, column: str, texts) -> pd.DataFrame:
    """Put the English sentences in `column` and their Vietnamese forms in `<column>_vi` right after it."""
    texts = list(texts)
    df[column] = [str(t) for t in texts]
    df.insert(df.columns.get_loc(column) + 1, column + VI_SUFFIX, [getattr(t, "vi", t) for t in texts])
    return df


def in_language(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    """One text per column: `<column>_vi` replaces `<column>` in Vietnamese, and is dropped either way."""
    companions = [c for c in df.columns if isinstance(c, str) and c.endswith(VI_SUFFIX) and c[: -len(VI_SUFFIX)] in df.columns]
    if not companions:
        return df
    out = df.copy()
    if lang == "vi":
        for c in companions:
            out[c[: -len(VI_SUFFIX)]] = out[c]
    return out.drop(columns=companions)


def translated(text, lang: str) -> str:
    """A note in the reader's language (plain strings, written outside the catalogue, stay as they are)."""
    return text.vi if lang == "vi" and isinstance(text, Message) else text


def time_limit_message(err) -> Message:
    """A SolveTimeLimit (planner.errors) in plain words, in both languages."""
    gap = "?" if err.gap is None else f"{err.gap:.2%}"
    return message("solve_time_limit_no_plan", stage=err.stage, model=err.model, seconds=f"{err.seconds:g}", gap=gap)
