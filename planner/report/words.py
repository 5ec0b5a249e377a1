"""Words of the leadership workbook's summary, technical sheet and print notes: (Vietnamese, English) pairs.

Sentences are templates filled by planner.report.summary with the plan's own figures; every figure a
sentence names comes from the plan's tables or KPIs, never from this file.
"""

from __future__ import annotations

from .. import labels as L

TEXT: dict[str, tuple[str, str]] = {
    # print notes under a table's title (planner.report.sheets)
    "print_none": ("Bảng tra cứu, không in cùng tài liệu họp (muốn in: chọn vùng cần in rồi In > Vùng chọn)",
                   "Lookup table, not printed with the meeting papers (to print it: select the rows, then Print > "
                   "Selection)"),
    "print_rows": ("In {count} dòng có {rule} (xếp lên đầu); các dòng khác chỉ xem trên máy",
                   "Prints the {count} rows with {rule} (sorted first); the other rows are on screen only"),
    "print_columns": ("Cột có tiêu đề màu xám chỉ xem trên máy, không in",
                      "Columns with grey headers are on screen only, not printed"),
    # the summary
    "summary_heading": ("Tóm tắt cho lãnh đạo", "Leadership summary"),
    "created": ("lập ngày {date}", "made on {date}"),
    "headline": ("Các con số chính", "Headline figures"),
    "decisions": ("Cần cuộc họp quyết định", "For the meeting to decide"),
    "map_title": ("Số người thiếu theo xã", "People short by commune"),
    "map_legend": ("Số người thiếu", "People short"),
    "map_none": ("không thiếu", "none short"),
    "map_province": ("Ranh giới ước tính từ vị trí các xã, đơn vị cũ", "Outline estimated from commune and old-unit points"),
    "chart_shortage": ("Số người thiếu theo lĩnh vực", "People short by field"),
    "chart_surplus": ("Cán bộ dôi dư theo số năm đến tuổi nghỉ hưu", "Surplus staff by years to retirement"),
    "chart_surplus_field": ("Cán bộ dôi dư theo lĩnh vực", "Surplus staff by field"),
    "chart_data": ("Số liệu của biểu đồ (không in)", "Chart data (not printed)"),
    "model_notes": ("Ghi chú của mô hình (không in; xem thêm trang Thông tin kỹ thuật)",
                    "Notes from the models (not printed; see also the Technical information sheet)"),
    "people": ("người", "people"),
    "unit_hq": ("trụ sở", "HQs"),
    "unit_buildings": ("công trình", "buildings"),
    "unit_communes": ("xã", "communes"),
    "retire_past": ("Đã đến tuổi", "At or past the age"),
    "retire_2": ("Dưới 2 năm", "Under 2 years"),
    "retire_5": ("2 - 5 năm", "2 - 5 years"),
    "retire_10": ("5 - 10 năm", "5 - 10 years"),
    "retire_more": ("Trên 10 năm", "Over 10 years"),
    "retire_unknown": ("Không rõ", "Unknown"),
    "and_more": ("và {n} xã khác", "and {n} more"),
    "list_sep": ("; ", "; "),
    # headline figures: label, sentence (and the sentence when the figure is zero)
    "fig_shortage": ("Người còn thiếu", "People short"),
    "fig_shortage_text": ("Thiếu {n} người so với định mức tối thiểu, ở {communes} xã; nhiều nhất: {worst}.",
                          "{n} people short of the minimum staffing, in {communes} communes; most at {worst}."),
    "fig_shortage_zero": ("Mọi xã đủ số người tối thiểu theo định mức.", "Every commune has its minimum staff."),
    "fig_surplus": ("Cán bộ dôi dư", "Surplus staff"),
    "fig_surplus_text": ("{n} người chưa có vị trí; {soon} người đến tuổi nghỉ hưu trong 5 năm tới.",
                         "{n} officials without a post; {soon} reach retirement age within 5 years."),
    "fig_surplus_zero": ("Mọi cán bộ đều được bố trí vị trí.", "Every official has a post."),
    "fig_far": ("Đi làm xa trên {km} km", "Commute over {km} km"),
    "fig_far_text": ("{n} cán bộ phải đi làm xa hơn {km} km; xa nhất {max} km.",
                     "{n} officials commute farther than {km} km; the longest {max} km."),
    "fig_far_zero": ("Không cán bộ nào phải đi làm xa hơn {km} km.", "No official commutes farther than {km} km."),
    "fig_hq": ("Trụ sở cần mở rộng", "HQs to extend"),
    "fig_hq_text": ("{n} trụ sở cần mở rộng thêm {m2} m², chi phí mở rộng {cost}; {short} xã còn thiếu diện tích.",
                    "{n} HQs need {m2} m² more, extension cost {cost}; {short} communes still short of room."),
    "fig_hq_zero": ("Trụ sở được chọn đủ diện tích cho số cán bộ dự kiến.", "The chosen HQs have room for the planned staff."),
    "fig_buildings": ("Công trình dôi dư", "Surplus buildings"),
    "fig_buildings_text": ("{n} công trình không làm trụ sở hay điểm phục vụ: {by_use}.",
                           "{n} buildings are neither HQ nor service point: {by_use}."),
    "fig_buildings_zero": ("Mọi công trình đều làm trụ sở hoặc điểm phục vụ.", "Every building is an HQ or a service point."),
    "fig_equipment": ("Thiết bị mua mới", "Equipment to buy"),
    "fig_equipment_text": ("{n} thiết bị, {cost}, bằng {share} dự toán {budget}.",
                           "{n} items for {cost}, {share} of the {budget} budget."),
    "fig_equipment_nobudget": ("{n} thiết bị, {cost} (không giới hạn dự toán).",
                               "{n} items for {cost} (no budget limit)."),
    "fig_equipment_zero": ("Không cần mua thiết bị mới.", "No new equipment is needed."),
    "fig_service": ("Dân trong bán kính {km} km", "Residents within {km} km"),
    "fig_service_text": ("{share} người dân ở trong {km} km tới trụ sở hoặc điểm phục vụ; mở {points} điểm phục vụ.",
                         "{share} of residents live within {km} km of an HQ or service point; {points} service points "
                         "opened."),
    "fig_it": ("Xã chưa có hỗ trợ CNTT", "Communes without IT support"),
    "fig_it_text": ("{n} xã chưa có công chức CNTT hỗ trợ; {officers} công chức CNTT hỗ trợ các xã còn lại.",
                    "{n} communes have no IT officer supporting them; {officers} IT officers support the others."),
    "fig_it_zero": ("Mọi xã có công chức CNTT hỗ trợ ({officers} người).", "Every commune has IT support ({officers} "
                                                                           "officers)."),
    # decisions for the meeting, in the order they are considered (the first three that apply are shown)
    "dec_budget": ("{item}: cần {used}, vượt dự toán {budget} ({share}). Bổ sung kinh phí hay giãn tiến độ?",
                   "{item}: {used} needed, over the {budget} budget ({share}). Add funds or phase the work?"),
    "dec_shortage": ("Bù {n} người còn thiếu, nhiều nhất ở {worst}: tuyển dụng mới, điều động từ {surplus} cán bộ dôi dư "
                     "(sau bồi dưỡng) hay chấp nhận thiếu?",
                     "Fill {n} missing posts, most at {worst}: recruit, move some of the {surplus} surplus staff "
                     "(after retraining), or accept the gap?"),
    "dec_surplus": ("Giải quyết {n} cán bộ dôi dư theo chính sách tinh giản biên chế: {soon} người đến tuổi nghỉ hưu "
                    "trong 5 năm; {rest} người cần bố trí lại, đào tạo lại hoặc nghỉ theo chế độ.",
                    "Settle {n} surplus staff under the downsizing policy: {soon} reach retirement age within 5 years; "
                    "{rest} to redeploy, retrain or retire early."),
    "dec_unmet": ("{n} thiết bị ưu tiên 1 (quầy một cửa) còn thiếu: bổ sung kinh phí mua sắm?",
                  "{n} priority-1 items (one-stop counters) still missing: add purchase funds?"),
    "dec_hq_area": ("{n} xã có trụ sở còn thiếu diện tích cho số cán bộ bố trí: thuê thêm, mở rộng vượt dự toán hay "
                    "bố trí lại?", "{n} communes' HQs lack room for their staff: rent, extend beyond the budget, "
                                   "or re-assign?"),
    "dec_far": ("{n} cán bộ đi làm xa hơn {km} km: hỗ trợ đi lại, nhà công vụ hay điều chỉnh bố trí?",
                "{n} officials commute over {km} km: travel allowance, public housing, or re-assignment?"),
    "dec_buildings": ("Phê duyệt phương án xử lý {n} công trình dôi dư ({by_use}); giá trị bán hoặc cho thuê {value}.", "Approve the use of {n} surplus buildings ({by_use}); sale or lease value {value}."),
    "dec_it": ("{n} xã chưa có hỗ trợ CNTT: tuyển hoặc điều động công chức CNTT?",
               "{n} communes have no IT support: recruit or move IT officers?"),
    "dec_none": ("Không có vấn đề nào cần quyết định thêm: phương án đáp ứng định mức và dự toán.",
                 "Nothing more to decide: the plan meets the norms and the budgets."),
    # the technical sheet
    "provenance": ("Nguồn gốc phương án", "Where the plan comes from"),
    "all_kpis": ("Toàn bộ chỉ tiêu", "Every indicator"),
    "parameter_code": ("Mã tham số", "Parameter key"),
    "dual_note": ("Giá trị biên (trang Biên chế theo xã): số điểm chi phí mô hình tiết kiệm được nếu có thêm 1 người "
                  "ở vị trí đó. Cơ sở tính: {basis}.",
                  "Marginal value (sheet Staffing by commune): the cost points the model would save with one more "
                  "person in that post. Basis: {basis}."),
    # the staffing grid
    "grid_note": ("Một dòng mỗi xã; cột theo lĩnh vực: số người thiếu (ô trống = đủ), các lĩnh vực có xã thiếu",
                  "One row per commune; field columns: people short (blank = none), for the fields short somewhere"),
    "short_in": ("Thiếu: {field}", "Short: {field}"),
    # the surplus summary
    "surplus_total": ("Tổng số", "Total"),
    "surplus_soon": ("Nghỉ hưu trong 5 năm", "Retire within 5 years"),
}

