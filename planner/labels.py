"""Vietnamese and English labels for the leadership workbook: sheet names, headers, values.

Every label is a (vi, en) pair. Unknown names fall back to a humanized form of the machine name,
so a model may add tables or columns without breaking the workbook. KPI labels are declared with
the KPIs themselves (planner/schema/kpis.csv, planner.kpis).
"""

from __future__ import annotations

import re

from . import vocab

LANGS = ("vi", "en")

# Result tables in workbook order: name -> (vi sheet, en sheet). Sheet names stay within 31 characters.
SHEETS: dict[str, tuple[str, str]] = {
    "summary": ("Tóm tắt cho lãnh đạo", "Leadership summary"),
    "staffing_grid": ("Thiếu hụt theo xã", "Shortage by commune"),
    "surplus_summary": ("Tổng hợp cán bộ dôi dư", "Surplus staff overview"),
    "technical": ("Thông tin kỹ thuật", "Technical information"),
    "staffing_by_commune": ("Biên chế theo xã", "Staffing by commune"),
    "assignments": ("Phân công cán bộ", "Assignments"),
    "surplus_officials": ("Cán bộ dôi dư", "Surplus staff"),
    "recruitment_needs": ("Nhu cầu tuyển dụng", "Recruitment needs"),
    "it_coverage": ("Hỗ trợ CNTT", "IT coverage"),
    "it_officer_load": ("Tải công chức CNTT", "IT officer load"),
    "hq_plan": ("Trụ sở xã", "HQ plan"),
    "hq_area_check": ("Kiểm tra diện tích trụ sở", "HQ area check"),
    "training_needs": ("Nhu cầu bồi dưỡng", "Training needs"),
    "service_points": ("Điểm phục vụ", "Service points"),
    "service_coverage": ("Vùng phục vụ", "Service coverage"),
    "building_uses": ("Sử dụng công trình", "Building uses"),
    "surplus_buildings": ("Công trình dôi dư", "Surplus buildings"),
    "housing_needs": ("Nhu cầu nhà công vụ", "Public housing needs"),
    "equipment_demand": ("Nhu cầu thiết bị", "Equipment demand"),
    "equipment_transfers": ("Điều chuyển thiết bị", "Equipment transfers"),
    "equipment_repairs": ("Sửa chữa thiết bị", "Equipment repairs"),
    "equipment_purchases": ("Mua sắm thiết bị", "Equipment purchases"),
    "unmet_equipment": ("Thiết bị còn thiếu", "Unmet equipment"),
    "surplus_equipment": ("Thiết bị dôi dư", "Surplus equipment"),
    "equipment_balance": ("Cân đối thiết bị", "Equipment balance"),
    "norms_used": ("Định mức áp dụng", "Norms applied"),
    "plans": ("Các phương án so sánh", "Plans compared"),
    # planner norms
    "norms_by_commune": ("Biên chế từng xã", "Quota by commune"),
    "norms_by_field": ("Định mức theo lĩnh vực", "Norms by field"),
    # scenario comparison (planner.compare)
    "kpis": ("So sánh kịch bản", "Scenario comparison"),
    "moved_officials": ("SS - Cán bộ thay đổi", "Cmp - Moved officials"),
    "shortage_delta": ("SS - Thiếu hụt", "Cmp - Shortage delta"),
    "building_changes": ("SS - Công trình", "Cmp - Building changes"),
    "purchase_changes": ("SS - Mua sắm", "Cmp - Purchase changes"),
    # infeasibility explanation
    "explanation": ("Giải thích", "Explanation"),
    "conflicts": ("Xung đột", "Conflicts"),
}

