"""Every word the explorers, maps and charts show, in Vietnamese (the default) and English
(the sentences of the explanations are planner.explain's).

Table headers, KPI names and coded values (fields, positions, uses...) come from planner.labels,
the workbook's vocabulary, so the screen and the Excel file use the same words.
The language is the `lang` argument, else $PLANNER_LANG, else Vietnamese.
"""

from __future__ import annotations

import os

from ..labels import LANGS, check_lang

LANG_ENV = "PLANNER_LANG"
DEFAULT_LANG = "vi"
LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English"}  # each in its own language, in the language menus

TEXT: dict[str, dict[str, str]] = {
    # messages and errors (planner.ui.common)
    "file_missing": {"vi": "Không tìm thấy file dữ liệu tỉnh {path}. Hãy đặt biến {env} trỏ tới file Excel "
                           "hoặc chép {file} vào thư mục data.",
                     "en": "The province file {path} does not exist. Set {env} to a workbook or put {file} in the "
                           "data folder."},
    "err_inconsistent": {"vi": "Kết quả của bộ giải không qua được bước kiểm tra lại ({stage}); phương án không được hiển thị",
                         "en": "The solver's answer failed the re-check ({stage}); the plan is not shown"},
    "err_settings": {"vi": "Một số thiết lập không hợp lệ", "en": "Some settings are not valid"},
    "err_input": {"vi": "File dữ liệu đầu vào có lỗi", "en": "The input workbook has problems"},
    "err_file": {"vi": "Lỗi đọc, ghi file", "en": "File problem"},
    "err_not_installed": {"vi": "Phần này của phần mềm chưa được cài đặt", "en": "This part of the planner is not installed yet"},
    "err_time_limit": {"vi": "Bộ giải đã hết thời gian cho phép trước khi tìm được phương án",
                       "en": "The solver ran out of time before it found a plan"},
    "err_unexpected": {"vi": "Đã xảy ra lỗi", "en": "Something went wrong"},
    "busy": {"vi": "Đang có một lượt tính toán; vui lòng chờ.", "en": "A solve is already running; please wait."},
    "task_done": {"vi": "{label}: xong sau {seconds} giây", "en": "{label}: done in {seconds} s"},
    "task_elapsed": {"vi": "{label}… {seconds} giây", "en": "{label}… {seconds} s"},
    "table": {"vi": "Bảng", "en": "Table"},
    "showing_rows": {"vi": "Đang hiển thị {shown} trên {total} dòng (xuất Excel để xem đầy đủ).",
                     "en": "Showing {shown} of {total} rows (export the workbook for all)."},
    "download": {"vi": "Tải về {name}", "en": "Download {name}"},
    # every explorer
    "solve": {"vi": "Giải bài toán", "en": "Solve"},
    "solve_tip": {"vi": "Chạy tối ưu với các thiết lập này", "en": "Run the optimisation with these settings"},
    "export": {"vi": "Xuất Excel", "en": "Export workbook"},
    "export_tip": {"vi": "Ghi file Excel báo cáo lãnh đạo của phương án vừa lập",
                   "en": "Write the leadership workbook (Excel) of the last plan"},
    "workbook_lang": {"vi": "File Excel", "en": "Workbook"},
    "keep": {"vi": "Lưu để so sánh", "en": "Keep for comparison"},
    "keep_placeholder": {"vi": "tên, ví dụ: uu_tien_cntt", "en": "name, e.g. it_priority"},
    "province_loaded": {"vi": "Đã mở dữ liệu {province}; bấm «{solve}».", "en": "Province {province} loaded; press {solve}."},
    "solve_first_export": {"vi": "Hãy giải bài toán trước, rồi mới xuất Excel.", "en": "Solve first, then export."},
    "workbook_written": {"vi": "Đã ghi file Excel", "en": "Workbook written"},
    "writing_workbook": {"vi": "Ghi file Excel", "en": "Writing the workbook"},
    "plan_kept": {"vi": "Đã lưu phương án «{name}» ({count} phương án); so sánh ở thẻ Kịch bản.",
                  "en": "Plan kept as '{name}' ({count} kept); compare them in the scenarios explorer."},
    "tab_summary": {"vi": "Tổng hợp và bản đồ", "en": "Summary and map"},
    # staffing
    "staffing_title": {"vi": "Bố trí cán bộ: ai về đâu", "en": "Staffing: who goes where"},
    "staffing_solving": {"vi": "Lập phương án bố trí cán bộ", "en": "Solving the staffing plan"},
    "other_fields": {"vi": "Các lĩnh vực khác", "en": "Other fields"},
    "commute_threshold": {"vi": "Ngưỡng quãng đường đi làm (km)", "en": "Commute threshold (km)"},
    "fairness_long": {"vi": "Công bằng giữa các xã (ưu tiên xã thiếu nhiều nhất)",
                      "en": "Fairness first (worst commune's gap)"},
    "it_radius": {"vi": "Bán kính hỗ trợ CNTT (km)", "en": "IT support radius (km)"},
    "official": {"vi": "Cán bộ", "en": "Official"},
    "commune": {"vi": "Xã", "en": "Commune"},
    "id_or_name": {"vi": "gõ mã hoặc họ tên", "en": "type an id or a name"},
    "pin": {"vi": "Ghim", "en": "Pin"},
    "clear_pins": {"vi": "Bỏ ghim", "en": "Clear pins"},
    "pinned": {"vi": "Quyết định đã ghim", "en": "Pinned"},
    "penalties_heading": {"vi": "Mức phạt cho mỗi người còn thiếu, theo lĩnh vực",
                          "en": "Penalty per missing official, by field"},
    "penalties_hint": {"vi": "(cao hơn = được bổ sung trước)", "en": "(higher = filled first)"},
    "commute_heading": {"vi": "Đi làm, công bằng, hỗ trợ CNTT", "en": "Commute, fairness, IT support"},
    "pins_heading": {"vi": "Quyết định đã chốt (ghim)", "en": "Decisions already taken (pins)"},
    "choose_official_first": {"vi": "Hãy chọn một cán bộ trong danh sách trước khi ghim.",
                              "en": "Choose an official from the list before pinning."},
    "tab_shortages": {"vi": "Thiếu biên chế", "en": "Shortages"},
    "tab_commute": {"vi": "Đi làm", "en": "Commute"},
    "tab_people": {"vi": "Cán bộ", "en": "People"},
    "tab_it": {"vi": "Hỗ trợ CNTT", "en": "IT support"},
    "tab_explain": {"vi": "Giải thích", "en": "Explain"},
    "short_table": {"vi": "Các xã và lĩnh vực thiếu biên chế", "en": "Communes and fields short of staff"},
    "explain_hint": {"vi": "Chọn một cán bộ hoặc một xã để xem vì sao phương án được lập như vậy.",
                     "en": "Choose an official or a commune to see why the plan looks this way."},
    "all_communes": {"vi": "tất cả các xã", "en": "all communes"},
    "show": {"vi": "Hiển thị", "en": "Show"},
    "explain_solve_first": {"vi": "Hãy giải bài toán trước, rồi chọn một cán bộ hoặc một xã.",
                            "en": "Solve first; then choose an official or a commune."},
    # assets
    "assets_title": {"vi": "Tài sản: trụ sở, điểm phục vụ, công trình, thiết bị",
                     "en": "Assets: headquarters, service points, buildings, equipment"},
    "assets_solving": {"vi": "Lập phương án tài sản", "en": "Solving the asset plan"},
    "service_distance": {"vi": "Bán kính phục vụ (km)", "en": "Service distance (km)"},
    "renovation_budget": {"vi": "Ngân sách cải tạo (tỷ đồng)", "en": "Renovation budget (bn VND)"},
    "equipment_budget": {"vi": "Ngân sách thiết bị (triệu đồng)", "en": "Equipment budget (mn VND)"},
    "single_source": {"vi": "Mỗi đơn vị cũ do một điểm phục vụ", "en": "Each old unit served by one point"},
    "service_heading": {"vi": "Phục vụ người dân và ngân sách", "en": "Service and budgets"},
    "tab_headquarters": {"vi": "Trụ sở", "en": "Headquarters"},
    "tab_service_points": {"vi": "Điểm phục vụ", "en": "Service points"},
    "tab_buildings": {"vi": "Công trình", "en": "Buildings"},
    "tab_equipment": {"vi": "Thiết bị", "en": "Equipment"},
    # scenarios
    "scenarios_title": {"vi": "Kịch bản: lưu, so sánh, xuất", "en": "Scenarios: save, compare, export"},
    "scenario_solving": {"vi": "Lập phương án theo kịch bản", "en": "Solving the scenario"},
    "start_from": {"vi": "Bắt đầu từ", "en": "Start from"},
    "defaults": {"vi": "mặc định", "en": "defaults"},
    "scenario_name": {"vi": "Tên kịch bản", "en": "Scenario name"},
    "fairness_short": {"vi": "Công bằng giữa các xã", "en": "Fairness first"},
    "it_penalty": {"vi": "Mức phạt thiếu công chức CNTT", "en": "Penalty: missing IT official"},
    "kept_plans": {"vi": "Phương án đã lưu", "en": "Kept plans"},
    "compare": {"vi": "So sánh", "en": "Compare"},
    "export_comparison": {"vi": "Xuất Excel so sánh", "en": "Export comparison"},
    "last_kpis": {"vi": "Chỉ tiêu chính của «{name}» (kịch bản vừa giải)",
                  "en": "Key figures of '{name}' (the scenario just solved)"},
    "compare_heading": {"vi": "So sánh các phương án đã lưu", "en": "Compare kept plans"},
    "compare_hint": {"vi": "(chọn từ hai phương án; giữ Ctrl và bấm để chọn nhiều)",
                     "en": "(choose two or more; Ctrl-click to select several)"},
    "choose_two": {"vi": "Hãy chọn ít nhất hai phương án đã lưu để so sánh.",
                   "en": "Choose at least two kept plans to compare."},
    "same_kpis": {"vi": "Các phương án có cùng chỉ tiêu chính; các thẻ bên dưới cho thấy điểm khác nhau.",
                  "en": "The plans have the same key figures; the tabs show what differs."},
    "comparing": {"vi": "So sánh {names}", "en": "Comparing {names}"},
    "comparison_written": {"vi": "Đã ghi file Excel so sánh", "en": "Comparison written"},
    "writing_comparison": {"vi": "Ghi file Excel so sánh", "en": "Writing the comparison workbook"},
    "cmp_moved_officials": {"vi": "Cán bộ đổi nơi công tác", "en": "Who moves"},
    "cmp_shortage_delta": {"vi": "Thay đổi về thiếu biên chế", "en": "Shortage changes"},
    "cmp_building_changes": {"vi": "Công trình khác nhau", "en": "Buildings that differ"},
    "cmp_purchase_changes": {"vi": "Mua sắm khác nhau", "en": "Purchases that differ"},
    # data check
    "data_title": {"vi": "Kiểm tra dữ liệu", "en": "Data check"},
    "none_bundled": {"vi": "(chưa có file kèm theo)", "en": "(none bundled)"},
    "open": {"vi": "Mở", "en": "Open"},
    "upload": {"vi": "Tải file Excel lên", "en": "Upload workbook"},
    "no_file": {"vi": "Chưa chọn file dữ liệu tỉnh.", "en": "No province file chosen."},
    "checking": {"vi": "Kiểm tra {name}", "en": "Checking {name}"},
    "problems_title": {"vi": "Các lỗi cần sửa trong file Excel", "en": "Problems to fix in the workbook"},
    "workbook_valid": {"vi": "{province}: file dữ liệu hợp lệ", "en": "{province}: the workbook is valid"},
    "source": {"vi": "nguồn: {source}", "en": "source: {source}"},
    "rows_per_table": {"vi": "Số dòng mỗi bảng", "en": "Rows per table"},
    "figure_communes": {"vi": "Số xã mới", "en": "communes"},
    "figure_old_units": {"vi": "Số đơn vị cũ", "en": "old units"},
    "figure_officials": {"vi": "Số cán bộ", "en": "officials"},
    "figure_eligible": {"vi": "Đủ điều kiện giữ chức vụ lãnh đạo", "en": "eligible for leadership"},
    "figure_equipment": {"vi": "Số thiết bị", "en": "equipment items"},
    "figure_buildings": {"vi": "Số công trình", "en": "buildings"},
    "figure_population": {"vi": "Dân số", "en": "population"},
    "tab_overview": {"vi": "Tổng quan và bản đồ", "en": "Overview and map"},
    "tab_staff": {"vi": "Cán bộ", "en": "Staff"},
    "tab_communes": {"vi": "Xã mới", "en": "Communes"},
    "tab_old_units": {"vi": "Đơn vị cũ", "en": "Old units"},
    "new_communes": {"vi": "Các xã mới", "en": "New communes"},
    "old_units": {"vi": "Các đơn vị hành chính cũ", "en": "Old units"},
    # the app
    "app_title": {"vi": "Phương án sắp xếp cán bộ và tài sản sau hợp nhất xã — {province}",
                  "en": "Commune merger planner — {province}"},
    "language": {"vi": "Ngôn ngữ", "en": "Language"},
    "language_busy": {"vi": "Hãy chờ lượt tính toán đang chạy kết thúc rồi mới đổi ngôn ngữ.",
                      "en": "Wait for the running solve to finish before changing the language."},
    "tab_data": {"vi": "1 · Dữ liệu", "en": "1 · Data"},
    "tab_staffing": {"vi": "2 · Bố trí cán bộ", "en": "2 · Staffing"},
    "tab_assets": {"vi": "3 · Tài sản", "en": "3 · Assets"},
    "tab_scenarios": {"vi": "4 · Kịch bản", "en": "4 · Scenarios"},
    # maps
    "longitude": {"vi": "Kinh độ (°Đ)", "en": "Longitude (°E)"},
    "latitude": {"vi": "Vĩ độ (°B)", "en": "Latitude (°N)"},
    "overview_map": {"vi": "{province}: {communes} xã mới, {old_units} đơn vị cũ",
                     "en": "{province}: {communes} communes, {old_units} old units"},
    "old_unit": {"vi": "đơn vị cũ", "en": "old unit"},
    "shortage_map": {"vi": "Thiếu biên chế theo xã (tổng số thiếu: {missing} người)",
                     "en": "Staff shortage by commune (total missing: {missing})"},
    "shortage_ratio_bar": {"vi": "tỷ lệ thiếu (số thiếu / định mức)", "en": "shortage ratio (missing / required)"},
    "coverage_map": {"vi": "Trụ sở, điểm phục vụ và các đơn vị cũ được phục vụ",
                     "en": "Headquarters, service points and the old units they serve"},
    "old_unit_beyond": {"vi": "đơn vị cũ xa hơn {km} km", "en": "old unit beyond {km} km"},
    "headquarters_count": {"vi": "trụ sở xã ({count})", "en": "headquarters ({count})"},
    "service_points_count": {"vi": "điểm phục vụ ({count})", "en": "service point ({count})"},
    "served_by_hq": {"vi": "nối tới trụ sở", "en": "served by HQ"},
    "served_by_point": {"vi": "nối tới điểm phục vụ", "en": "served by service point"},
    "flow_map": {"vi": "Thiết bị điều chuyển ({total} chiếc) và mua mới", "en": "Equipment moved ({total} items) and purchased"},
    "hq_purchases": {"vi": "trụ sở xã (cỡ = giá trị mua sắm)", "en": "commune HQ (size = purchases)"},
    "items_moved": {"vi": "thiết bị điều chuyển", "en": "items moved"},
    # charts
    "axis_officials": {"vi": "số cán bộ", "en": "officials"},
    "axis_items": {"vi": "số chiếc", "en": "items"},
    "axis_buildings": {"vi": "số công trình", "en": "buildings"},
    "axis_missing": {"vi": "số người còn thiếu", "en": "missing officials"},
    "axis_commute": {"vi": "khoảng cách từ nhà tới trụ sở xã (km)", "en": "distance from home to the commune HQ (km)"},
    "axis_million_vnd": {"vi": "triệu đồng", "en": "million VND"},
    "axis_share_of_largest": {"vi": "tỷ lệ so với giá trị lớn nhất", "en": "share of the largest value"},
    "staff_chart": {"vi": "Cán bộ theo lĩnh vực (tổng cộng {total} người)", "en": "Officials by field ({total} in total)"},
    "no_equipment": {"vi": "Không có thiết bị nào", "en": "No equipment listed"},
    "equipment_chart": {"vi": "Thiết bị tại các đơn vị cũ", "en": "Equipment at the old units"},
    "no_buildings": {"vi": "Không có công trình nào", "en": "No buildings listed"},
    "buildings_chart": {"vi": "Công trình công theo loại và hiện trạng", "en": "Public buildings by kind and condition"},
    "shortage_field_chart": {"vi": "Biên chế theo lĩnh vực: tổng cộng thiếu {missing} người",
                             "en": "Staffing by field: {missing} missing in total"},
    "no_shortage": {"vi": "Không xã nào thiếu biên chế", "en": "No commune is short of staff"},
    "shortage_commune_chart": {"vi": "{count} xã thiếu biên chế nhiều nhất",
                               "en": "Communes with the largest shortages (top {count})"},
    "no_placed": {"vi": "Chưa bố trí cán bộ nào", "en": "No placed officials"},
    "threshold_line": {"vi": "ngưỡng {km} km", "en": "threshold {km} km"},
    "commute_chart": {"vi": "Quãng đường đi làm: trung bình {mean} km, {beyond} người vượt ngưỡng",
                      "en": "Commute: mean {mean} km, {beyond} beyond the threshold"},
    "uses_chart": {"vi": "Mục đích sử dụng các công trình ({total})", "en": "Use of every building ({total})"},
    "nothing_to_buy": {"vi": "Không cần mua sắm", "en": "Nothing to buy"},
    "purchases_chart": {"vi": "Mua sắm: {total} triệu đồng", "en": "Purchases: {total} million VND"},
    "kpi_chart": {"vi": "Các chỉ tiêu khác nhau giữa các phương án", "en": "Key figures that differ between the plans"},
    "same_kpis_chart": {"vi": "Các phương án có cùng chỉ tiêu chính", "en": "The plans have the same key figures"},
}


def ui_lang(lang: str | None = None) -> str:
    """The language to show: `lang`, else $PLANNER_LANG, else Vietnamese."""
    return check_lang(lang or os.environ.get(LANG_ENV) or DEFAULT_LANG)


def ui_text(key: str, lang: str | None = None, **values) -> str:
    """The text of `key` in the language, with {placeholders} filled from `values`."""
    words = TEXT[key][ui_lang(lang)]
    return words.format(**values) if values else words


def language_options() -> list[tuple[str, str]]:
    """(name, code) pairs for a language menu."""
    return [(LANGUAGE_NAMES[lang], lang) for lang in LANGS]