# Scenario parameters: Vietnamese and English labels of the keys a planner changes (planner.scenario); the key
# itself stays beside the label on the technical sheet. Keys under a mapping of codes (penalties per field, m² per
# position) take the code's label after the parent's.
PARAMETERS: dict[str, tuple[str, str]] = {
    "name": ("Tên kịch bản", "Scenario name"),
    "description": ("Mô tả", "Description"),
    "solver.name": ("Bộ giải", "Solver"),
    "solver.time_limit_s": ("Thời gian giải tối đa (giây)", "Time limit (s)"),
    "solver.threads": ("Số luồng", "Threads"),
    "solver.seed": ("Hạt giống ngẫu nhiên", "Random seed"),
    "solver.mip_gap": ("Sai số tối ưu cho phép", "MIP gap"),
    "solver.msg": ("In nhật ký bộ giải", "Solver log"),
    "staffing.enabled": ("Bố trí cán bộ", "Staffing stage"),
    "staffing.candidate_radius_km": ("Bán kính xét bố trí (km)", "Candidate radius (km)"),
    "staffing.distance_threshold_km": ("Ngưỡng đi làm xa (km)", "Long-commute threshold (km)"),
    "staffing.cost_per_km": ("Điểm chi phí mỗi km đi làm", "Cost points per km"),
    "staffing.far_cost_per_km": ("Điểm chi phí mỗi km vượt ngưỡng", "Cost points per km beyond the threshold"),
    "staffing.secondary_field_cost": ("Chi phí bồi dưỡng lĩnh vực thứ hai", "Secondary-field retraining cost"),
    "staffing.allow_mismatch": ("Cho phép bố trí trái chuyên môn", "Allow mismatched fields"),
    "staffing.mismatch_cost": ("Chi phí bố trí trái chuyên môn", "Mismatch cost"),
    "staffing.continuity_bonus": ("Thưởng ở lại địa bàn cũ", "Continuity bonus"),
    "staffing.surplus_cost": ("Chi phí để cán bộ dôi dư", "Cost of a surplus official"),
    "staffing.shortage_penalty": ("Mức phạt thiếu 1 người", "Penalty per missing official"),
    "staffing.fairness": ("Ưu tiên công bằng giữa các xã", "Fairness between communes"),
    "staffing.fairness_tolerance": ("Dung sai công bằng", "Fairness tolerance"),
    "staffing.disruption_weight": ("Chi phí thay đổi so với phương án trước", "Disruption weight"),
    "staffing.reference_date": ("Ngày tính tuổi", "Reference date"),
    "staffing.previous_plan": ("Phương án trước", "Previous plan"),
    "staffing.max_candidate_communes": ("Số xã gần nhất được xét", "Nearest communes considered"),
    "staffing.candidates": ("Cách chọn cặp cán bộ - xã", "Candidate pairs"),
    "staffing.it_support.enabled": ("Lập phương án hỗ trợ CNTT", "IT support plan"),
    "staffing.it_support.hours_capacity": ("Giờ hỗ trợ tối đa của 1 công chức CNTT/tháng", "IT officer hours per month"),
    "staffing.it_support.base_hours": ("Giờ CNTT cơ bản của 1 xã/tháng", "Base IT hours per commune"),
    "staffing.it_support.hours_per_10k_residents": ("Giờ CNTT thêm mỗi 10.000 dân", "IT hours per 10,000 residents"),
    "staffing.it_support.visits_per_month": ("Số lần đến xã mỗi tháng", "Visits per month"),
    "staffing.it_support.travel_speed_kmh": ("Tốc độ đi lại (km/giờ)", "Travel speed (km/h)"),
    "staffing.it_support.radius_km": ("Bán kính hỗ trợ CNTT (km)", "IT support radius (km)"),
    "staffing.it_support.uncovered_penalty": ("Mức phạt xã không có hỗ trợ CNTT", "Penalty per uncovered commune"),
    "staffing.retraining_limit": ("Giới hạn số người bồi dưỡng theo lĩnh vực", "Retraining limit per field"),
    "assets.enabled": ("Lập phương án tài sản", "Assets stages"),
    "assets.m2_per_official": ("Diện tích làm việc mỗi người (m²)", "Working area per official (m²)"),
    "assets.shared_area_factor": ("Hệ số diện tích dùng chung", "Shared-area factor"),
    "assets.hq_candidate_radius_km": ("Bán kính chọn trụ sở (km)", "HQ candidate radius (km)"),
    "assets.citizen_cost_per_km": ("Điểm chi phí đi lại của dân mỗi km", "Citizen cost per km"),
    "assets.staff_commute_cost_per_km": ("Điểm chi phí đi làm của cán bộ mỗi km", "Staff commute cost per km"),
    "assets.service_distance_km": ("Bán kính phục vụ (km)", "Service distance (km)"),
    "assets.service_capacity": ("Số dân tối đa 1 điểm phục vụ", "Residents per service point"),
    "assets.single_source": ("Mỗi đơn vị cũ do một nơi phục vụ", "One serving site per old unit"),
    "assets.service_point_fixed_cost": ("Chi phí cố định 1 điểm phục vụ (đồng)", "Service point fixed cost (VND)"),
    "assets.renovation_budget_vnd": ("Dự toán cải tạo (đồng)", "Renovation budget (VND)"),
    "assets.equipment_budget_vnd": ("Dự toán mua sắm thiết bị (đồng)", "Equipment budget (VND)"),
    "assets.equipment_budget_covers": ("Dự toán thiết bị chi cho", "Equipment budget pays for"),
    "assets.service_point_gap_vnd": ("Sai số cho phép khi chọn điểm phục vụ, mỗi xã (đồng)",
                                     "Service point choice: accepted gap per commune (VND)"),
    "assets.price_uplift": ("Tỷ lệ tăng giá", "Price uplift"),
    "assets.housing_for_officials": ("Bố trí nhà công vụ", "Public housing for officials"),
    "assets.housing_distance_km": ("Khoảng cách được xét nhà công vụ (km)", "Housing distance (km)"),
    "assets.housing_m2_per_official": ("Diện tích nhà công vụ mỗi người (m²)", "Housing m² per official"),
    "assets.idle_years": ("Số năm tính chi phí để trống", "Idle years"),
    "assets.vnd_per_cost_point": ("Số đồng mỗi điểm chi phí", "VND per cost point"),
    "assets.allow_sale": ("Cho phép bán hoặc cho thuê", "Allow sale or lease"),
    "assets.public_use_first": ("Ưu tiên mục đích công", "Public use first"),
    "assets.housing_value_per_m2_vnd": ("Giá trị nhà công vụ mỗi m² (đồng)", "Housing value per m² (VND)"),
    "assets.equipment_candidate_communes": ("Số xã nhận thiết bị được xét", "Communes considered per item"),
    "norm_overrides": ("Điều chỉnh định mức", "Norm overrides"),
}

# Parent keys whose children are codes of a code list: the child's label is the code's label.
CODE_CHILDREN: dict[str, str] = {"staffing.shortage_penalty": "field", "staffing.retraining_limit": "field",
                                 "assets.m2_per_official": "position"}


def text(key: str, lang: str) -> str:
    return TEXT[key][L.LANGS.index(L.check_lang(lang))]


def parameter_label(key: str, lang: str) -> str:
    """The label of a scenario key in `lang`; '' when there is none (the key is then shown alone)."""
    k = L.LANGS.index(L.check_lang(lang))
    if key in PARAMETERS:
        return PARAMETERS[key][k]
    parent, _, child = key.rpartition(".")
    if parent in CODE_CHILDREN and parent in PARAMETERS:
        code = L.value_label(CODE_CHILDREN[parent], child, lang)
        if child == "default":
            code = {"vi": "mặc định", "en": "default"}[lang]
        return f"{PARAMETERS[parent][k]} — {code}"
    return ""