COLUMNS: dict[str, tuple[str, str]] = {
    "current_field": ("Lĩnh vực hiện tại", "Current field"),
    "available_m2": ("Diện tích hiện có và mở rộng (m²)", "Area with extension (m²)"),
    "missing_m2": ("Diện tích còn thiếu (m²)", "Area still missing (m²)"),
    "document": ("Văn bản", "Document"),
    "official_id": ("Mã cán bộ", "Official ID"),
    "officer_id": ("Mã công chức CNTT", "IT officer ID"),
    "name": ("Họ và tên", "Name"),
    "old_unit_id": ("Mã đơn vị cũ", "Old unit ID"),
    "old_unit_name": ("Đơn vị cũ", "Old unit"),
    "commune_code": ("Mã xã", "Commune code"),
    "commune_name": ("Xã mới", "New commune"),
    "position": ("Chức danh", "Position"),
    "field": ("Lĩnh vực", "Field"),
    "secondary_field": ("Lĩnh vực thứ hai", "Secondary field"),
    "match": ("Mức phù hợp chuyên môn", "Field match"),
    "pinned": ("Đã chốt", "Pinned"),
    "own_area": ("Ở lại địa bàn cũ", "Stays in own area"),
    "distance_km": ("Khoảng cách (km)", "Distance (km)"),
    "cost_distance": ("Chi phí đi lại", "Commute cost"),
    "cost_field": ("Chi phí bồi dưỡng", "Retraining cost"),
    "bonus_continuity": ("Thưởng ổn định", "Continuity bonus"),
    "cost_disruption": ("Chi phí thay đổi", "Disruption cost"),
    "cost_pair": ("Ưu tiên riêng", "Pair preference"),
    "total_cost": ("Tổng điểm chi phí", "Total cost points"),
    "runner_up_commune": ("Xã thay thế tốt nhất", "Runner-up commune"),
    "runner_up_extra_cost": ("Chi phí thêm nếu thay thế", "Runner-up extra cost"),
    "qualification": ("Trình độ", "Qualification"),
    "birth_year": ("Năm sinh", "Birth year"),
    "gender": ("Giới tính", "Gender"),
    "years_of_service": ("Số năm công tác", "Years of service"),
    "age": ("Tuổi (tại ngày lập phương án)", "Age (at the plan date)"),
    "retirement_age": ("Tuổi nghỉ hưu theo lộ trình", "Statutory retirement age"),
    "years_to_retirement": ("Số năm đến tuổi nghỉ hưu", "Years to retirement"),
    "surplus_reason": ("Nhóm lý do", "Reason code"),
    "reason": ("Lý do", "Reason"),
    "required_min": ("Định mức tối thiểu", "Required minimum"),
    "required_max": ("Định mức tối đa", "Required maximum"),
    "assigned": ("Đã bố trí", "Assigned"),
    "shortage": ("Thiếu", "Shortage"),
    "surplus": ("Dôi dư", "Surplus"),
    "shortage_ratio": ("Tỷ lệ thiếu", "Shortage ratio"),
    "marginal_value": ("Giá trị biên thêm 1 người", "Marginal value of one more"),
    "marginal_value_basis": ("Cơ sở tính giá trị biên", "Marginal value basis"),
    "count": ("Số lượng", "Count"),
    "officer_commune_code": ("Mã xã của công chức CNTT", "Officer's commune code"),
    "officer_commune_name": ("Xã của công chức CNTT", "Officer's commune"),
    "travel_km": ("Quãng đường đi hỗ trợ (km)", "Support travel (km)"),
    "hours": ("Giờ/tháng", "Hours per month"),
    "covered": ("Được hỗ trợ", "Covered"),
    "communes_served": ("Số xã hỗ trợ", "Communes served"),
    "capacity": ("Năng lực", "Capacity"),
    "building_id": ("Mã công trình", "Building ID"),
    "building_name": ("Tên công trình", "Building"),
    "lon": ("Kinh độ", "Longitude"),
    "lat": ("Vĩ độ", "Latitude"),
    "floor_area_m2": ("Diện tích sàn (m²)", "Floor area (m²)"),
    "required_area_m2": ("Diện tích cần (m²)", "Required area (m²)"),
    "extension_m2": ("Diện tích mở rộng (m²)", "Extension (m²)"),
    "renovation_cost_vnd": ("Chi phí cải tạo (đồng)", "Renovation cost (VND)"),
    "extension_cost_vnd": ("Chi phí mở rộng (đồng)", "Extension cost (VND)"),
    "planned_staff": ("Số cán bộ dự kiến", "Planned staff"),
    "citizen_mean_km": ("Quãng đường TB của dân (km)", "Mean citizen travel (km)"),
    "citizen_max_km": ("Quãng đường xa nhất của dân (km)", "Longest citizen travel (km)"),
    "staff_mean_km": ("Quãng đường TB của cán bộ (km)", "Mean staff commute (km)"),
    "distance_to_centre_km": ("Cách trung tâm xã (km)", "Distance to commune centre (km)"),
    "citizen_cost_vnd": ("Chi phí đi lại của dân (đồng)", "Citizen travel cost (VND)"),
    "commute_cost_vnd": ("Chi phí đi lại của cán bộ (đồng)", "Staff commute cost (VND)"),
    "old_units_served": ("Số đơn vị cũ được phục vụ", "Old units served"),
    "within_distance": ("Trong bán kính phục vụ", "Within service distance"),
    "shortfall": ("Thiếu hụt phục vụ", "Service shortfall"),
    "condition": ("Hiện trạng", "Condition"),
    "officials_far": ("Số cán bộ ở xa", "Officials living far"),
    "m2_needed": ("Diện tích nhà công vụ cần (m²)", "Housing area needed (m²)"),
    "m2_provided": ("Diện tích nhà công vụ bố trí (m²)", "Housing area provided (m²)"),
    "surplus_value_vnd": ("Giá trị dôi dư (đồng)", "Surplus value (VND)"),
    "priority": ("Mức ưu tiên", "Priority"),
    "residents_served": ("Số dân phục vụ", "Residents served"),
    "fixed_cost_vnd": ("Chi phí cố định (đồng)", "Fixed cost (VND)"),
    "served_by_building_id": ("Phục vụ bởi công trình", "Served by building"),
    "served_by_building_name": ("Tên công trình phục vụ", "Serving building"),
    "site_kind": ("Loại điểm", "Site kind"),
    "residents": ("Số dân", "Residents"),
    "share": ("Tỷ lệ", "Share"),
    "use": ("Mục đích sử dụng", "Use"),
    "serves_commune_code": ("Mã xã được phục vụ", "Serves commune code"),
    "serves_commune_name": ("Xã được phục vụ", "Serves commune"),
    "value_vnd": ("Giá trị (đồng)", "Value (VND)"),
    "cost_vnd": ("Chi phí (đồng)", "Cost (VND)"),
    "note": ("Ghi chú", "Note"),
    "from_old_unit_id": ("Mã đơn vị chuyển đi", "From old unit ID"),
    "from_old_unit_name": ("Đơn vị chuyển đi", "From old unit"),
    "to_commune_code": ("Mã xã nhận", "To commune code"),
    "to_commune_name": ("Xã nhận", "To commune"),
    "to_building_id": ("Công trình nhận", "To building"),
    "to_building_name": ("Tên công trình nhận", "Receiving building"),
    "item_type": ("Loại thiết bị", "Item type"),
    "repaired": ("Đã sửa chữa", "Repaired"),
    "km": ("Cự ly vận chuyển (km)", "Transport distance (km)"),
    "transport_cost_vnd": ("Chi phí vận chuyển (đồng)", "Transport cost (VND)"),
    "unit_price_vnd": ("Đơn giá (đồng)", "Unit price (VND)"),
    "inventory": ("Tồn kho", "Inventory"),
    "kept": ("Giữ lại", "Kept"),
    "moved": ("Điều chuyển", "Moved"),
    "disposed": ("Thanh lý", "Disposed"),
    "demand": ("Nhu cầu", "Demand"),
    "supplied_existing": ("Đáp ứng từ thiết bị có", "Supplied from existing"),
    "purchased": ("Mua mới", "Purchased"),
    "unmet": ("Còn thiếu", "Unmet"),
    # comparison tables
    "stage": ("Giai đoạn", "Stage"),
    "kpi": ("Chỉ tiêu", "Indicator"),
    "value": ("Giá trị", "Value"),
    "unit": ("Đơn vị", "Unit"),
    "delta": ("Chênh lệch", "Difference"),
    "changes": ("Thay đổi", "Changes"),
    "count_delta": ("Chênh lệch số lượng", "Count difference"),
    "cost_delta_vnd": ("Chênh lệch chi phí (đồng)", "Cost difference (VND)"),
    # infeasibility conflicts
    "limit": ("Giới hạn", "Limit"),
    "limit_value": ("Mức giới hạn", "Limit value"),
    "over": ("Vượt", "Over by"),
    "line": ("Giải thích", "Explanation"),
    # solver runs
    "model": ("Mô hình", "Model"),
    "solver": ("Bộ giải", "Solver"),
    "solver_version": ("Phiên bản bộ giải", "Solver version"),
    "status": ("Trạng thái", "Status"),
    "objective": ("Giá trị mục tiêu", "Objective"),
    "gap": ("Sai số tối ưu", "Gap"),
    "build_seconds": ("Dựng mô hình (giây)", "Build (s)"),
    "solve_seconds": ("Giải (giây)", "Solve (s)"),
    "variables": ("Số biến", "Variables"),
    "constraints": ("Số ràng buộc", "Constraints"),
    "key": ("Mục", "Item"),
    "parameter": ("Tham số", "Parameter"),
    # input checks and the data overview (planner.validate, the data-check screen)
    "file": ("File", "File"),
    "sheet": ("Trang tính", "Sheet"),
    "row": ("Dòng", "Row"),
    "column": ("Cột", "Column"),
    "expected": ("Yêu cầu", "Expected"),
    "problem": ("Lỗi", "Problem"),
    "table": ("Bảng", "Table"),
    "rows": ("Số dòng", "Rows"),
    "figure": ("Nội dung", "Figure"),
    "commune_type": ("Loại đơn vị", "Unit type"),
    "old_unit_kind": ("Loại đơn vị cũ", "Old unit kind"),
    "old_code": ("Mã cũ", "Old code"),
    "district": ("Huyện cũ", "Former district"),
    "area_km2": ("Diện tích (km²)", "Area (km²)"),
    "population": ("Dân số", "Population"),
    "population_share": ("Tỷ lệ dân số", "Population share"),
    # the government staff quota and the norms a plan used (planner.norms_used)
    "mountainous": ("Miền núi, vùng cao", "Mountainous"),
    "in_quota": ("Tính vào biên chế", "Counts in the quota"),
    "quota": ("Biên chế được giao", "Staff quota"),
    "quota_rule": ("Quy tắc tính biên chế", "Quota rule"),
    "quota_basis": ("Loại căn cứ biên chế", "Quota basis"),
    "quota_source": ("Căn cứ biên chế", "Quota source"),
    "quota_basis": ("Loại căn cứ biên chế", "Quota basis"),
    "required_min_in_quota": ("Tổng định mức tối thiểu trong biên chế", "Minimums within the quota"),
    "kind": ("Loại định mức", "Kind of rule"),
    "rule_id": ("Mã quy định", "Rule ID"),
    "subject": ("Đối tượng", "Applies to what"),
    "applies_to": ("Phạm vi áp dụng", "Applies where"),
    "rule": ("Nội dung định mức", "What the rule says"),
    "communes": ("Số xã áp dụng", "Communes"),
    "source": ("Căn cứ", "Source"),
    "basis": ("Loại căn cứ", "Basis"),
    "confidence": ("Mức tin cậy", "Confidence"),
    "changed": ("Cột khác mẫu", "Changed columns"),
    "retire_soon": ("Đến tuổi nghỉ hưu trong 5 năm", "Reach retirement age within 5 years"),
    # the plan register (planner.register) and the plans compared (planner.compare.plans_provenance)
    "plan": ("Phương án", "Plan"),
    "plan_name": ("Tên phương án", "Plan name"),
    "province": ("Tỉnh", "Province"),
    "plan_status": ("Trạng thái phương án", "Plan status"),
    "plan_version": ("Lần lưu", "Version"),
    "saved_at": ("Lưu lúc (UTC)", "Saved at (UTC)"),
    "saved_by": ("Người lưu", "Saved by"),
    "reviewed_by": ("Người rà soát", "Reviewed by"),
    "reviewed_at": ("Rà soát lúc (UTC)", "Reviewed at (UTC)"),
    "approved_by": ("Người phê duyệt", "Approved by"),
    "approved_at": ("Phê duyệt lúc (UTC)", "Approved at (UTC)"),
    "data_hash": ("Mã kiểm tra dữ liệu", "Input data hash"),
    "scenario_name": ("Kịch bản", "Scenario"),
    "scenario_digest": ("Mã kiểm tra kịch bản", "Scenario digest"),
    "created_utc": ("Thời điểm lập (UTC)", "Created (UTC)"),
    "data_source": ("Dữ liệu đầu vào", "Input data"),
    "planner_version": ("Phiên bản phần mềm", "Planner version"),
    "event": ("Việc", "Event"),
    "from_status": ("Từ trạng thái", "From"),
    "to_status": ("Sang trạng thái", "To"),
    "by": ("Người thực hiện", "By"),
    "at": ("Thời điểm (UTC)", "At (UTC)"),
}

# Which vocabulary translates a column's values.
VALUE_KIND: dict[str, str] = {
    "field": "field", "secondary_field": "field", "current_field": "field", "position": "position", "fixed_position": "position",
    "use": "use", "item_type": "item_type", "site_kind": "site_kind", "match": "match",
    "condition": "condition", "qualification": "qualification", "status": "status",
    "stage": "stage", "marginal_value_basis": "basis", "changes": "changes",
    "commune_type": "commune_type", "gender": "gender", "grade": "grade",
    "kind": "norm_kind", "basis": "basis", "quota_basis": "basis", "confidence": "confidence", "changed": "norm_column",
    "surplus_reason": "surplus_reason",
    "plan_status": "plan_status", "from_status": "plan_status", "to_status": "plan_status", "event": "register_event",
}

# Columns holding a comma-separated list of codes (each code is labelled).
LIST_COLUMNS: tuple[str, ...] = ("changes", "changed")

# Value kinds whose codes are declared in the code lists (planner/schema/vocab): the labels come from there.
VOCAB_KINDS: dict[str, tuple[str, ...]] = {
    "field": ("fields",), "position": ("positions",), "item_type": ("item_types",),
    "qualification": ("qualifications",), "grade": ("grades",), "gender": ("genders",),
    "commune_type": ("commune_types",), "old_unit_kind": ("old_unit_kinds",), "building_kind": ("building_kinds",),
    "condition": ("building_conditions", "equipment_conditions"), "use": ("building_uses", "building_current_uses"),
    "equipment_basis": ("equipment_bases",), "cost_parameter": ("cost_parameters",), "stage": ("stages",),
    "surplus_reason": ("surplus_reasons",),
}

# Value kinds of the outputs only (not input codes), and older aliases.
EXTRA_VALUES: dict[str, dict[str, tuple[str, str]]] = {
    "use": {  # older names a workbook may still carry; the codes themselves come from building_uses / building_current_uses
        "hq": ("Trụ sở xã", "Commune headquarters"),
        "public_housing": ("Nhà công vụ", "Public housing"),
        "lease": ("Cho thuê", "Lease"),
        "sale": ("Bán", "Sale"),
        "sell": ("Bán", "Sale"),
        "auction": ("Đấu giá", "Auction"),
        "lease_sale": ("Cho thuê / bán / đấu giá", "Lease / sale / auction"),
        "keep_idle": ("Tạm để trống", "Kept idle"),
        "dispose": ("Thanh lý", "Dispose"),
        "demolish": ("Phá dỡ", "Demolish"),
    },
    "site_kind": {
        "hq": ("Trụ sở xã", "Headquarters"),
        "service_point": ("Điểm phục vụ", "Service point"),
    },
    "match": {
        "primary": ("Đúng chuyên môn", "Primary field"),
        "secondary": ("Chuyên môn thứ hai", "Secondary field"),
        "mismatch": ("Trái chuyên môn", "Mismatched field"),
        "pinned": ("Theo quyết định đã chốt", "Pinned decision"),
    },
    "status": {
        "optimal": ("Tối ưu", "Optimal"), "infeasible": ("Không khả thi", "Infeasible"),
        "unbounded": ("Không bị chặn", "Unbounded"), "time_limit": ("Hết thời gian", "Time limit"),
        "error": ("Lỗi", "Error"),
        # a rule of norms_used against the bundled reference
        "reference": ("Theo mẫu", "Reference"), "overridden": ("Tỉnh sửa mẫu", "Overridden"),
        "province": ("Quy định của tỉnh", "Province's own"), "scenario": ("Theo kịch bản", "Scenario"),
    },
    "plan_status": {
        "draft": ("Dự thảo", "Draft"), "reviewed": ("Đã rà soát", "Reviewed"), "approved": ("Đã phê duyệt", "Approved"),
    },
    "register_event": {  # planner.register: saves and status changes
        "saved": ("Lưu mới", "Saved"), "overwritten": ("Lưu đè", "Overwritten"), "review": ("Rà soát", "Reviewed"),
        "approve": ("Phê duyệt", "Approved"), "draft": ("Trả về dự thảo", "Back to draft"),
    },
    "basis": {
        "lp_relaxation": ("Nới lỏng tuyến tính", "LP relaxation"),
        "fixed_integer": ("Giải lại với biến nguyên cố định", "Fixed-integer re-solve"),
        "LP relaxation dual (the LP optimum is integral)": (
            "Giá trị đối ngẫu của bài toán nới lỏng tuyến tính (nghiệm là số nguyên)",
            "LP relaxation dual (the LP optimum is integral)"),
        "fixed-integer re-solve dual": ("Giá trị đối ngẫu khi giải lại với biến nguyên cố định",
                                        "Fixed-integer re-solve dual"),
        "no minimum": ("Không có định mức tối thiểu", "No minimum"),
        # what a norm rests on
        "law": ("Luật, nghị định, quyết định", "Law"),
        "guidance": ("Công văn, hướng dẫn", "Guidance"),
        "assumption": ("Giả định (tỉnh tự xác định)", "Assumption"),
    },
    "confidence": {"high": ("Cao", "High"), "medium": ("Trung bình", "Medium"), "low": ("Thấp", "Low")},
    "norm_kind": {
        "staffing_quota": ("Biên chế", "Staff quota"),
        "staffing_norm": ("Định mức cán bộ", "Staffing norm"),
        "equipment_norm": ("Định mức thiết bị", "Equipment norm"),
        "price": ("Đơn giá", "Price"),
        "building_priority": ("Ưu tiên sử dụng trụ sở dôi dư", "Building-use priority"),
        "office_area": ("Diện tích làm việc", "Office area"),
    },
    "norm_column": {
        "commune_code": ("Xã", "Commune"), "commune_type": ("Loại đơn vị", "Unit type"),
        "min_population": ("Dân số từ", "Population from"), "max_population": ("Dân số dưới", "Population below"),
        "field": ("Lĩnh vực", "Field"), "position": ("Chức danh", "Position"),
        "min_count": ("Số tối thiểu", "Minimum"), "max_count": ("Số tối đa", "Maximum"),
        "per_10k_residents": ("Số thêm mỗi 10.000 dân", "Per 10,000 residents"),
        "item_type": ("Loại thiết bị", "Item type"), "basis": ("Đơn vị tính", "Counted per"),
        "quantity": ("Số lượng", "Quantity"), "priority": ("Mức ưu tiên", "Priority"),
        "max_per_commune": ("Tối đa mỗi xã", "Cap per commune"), "value": ("Giá trị", "Value"),
        "price_uplift": ("Tỷ lệ tăng giá", "Price uplift"), "m2_per_official": ("Diện tích mỗi người", "Area per person"),
        "shared_area_factor": ("Hệ số diện tích dùng chung", "Shared-area factor"),
    },
    "changes": {
        "commune": ("Xã", "Commune"), "position": ("Chức danh", "Position"), "field": ("Lĩnh vực", "Field"),
        "use": ("Mục đích", "Use"), "serves_commune_code": ("Xã được phục vụ", "Served commune"),
    },
    "bool": {"true": ("Có", "Yes"), "false": ("Không", "No")},
    "unit": {
        "officials": ("người", "officials"), "people": ("người", "people"), "residents": ("người", "residents"),
        "VND": ("đồng", "VND"), "items": ("chiếc", "items"), "buildings": ("công trình", "buildings"),
        "communes": ("xã", "communes"), "hours": ("giờ", "hours"), "km": ("km", "km"), "%": ("%", "%"),
        "m2": ("m²", "m²"), "m²": ("m²", "m²"), "ratio": ("tỷ lệ", "ratio"), "points": ("điểm", "points"), "rounds": ("vòng", "rounds"),
        "seconds": ("giây", "seconds"), "s": ("giây", "s"), "cost points": ("điểm chi phí", "cost points"),
    },
}

# Words on the Summary sheet and elsewhere.
TEXT: dict[str, tuple[str, str]] = {
    "norms_no_document": ("Không có số liệu trong văn bản (xem cột căn cứ)", "No figure in a legal text (see the source column)"),
    "title": ("Phương án sắp xếp cán bộ và tài sản công", "Plan for staff and public assets"),
    "province": ("Tỉnh", "Province"),
    "scenario": ("Kịch bản", "Scenario"),
    "plan_status": ("Trạng thái phương án", "Plan status"),
    "created_utc": ("Thời điểm lập (UTC)", "Created (UTC)"),
    "data_source": ("Dữ liệu đầu vào", "Input data"),
    "data_hash": ("Mã kiểm tra dữ liệu", "Input data hash"),
    "scenario_digest": ("Mã kiểm tra kịch bản", "Scenario digest"),
    "planner_version": ("Phiên bản phần mềm", "Planner version"),
    "stages": ("Các bước đã chạy", "Stages run"),
    "key_figures": ("Các chỉ tiêu chính", "Key figures"),
    "budget": ("Ngân sách", "Budget"),
    "budget_item": ("Khoản mục", "Item"),
    "budget_limit": ("Dự toán (đồng)", "Budget (VND)"),
    "budget_used": ("Sử dụng (đồng)", "Used (VND)"),
    "budget_share": ("Tỷ lệ sử dụng", "Share used"),
    "equipment_budget": ("Mua sắm thiết bị", "Equipment purchases"),
    "renovation_budget": ("Cải tạo, mở rộng trụ sở", "HQ renovation and extension"),
    "solver_runs": ("Lần giải mô hình", "Solver runs"),
    "parameters": ("Tham số kịch bản", "Scenario parameters"),
    "notes": ("Ghi chú", "Notes"),
    "chart_data": ("Số liệu biểu đồ", "Chart data"),
    "shortage_by_field": ("Thiếu hụt cán bộ theo lĩnh vực", "Staff shortage by field"),
    "purchase_cost_by_item": ("Chi phí mua sắm theo loại thiết bị", "Purchase cost by item type"),
    "buildings_by_use": ("Số công trình theo mục đích sử dụng", "Buildings by use"),
    "people": ("Số người", "People"),
    "buildings": ("Số công trình", "Buildings"),
    "page": ("Trang &P / &N", "Page &P of &N"),
    "comparison_title": ("So sánh các kịch bản", "Scenario comparison"),
    "infeasible_title": ("Kịch bản không thể đáp ứng", "The scenario cannot be met"),
    "infeasible_stage": ("Bước", "Stage"),
    "infeasible_hint": ("Hãy nới các giới hạn nêu trên (định mức, ngân sách, cán bộ đã chốt) rồi chạy lại.",
                        "Relax the limits named above (norms, budgets, pinned officials) and run again."),
    "rows": ("dòng", "rows"),
    "no_rows": ("(không có dòng nào)", "(no rows)"),
    "surplus_marker": ("(dôi dư)", "(surplus)"),
    "norms_applied": ("Định mức áp dụng", "Norms applied"),
    "norms_line": ("{total} quy định: {reference} theo mẫu, {overridden} tỉnh sửa mẫu, {province} của tỉnh, "
                   "{scenario} theo kịch bản; biên chế theo {quota_source} (xem trang Định mức áp dụng)",
                   "{total} rules: {reference} reference, {overridden} overridden, {province} the province's own, "
                   "{scenario} from the scenario; staff quota per {quota_source} (see the sheet Norms applied)"),
    "quota_by_province": ("quy định riêng của tỉnh (dòng total)", "the province's own total rows"),
    "norms_heading": ("{province}: {count} xã, phường, đặc khu; biên chế khối chính quyền theo {sources}",
                      "{province}: {count} communes; government staff quota per {sources}"),
    "norms_rules_heading": ("Quy tắc biên chế và định mức theo lĩnh vực ({count} quy định; căn cứ đầy đủ: --out)",
                            "Quota rules and norms by field ({count} rules; full sources: --out)"),
    # output paths of `planner solve` (planner.files.check_output_path, planner.cli)
    "out_is_folder": ("{path} là một thư mục, không phải tệp; hãy chọn tên tệp kết quả khác",
                      "{path} is a folder, not a file; choose another output name"),
    "out_not_folder": ("{path} là một tệp, không phải thư mục; hãy chọn thư mục CSV khác",
                       "{path} is a file, not a folder; choose another CSV folder"),
    "out_is_input": ("{path} là dữ liệu đầu vào {source}; hãy chọn tên kết quả khác",
                     "{path} is the input {source}; choose another output name"),
    "out_parent_not_folder": ("không tạo được thư mục cho {path}: {parent} là một tệp",
                              "cannot make the folder for {path}: {parent} is a file"),
    "out_not_writable": ("không có quyền ghi vào thư mục {parent}", "cannot write in the folder {parent}"),
    "out_not_xlsx": ("--out phải là tệp Excel .xlsx, không phải {name}", "--out must name an .xlsx workbook, not {name}"),
    "out_write_failed": ("không ghi được kết quả ({error}); không có tệp nào được ghi",
                         "could not write the results ({error}); nothing was written"),
    "interrupted": ("Đã dừng (Ctrl-C); không có tệp nào được ghi.", "Stopped (Ctrl-C); nothing was written."),
    # the plan register (planner plans, planner solve --save, planner compare)
    "register_at": ("Sổ phương án: {url}", "Plan register: {url}"),
    "register_empty": ("Sổ phương án chưa có phương án nào ({url}).", "The plan register has no plans yet ({url})."),
    "plan_saved": ("Đã lưu phương án «{name}» (lần lưu {version}, trạng thái Dự thảo) vào {url}.",
                   "Saved the plan '{name}' (version {version}, status Draft) in {url}."),
    "plan_moved": ("Phương án «{name}»: {status} ({by}, {at}).", "Plan '{name}': {status} ({by}, {at})."),
    "no_saved_workbook": ("Phương án «{name}» được lưu không kèm bảng tính.", "The plan '{name}' was saved without a workbook."),
    "plan_deleted": ("Đã xoá phương án «{name}».", "Deleted the plan '{name}'."),
    "plan_history": ("Lịch sử lưu và chuyển trạng thái", "Saves and status changes"),
    "plan_tables": ("Các bảng kết quả", "Result tables"),
    "save_not_done": ("chưa lưu vào sổ phương án: {error} (tệp kết quả vẫn được ghi: {path})",
                      "not saved in the plan register: {error} (the result files were written: {path})"),
    "status_flag_refused": ("--status {status}: trạng thái phương án chỉ thay đổi qua sổ phương án, có ghi người và thời "
                            "điểm (planner solve ... --save TÊN, rồi planner plans review / approve TÊN --by NGƯỜI).",
                            "--status {status}: a plan's status only changes in the plan register, which records who and "
                            "when (planner solve ... --save NAME, then planner plans review / approve NAME --by WHO)."),
    "comparison_written": ("Đã ghi bảng so sánh: {path} ({kpis} chỉ tiêu khác nhau, {moved} cán bộ đổi vị trí).",
                           "Comparison written: {path} ({kpis} KPIs differ, {moved} officials change post)."),
    "compare_needs_two": ("cần ít nhất hai phương án để so sánh", "comparing needs at least two plans"),
    "compare_unreadable": ("không đọc được phương án từ {path}: {error}", "cannot read a plan from {path}: {error}"),
    "compare_no_kpis": ("{path}: tệp không có trang dữ liệu ẩn planner_data (tệp cũ?) nên không so sánh được chỉ tiêu",
                        "{path}: no hidden planner_data sheet (an older file?), so its KPIs are not compared"),
}


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[LANGS.index(lang)]


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"language must be one of {', '.join(LANGS)}, not {lang!r}")
    return lang


def humanize(name: str) -> str:
    """'cost_vnd_total' -> 'Cost vnd total' for names without a label."""
    text = re.sub(r"[_\s]+", " ", str(name)).strip()
    return text[:1].upper() + text[1:]


def text(key: str, lang: str) -> str:
    return _pick(TEXT[key], lang)


def error_text(err: Exception, lang: str) -> str:
    """An error's message in `lang`: its `key` in the text catalogue filled with its `params` (planner.files raises
    OutputError so), else the error's own text."""
    return text(err.key, lang).format(**err.params) if hasattr(err, "key") else str(err)


def sheet_label(table: str, lang: str) -> str:
    return _pick(SHEETS[table], lang) if table in SHEETS else humanize(table)


SCENARIO_COLUMN = re.compile(r"^(?P<base>.+?) \[(?P<scenario>.+)\]$")


def column_label(column: str, lang: str) -> str:
    """Header for a column; 'shortage [baseline]' (comparison tables) -> 'Thiếu [baseline]'."""
    hit = SCENARIO_COLUMN.match(column)
    if hit:
        return f"{column_label(hit['base'], lang)} [{hit['scenario']}]"
    return _pick(COLUMNS[column], lang) if column in COLUMNS else humanize(column)


def base_column(column: str) -> str:
    """Machine column behind a comparison column: 'shortage [baseline]' -> 'shortage'."""
    hit = SCENARIO_COLUMN.match(column)
    return hit["base"] if hit else column


def value_pairs(kind: str) -> dict[str, tuple[str, str]]:
    """code -> (vi, en) for a kind of value: the code lists' labels first, then output-only labels and aliases."""
    pairs: dict[str, tuple[str, str]] = {}
    for name in VOCAB_KINDS.get(kind, ()):
        frame = vocab.table(name)
        for code, vi, en in zip(frame["code"], frame["label_vi"], frame["label_en"]):
            pairs.setdefault(code, (vi, en))
    for code, pair in EXTRA_VALUES.get(kind, {}).items():
        pairs.setdefault(code, pair)
    return pairs


def value_label(kind: str, value, lang: str):
    """Label for a code (e.g. field 'it_digital'); unknown codes come back unchanged."""
    pair = value_pairs(kind).get(value) if isinstance(value, str) else None
    return _pick(pair, lang) if pair else value


def value_labels(kind: str, lang: str) -> dict[str, str]:
    return {code: _pick(pair, lang) for code, pair in value_pairs(kind).items()}


def reverse_values(kind: str) -> dict[str, str]:
    """Label in either language (or the code itself) -> code, to read a workbook back."""
    out = {}
    for code, pair in value_pairs(kind).items():
        out.setdefault(code, code)
        for label in pair:
            out.setdefault(label, code)
    return out


def reverse_columns() -> dict[str, str]:
    """Header in either language (or the machine name) -> column name."""
    out = {}
    for name, pair in COLUMNS.items():
        for label in (name, *pair, humanize(name)):
            out.setdefault(label, name)
    return out


def column_from_label(label: str, reverse: dict[str, str] | None = None) -> str:
    """Machine column for a header written by column_label, in either language."""
    reverse = reverse if reverse is not None else reverse_columns()
    label = str(label).strip()
    hit = SCENARIO_COLUMN.match(label)
    if hit:
        return f"{column_from_label(hit['base'], reverse)} [{hit['scenario']}]"
    if label in reverse:
        return reverse[label]
    return (label[:1].lower() + label[1:]).replace(" ", "_")  # undoes humanize() for unlabelled columns



# ---- The national workbook and the sweep workbook (planner nation, planner sweep: planner.nation,
# planner.report.national). KPI columns take their labels from planner/schema/kpis.csv.
NATION_COLUMNS: dict[str, tuple[str, str]] = {
    "province_code": ("Mã tỉnh", "Province code"),
    "province": ("Tỉnh, thành phố", "Province"),
    "status": ("Kết quả", "Result"),
    "communes": ("Số xã, phường, đặc khu", "Communes"),
    "officials": ("Số cán bộ, công chức", "Officials"),
    "quota": ("Biên chế khối chính quyền theo định mức", "Government staff quota (norms)"),
    "equipment_budget_share": ("Tỷ lệ kinh phí thiết bị đã dùng / dự toán", "Equipment budget used / budget"),
    "source": ("Tệp dữ liệu hoặc tỉnh mẫu", "Input file or sample"),
    "seconds": ("Thời gian (giây)", "Wall time (s)"),
    "cpu_seconds": ("Thời gian CPU (giây)", "CPU time (s)"),
    "load_seconds": ("Đọc và kiểm tra dữ liệu (giây)", "Read and check (s)"),
    "plan_seconds": ("Lập phương án (giây)", "Plan (s)"),
    "write_seconds": ("Ghi bảng tính (giây)", "Write workbook (s)"),
    "worker": ("Tiến trình xử lý (Dask worker)", "Dask worker"),
    "worker_peak_mb": ("Bộ nhớ đỉnh của tiến trình (MB)", "Worker peak memory (MB)"),
    "reason": ("Lý do", "Reason"),
    "combination": ("Tổ hợp", "Combination"),
    "values": ("Giá trị các khoá thay đổi", "Varied values"),
    "kpi": ("Chỉ tiêu", "KPI"),
    "unit": ("Đơn vị", "Unit"),
    "min": ("Nhỏ nhất", "Smallest"),
    "max": ("Lớn nhất", "Largest"),
    "changes": ("Có thay đổi", "Changes"),
}
SHEETS.update({
    "national": ("Toàn quốc", "National"),
    "national_charts": ("Biểu đồ toàn quốc", "National charts"),
    "national_runs": ("Thông tin lần chạy", "Run figures"),
    "sweep": ("Quét kịch bản", "Scenario sweep"),
    "sweep_changes": ("Chỉ tiêu thay đổi", "KPI changes"),
})
EXTRA_VALUES["run_status"] = {
    "ok": ("Hoàn thành", "Done"), "invalid": ("Dữ liệu không hợp lệ", "Invalid input"),
    "infeasible": ("Không khả thi", "Infeasible"), "failed": ("Lỗi khi lập phương án", "Failed"),
    "skipped": ("Bỏ qua", "Skipped"),
    # why a file of the data folder is skipped
    "lock_file": ("tệp khoá tạm của Excel", "an Excel lock file"),
    "own_output": ("tệp kết quả của chính lần chạy này", "an output of this run"),
    "result_workbook": ("bảng tính kết quả của planner, không phải dữ liệu đầu vào", "a planner result workbook, not an input"),
    "no_input_sheet": ("không có trang nào mang tên một bảng dữ liệu đầu vào", "no sheet named after an input table"),
}
TEXT.update({
    "national_title": ("Tổng hợp phương án sắp xếp các tỉnh, thành phố", "National summary of the province plans"),
    "national_subtitle": ("{ok}/{total} tỉnh, thành phố lập được phương án · kịch bản {scenario} · {created} UTC",
                          "{ok}/{total} provinces planned · scenario {scenario} · {created} UTC"),
    "national_total": ("Cả nước", "Total"),
    "national_failed_note": ("Tỉnh, thành phố chưa lập được phương án (số liệu để trống, không cộng vào tổng): {names}. "
                             "Lý do: trang {sheet}.",
                             "Provinces without a plan (figures left empty, not in the totals): {names}. "
                             "Reasons: sheet {sheet}."),
    "national_plans": ("Phương án từng tỉnh: thư mục {folder}", "Each province's plan: folder {folder}"),
    "chart_quota_assigned": ("Biên chế theo định mức và số cán bộ được bố trí", "Staff quota and officials assigned"),
    "chart_shortage_by_field": ("Thiếu hụt cán bộ theo lĩnh vực", "Staff shortage by field"),
    "chart_surplus_buildings": ("Công trình dôi dư theo mục đích sử dụng", "Surplus buildings by use"),
    "chart_equipment_budget": ("Kinh phí thiết bị đã dùng so với dự toán (đồng)", "Equipment budget used against budget (VND)"),
    "run_wall_seconds": ("Tổng thời gian chạy (giây)", "Total wall time (s)"),
    "run_engine": ("Nơi chạy", "Engine"),
    "run_local_cluster": ("máy này: {workers} tiến trình Dask (LocalCluster), mỗi tiến trình 1 luồng",
                         "this machine: {workers} Dask worker processes (LocalCluster), one thread each"),
    "run_scheduler": ("cụm Dask {address}: {workers} tiến trình", "Dask cluster {address}: {workers} workers"),
    "run_peak_memory": ("Bộ nhớ đỉnh, cộng mọi tiến trình (MB)", "Peak memory, all processes added (MB)"),
    "run_peak_memory_note": ("tổng bộ nhớ đỉnh của từng tiến trình (worker, nanny, scheduler, tiến trình chính); "
                             "các đỉnh có thể không cùng lúc nên đây là cận trên",
                             "sum of each process's own peak (workers, nannies, scheduler, this process); the peaks need "
                             "not coincide, so this is an upper bound"),
    "run_per_province": ("Thời gian mỗi tỉnh (giây): trung vị {median:.1f}, lớn nhất {max:.1f} ({slowest})",
                         "Seconds per province: median {median:.1f}, largest {max:.1f} ({slowest})"),
    "run_per_combination": ("Thời gian mỗi tổ hợp (giây): trung vị {median:.1f}, lớn nhất {max:.1f} ({slowest})",
                            "Seconds per combination: median {median:.1f}, largest {max:.1f} ({slowest})"),
    "sweep_title": ("Quét kịch bản — {province}", "Scenario sweep — {province}"),
    "sweep_subtitle": ("{n} tổ hợp của {keys} · kịch bản gốc {scenario}",
                       "{n} combinations of {keys} · base scenario {scenario}"),
    "sweep_changes_subtitle": ("{changing} trên {total} chỉ tiêu thay đổi giữa các tổ hợp",
                               "{changing} of {total} KPIs change between the combinations"),
    # console of planner nation / planner sweep
    "nation_skipped": ("bỏ qua {name}: {reason}", "skipped {name}: {reason}"),
    "nation_no_inputs": ("không có bảng tính dữ liệu đầu vào (.xlsx) nào trong {folder}",
                         "no input workbook (.xlsx) in {folder}"),
    "nation_not_folder": ("{folder} không phải là thư mục", "{folder} is not a folder"),
    "nation_sample_only": ("--provinces và --officials-per-commune chỉ dùng cùng --sample",
                           "--provinces and --officials-per-commune go with --sample only"),
    "nation_source": ("cần một thư mục dữ liệu (DATA_DIR) hoặc --sample, không cả hai",
                      "give a data folder (DATA_DIR) or --sample, not both"),
    "nation_done": ("{ok}/{total} lập xong phương án trong {seconds:.0f} giây", "{ok}/{total} planned in {seconds:.0f} s"),
    "nation_failures": ("Không lập được phương án:", "Not planned:"),
    "nation_written": ("Đã ghi: {path}", "Written: {path}"),
    "engine_failed": ("không chạy được Dask: {error}", "cannot run Dask: {error}"),
})


def nation_label(column: str, lang: str) -> str:
    """Header of a national or sweep column that is not a KPI (KPI columns: planner.kpis.kpi_label)."""
    return _pick(NATION_COLUMNS[column], lang) if column in NATION_COLUMNS else column_label(column, lang)
