#include "html.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <utility>

namespace sipas::html {

std::string esc(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string url(std::string_view text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

namespace {

// The one catalogue: tr() for the code, words() for the templates.
const std::map<std::string_view, std::pair<const char*, const char*>>& catalogue() {
  static const std::map<std::string_view, std::pair<const char*, const char*>> words = {
      {"app", {"SIPAS — Chỉ số hài lòng", "SIPAS — Satisfaction index"}},
      {"overview", {"Tổng quan", "Overview"}},
      {"comments", {"Ý kiến", "Comments"}},
      {"kiosks", {"Kiosk", "Kiosks"}},
      {"configuration", {"Cấu hình", "Configuration"}},
      {"config_own", {"Cấu hình riêng của", "Own configuration of"}},
      {"config_help", {"Gói cấu hình dạng JSON: \"settings\" (các khóa của kiosk.json, trừ khóa riêng của từng máy), \"surveys\" (bộ câu hỏi), \"procedures\" (danh mục thủ tục, hoặc null). Đơn vị cấp dưới và kiosk thừa hưởng; cấp gần hơn được ưu tiên.",
                       "A configuration bundle as JSON: \"settings\" (kiosk.json keys, except those local to each kiosk), \"surveys\" (questionnaires), \"procedures\" (the procedure catalogue, or null). Units below and kiosks inherit it; the nearer one wins."}},
      {"config_save", {"Kiểm tra và lưu", "Check and save"}},
      {"config_remove", {"Xóa cấu hình riêng", "Remove own configuration"}},
      {"config_saved", {"Đã lưu, phiên bản", "Saved, version"}},
      {"config_effective", {"Kiosk nhận được (đã gộp theo cây đơn vị)", "What kiosks get (merged down the unit tree)"}},
      {"config_version_word", {"phiên bản", "version"}},
      {"config_none", {"Chưa có cấu hình nào.", "No configuration yet."}},
      {"config_history", {"Lịch sử phiên bản", "Version history"}},
      {"config_removed", {"đã xóa", "removed"}},
      {"config_kiosks", {"Cấu hình riêng cho từng kiosk", "Per-kiosk overrides"}},
      {"config_back_to_unit", {"Về cấu hình đơn vị", "Back to the unit's configuration"}},
      {"config_unknown_kiosk", {"Không có kiosk này trong đơn vị:", "No such kiosk in this unit:"}},
      {"config_not_saved", {"Chưa lưu — cấu hình có lỗi:", "Not saved — the configuration has an error:"}},
      {"config_too_large", {"Chưa lưu: nội dung gửi lên quá lớn. Giới hạn là", "Not saved: the form is too large. The limit is"}},
      {"form_too_large", {"Nội dung gửi lên quá lớn.", "The form is too large."}},
      {"config_remove_confirm", {"Tôi muốn xóa", "I want to remove it"}},
      {"config_remove_unconfirmed", {"Chưa xóa: hãy đánh dấu ô «Tôi muốn xóa» rồi bấm lại.", "Not removed: tick «I want to remove it» and press again."}},
      {"config_no_bundle", {"chưa có cấu hình", "no configuration yet"}},
      {"config_no_versions", {"Chưa có phiên bản nào.", "No versions yet."}},
      {"config_no_kiosks", {"Đơn vị này chưa có kiosk nào.", "This unit has no kiosks."}},
      {"config_units", {"Cấu hình của các đơn vị trực thuộc", "Configuration of the units below"}},
      {"config_version_col", {"Phiên bản", "Version"}},
      {"config_at_col", {"Thời gian", "Time"}},
      {"config_by_col", {"Người thực hiện", "By"}},
      {"config_action_col", {"Thao tác", "Action"}},
      {"config_saved_action", {"lưu", "saved"}},
      {"config_kiosk_running", {"Kiosk báo đang chạy cấu hình phiên bản", "The kiosk reports running configuration version"}},
      {"config_kiosk_page", {"Xem kiosk", "See the kiosk"}},
      {"config_kiosk_inherits", {"Kiosk dùng cấu hình của đơn vị", "The kiosk uses its unit's configuration"}},
      {"logout", {"Đăng xuất", "Log out"}},
      {"login", {"Đăng nhập", "Log in"}},
      {"user", {"Tên đăng nhập", "User name"}},
      {"password", {"Mật khẩu", "Password"}},
      {"bad_login", {"Sai tên đăng nhập hoặc mật khẩu.", "Wrong user name or password."}},
      {"too_many_logins", {"Đăng nhập sai quá nhiều lần; hãy thử lại sau ít phút.",
                           "Too many failed logins; try again in a few minutes."}},
      {"index", {"Chỉ số hài lòng", "Satisfaction index"}},
      {"responses", {"Số phiếu", "Responses"}},
      {"complete", {"đầy đủ", "complete"}},
      {"partial", {"chưa đầy đủ", "partial"}},
      {"change", {"So với kỳ trước", "Change vs. previous period"}},
      {"previous", {"Kỳ trước", "Previous period"}},
      {"national", {"Toàn quốc", "National"}},
      {"target", {"Mục tiêu 2030", "2030 target"}},
      {"elements", {"Năm yếu tố", "The five elements"}},
      {"trend", {"Xu hướng 12 tháng", "12-month trend"}},
      {"fix_first", {"Cần cải thiện trước", "Fix first"}},
      {"reasons", {"Lý do được chọn nhiều nhất", "Most chosen reasons"}},
      {"units_below", {"Xếp hạng đơn vị trực thuộc", "Ranking of units below"}},
      {"counters", {"Theo quầy", "By counter"}},
      {"officers", {"Theo cán bộ", "By officer"}},
      {"procedures", {"Thủ tục hành chính", "Procedures"}},
      {"procedure", {"Thủ tục", "Procedure"}},
      {"no_procedure", {"(không chọn thủ tục)", "(no procedure chosen)"}},
      {"all_procedures", {"× mọi thủ tục", "× all procedures"}},
      {"weakest_element", {"Yếu tố thấp nhất", "Weakest element"}},
      {"criteria", {"Các tiêu chí", "Criteria"}},
      {"criterion", {"Tiêu chí", "Criterion"}},
      {"element", {"Yếu tố", "Element"}},
      {"mean", {"Điểm TB", "Mean"}},
      {"answers", {"Số trả lời", "Answers"}},
      {"rank", {"Hạng", "Rank"}},
      {"unit", {"Đơn vị", "Unit"}},
      {"counter", {"Quầy", "Counter"}},
      {"officer", {"Cán bộ", "Officer"}},
      {"count", {"Số lần", "Times"}},
      {"reason_col", {"Lý do", "Reasons"}},
      {"period", {"Kỳ báo cáo", "Period"}},
      {"day", {"Ngày", "Day"}},
      {"week", {"Tuần", "Week"}},
      {"month", {"Tháng", "Month"}},
      {"quarter", {"Quý", "Quarter"}},
      {"6m", {"6 tháng", "6 months"}},
      {"9m", {"9 tháng", "9 months"}},
      {"year", {"Năm", "Year"}},
      {"range", {"Khoảng ngày", "Date range"}},
      {"date", {"Ngày trong kỳ", "Date in period"}},
      {"from", {"Từ ngày", "From"}},
      {"to", {"Đến ngày", "To"}},
      {"show", {"Xem", "Show"}},
      {"export", {"Xuất báo cáo", "Export"}},
      {"report_csv", {"Báo cáo CSV", "Report CSV"}},
      {"report_xlsx", {"Báo cáo Excel", "Report Excel"}},
      {"raw_csv", {"Dữ liệu phiếu CSV", "Responses CSV"}},
      {"raw_xlsx", {"Dữ liệu phiếu Excel", "Responses Excel"}},
      {"no_data", {"Chưa có dữ liệu trong kỳ này.", "No data in this period."}},
      {"not_recorded", {"(không ghi)", "(not recorded)"}},
      {"points", {"Đánh giá theo Mẫu số 01", "Form 01 evaluations"}},
      {"mean_total", {"Tổng điểm trung bình (0–18)", "Mean total (0–18)"}},
      {"grade", {"Xếp loại", "Grade"}},
      {"indicator", {"Chỉ tiêu", "Indicator"}},
      {"mean_points", {"Điểm TB (0–2)", "Mean points (0–2)"}},
      {"time", {"Thời gian", "Time"}},
      {"comment", {"Ý kiến", "Comment"}},
      {"kiosk", {"Kiosk", "Kiosk"}},
      {"last_contact", {"Liên lạc gần nhất", "Last contact"}},
      {"last_seq", {"Số thứ tự cuối", "Last seq"}},
      {"quarantined", {"Bị giữ lại", "Quarantined"}},
      {"findings", {"Phát hiện bất thường", "Integrity findings"}},
      {"revoked", {"đã thu hồi", "revoked"}},
      {"never", {"chưa bao giờ", "never"}},
      {"none", {"không có", "none"}},
      {"forbidden", {"Bạn không có quyền xem đơn vị này.", "You may not see this unit."}},
      {"ref_elements", {"Vạch: toàn quốc 2023", "Tick: national 2023"}},
      {"back", {"Quay lại", "Back"}},
      {"all_units", {"Toàn tỉnh", "Whole province"}},
      {"other_language", {"English", "Tiếng Việt"}},
      {"unknown_unit", {"Không có đơn vị", "Unknown unit"}},
      {"form_expired", {"Biểu mẫu đã hết hạn; hãy mở lại trang đăng nhập.",
                        "The form has expired; open the login page again."}},
      // The report and raw exports (CSV and XLSX): sheet names, columns and row labels.
      {"xl_summary", {"Tổng hợp", "Summary"}},
      {"xl_item", {"Mục", "Item"}},
      {"xl_value", {"Giá trị", "Value"}},
      {"xl_complete", {"Phiếu đầy đủ", "Complete"}},
      {"xl_partial", {"Phiếu chưa đầy đủ", "Partial"}},
      {"xl_index", {"Chỉ số hài lòng (%)", "Satisfaction index (%)"}},
      {"xl_previous_index", {"Chỉ số kỳ trước (%)", "Previous index (%)"}},
      {"xl_change", {"Thay đổi (điểm %)", "Change (points)"}},
      {"xl_element_prefix", {"Yếu tố: ", "Element: "}},
      {"xl_criteria", {"Tiêu chí", "Criteria"}},
      {"xl_criterion_id", {"Mã tiêu chí", "Criterion id"}},
      {"xl_text", {"Nội dung", "Text"}},
      {"xl_index_col", {"Chỉ số (%)", "Index (%)"}},
      {"xl_mean", {"Điểm trung bình", "Mean"}},
      {"xl_counters", {"Quầy", "Counters"}},
      {"xl_officers", {"Cán bộ", "Officers"}},
      {"xl_procedure_code", {"Mã thủ tục", "Procedure code"}},
      {"xl_procedure_name", {"Tên thủ tục", "Procedure name"}},
      {"xl_units_below", {"Đơn vị trực thuộc", "Units below"}},
      {"xl_unit_code", {"Mã đơn vị", "Unit code"}},
      {"xl_name", {"Tên", "Name"}},
      {"xl_reasons", {"Lý do", "Reasons"}},
      {"xl_id", {"Mã", "Id"}},
      {"xl_reason", {"Lý do", "Reason"}},
      {"xl_times_chosen", {"Số lần chọn", "Times chosen"}},
      {"xl_local_time", {"Thời gian (giờ địa phương)", "Local time"}},
      {"xl_form01", {"Mẫu 01", "Form 01"}},
      {"xl_grade_prefix", {"Xếp loại: ", "Grade: "}},
      {"xl_mean_points_prefix", {"Điểm TB: ", "Mean points: "}},
      {"xl_mean_total_suffix", {": tổng điểm TB", ": mean total"}},
      {"xl_responses_sheet", {"Phiếu", "Responses"}},
      // The fleet page and a kiosk's page (issue 13).
      {"state", {"Trạng thái", "State"}},
      {"state_online", {"Đang hoạt động", "Online"}},
      {"state_late", {"Chậm liên lạc", "Late"}},
      {"state_offline", {"Mất liên lạc", "Offline"}},
      {"state_never", {"Chưa liên lạc", "Never seen"}},
      {"all_states", {"Mọi trạng thái", "All states"}},
      {"backlog", {"Phiếu chờ gửi", "Backlog"}},
      {"oldest_pending", {"cũ nhất", "oldest"}},
      {"software", {"Phần mềm", "Software"}},
      {"outdated", {"cũ", "outdated"}},
      {"config_version", {"Cấu hình", "Configuration"}},
      {"config_expected", {"máy chủ có bản", "the server has"}},
      {"not_reported", {"chưa báo", "not reported"}},
      {"disk_free", {"Đĩa trống", "Free disk"}},
      {"clock_skew", {"Lệch đồng hồ", "Clock skew"}},
      {"uptime", {"Thời gian chạy", "Uptime"}},
      {"last_error", {"Lỗi gần nhất", "Last error"}},
      {"contacts", {"Lịch sử liên lạc", "Contact history"}},
      {"heartbeat", {"Tín hiệu định kỳ", "Heartbeat"}},
      {"batch", {"Gói phiếu", "Batch"}},
      {"accepted", {"Nhận", "Accepted"}},
      {"duplicates", {"Trùng", "Duplicates"}},
      {"rejected", {"Từ chối", "Rejected"}},
      {"filter", {"Lọc", "Filter"}},
      {"no_health", {"chưa gửi thông tin tình trạng", "no health reported"}},
      {"thresholds", {"Chậm liên lạc sau", "Late after"}},
      {"offline_after", {"mất liên lạc sau", "offline after"}},
      {"minutes", {"phút", "minutes"}},
      {"unknown_kiosk", {"Không có kiosk", "Unknown kiosk"}},
      // Alerts: the dashboard's list and the e-mails.
      {"alerts", {"Cảnh báo", "Alerts"}},
      {"open_alerts", {"Cảnh báo đang mở", "Open alerts"}},
      {"no_open_alerts", {"Không có cảnh báo nào đang mở.", "No open alerts."}},
      {"alert_ack", {"Xác nhận", "Acknowledge"}},
      {"alert_acked_by", {"Đã xác nhận:", "Acknowledged:"}},
      {"alert_opened", {"Cảnh báo mới", "New alert"}},
      {"alert_cleared", {"Đã hết cảnh báo", "Alert cleared"}},
      {"alert_kind", {"Loại", "Kind"}},
      {"alert_opened_at", {"Bắt đầu", "Opened"}},
      {"alert_last_seen", {"Lần gần nhất", "Last seen"}},
      {"alert_cleared_at", {"Kết thúc", "Cleared"}},
      {"alert_count", {"Số lần", "Count"}},
      {"alert_detail", {"Chi tiết", "Detail"}},
      {"alert_number", {"Mã cảnh báo", "Alert number"}},
      {"alert_low_rating", {"Đánh giá rất thấp", "Very low rating"}},
      {"alert_unhappy_share", {"Nhiều đánh giá không hài lòng", "Many unhappy answers"}},
      {"alert_kiosk_offline", {"Kiosk mất liên lạc", "Kiosk offline"}},
      {"alert_backlog", {"Kiosk tồn phiếu chưa gửi", "Kiosk backlog"}},
      {"alert_finding", {"Dấu hiệu bất thường về dữ liệu", "Data integrity finding"}},
      // The period report as a document (.docx, PDF) and its card on the unit page (issue 15).
      {"report_doc", {"Báo cáo kỳ", "Period report"}},
      {"report_doc_help", {"Báo cáo theo thể thức Nghị định 30/2020/NĐ-CP, số liệu của kỳ đã chọn.", "A report in the layout of Decree 30/2020/ND-CP, with the figures of the chosen period."}},
      {"report_docx", {"Tải Word (.docx)", "Download Word (.docx)"}},
      {"report_pdf", {"Tải PDF", "Download PDF"}},
      {"rd_title", {"BÁO CÁO", "REPORT"}},
      {"rd_subject", {"Kết quả đo lường sự hài lòng của người dân, tổ chức", "Results of measuring the satisfaction of citizens and organisations,"}},
      {"rd_number", {"Số: ....../BC-......", "No.: ....../BC-......"}},
      {"rd_republic", {"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "SOCIALIST REPUBLIC OF VIET NAM"}},
      {"rd_motto", {"Độc lập - Tự do - Hạnh phúc", "Independence - Freedom - Happiness"}},
      {"rd_intro", {"báo cáo kết quả đo lường sự hài lòng của người dân, tổ chức đối với sự phục vụ hành chính", "reports the results of measuring the satisfaction of citizens and organisations with its administrative services for"}},
      {"rd_intro_end", {" như sau:", " as follows:"}},
      {"rd_overall", {"KẾT QUẢ CHUNG", "OVERALL RESULTS"}},
      {"rd_ratings", {"Số phiếu đánh giá", "Number of ratings"}},
      {"rd_no_ratings", {"Trong kỳ chưa có phiếu đánh giá nào.", "No ratings were received in the period."}},
      {"rd_ratings_text", {"Trong kỳ, đơn vị nhận được", "In the period the unit received"}},
      {"rd_ratings_unit", {"phiếu", "ratings"}},
      {"rd_complete", {"phiếu đầy đủ", "complete"}},
      {"rd_partial", {"phiếu chưa đầy đủ", "partial"}},
      {"rd_index", {"Chỉ số hài lòng", "Satisfaction index"}},
      {"rd_index_text", {"Chỉ số hài lòng chung đạt", "The overall satisfaction index is"}},
      {"rd_index_none", {"Chưa có chỉ số hài lòng trong kỳ", "There is no satisfaction index for the period"}},
      {"rd_previous", {"kỳ trước", "the previous period"}},
      {"rd_change", {"thay đổi", "change"}},
      {"rd_no_figure", {"chưa có số liệu", "no figure"}},
      {"rd_points", {"điểm", "points"}},
      {"rd_year_ago", {"cùng kỳ năm trước", "the same period a year earlier"}},
      {"rd_national", {"chỉ số SIPAS toàn quốc năm", "the national SIPAS of"}},
      {"rd_elements_table", {"Chỉ số hài lòng theo từng yếu tố (%):", "The satisfaction index by element (%):"}},
      {"rd_overall_index", {"Chỉ số hài lòng chung", "Overall satisfaction index"}},
      {"rd_no", {"STT", "No."}},
      {"rd_this_period", {"Kỳ này", "This period"}},
      {"rd_previous_col", {"Kỳ trước", "Previous period"}},
      {"rd_year_ago_col", {"Cùng kỳ năm trước", "A year earlier"}},
      {"rd_national_col", {"Toàn quốc (*)", "National (*)"}},
      {"rd_national_short", {"Toàn quốc", "National"}},
      {"rd_national_note", {"(*) Chỉ số SIPAS toàn quốc do Bộ Nội vụ công bố: các yếu tố năm 2023, chỉ số chung năm", "(*) The national SIPAS published by the Ministry of Home Affairs: the elements of 2023, the overall index of"}},
      {"rd_chart_caption", {"Hình 1. Chỉ số hài lòng theo yếu tố,", "Figure 1. Satisfaction index by element,"}},
      {"rd_fix_section", {"NHỮNG NỘI DUNG CẦN CẢI THIỆN", "WHAT TO IMPROVE"}},
      {"rd_weakest", {"Các tiêu chí có chỉ số thấp nhất", "The weakest criteria"}},
      {"rd_weakest_text", {"Các tiêu chí cần ưu tiên cải thiện (chỉ số thấp nhất trước):", "The criteria to improve first (weakest first):"}},
      {"rd_none_weak", {"Trong kỳ chưa có tiêu chí nào có đủ câu trả lời để xếp hạng.", "No criterion had answers to rank in the period."}},
      {"rd_index_col", {"Chỉ số (%)", "Index (%)"}},
      {"rd_none_reasons", {"Trong kỳ không có lý do nào được chọn.", "No reasons were chosen in the period."}},
      {"rd_breakdown", {"KẾT QUẢ THEO ĐƠN VỊ, QUẦY VÀ CÁN BỘ", "RESULTS BY UNIT, COUNTER AND OFFICER"}},
      {"rd_no_children", {"Không có đơn vị trực thuộc có phiếu đánh giá trong kỳ.", "No unit below had ratings in the period."}},
      {"rd_points_text", {"Số phiếu đánh giá theo Mẫu số 01:", "Form 01 evaluations:"}},
      {"rd_comments", {"Ý KIẾN CỦA NGƯỜI DÂN, TỔ CHỨC", "COMMENTS OF CITIZENS AND ORGANISATIONS"}},
      {"rd_no_comments", {"Trong kỳ không có ý kiến nào.", "No comments were written in the period."}},
      {"rd_comments_text", {"Trích", "The newest"}},
      {"rd_comments_of", {"ý kiến mới nhất trong tổng số", "of"}},
      {"rd_comments_end", {"ý kiến của kỳ (nguyên văn):", "comments of the period (verbatim):"}},
      {"rd_actions", {"CÁC GIẢI PHÁP CẢI THIỆN VÀ HIỆU QUẢ", "IMPROVEMENT ACTIONS AND THEIR EFFECT"}},
      {"rd_no_actions", {"Chưa có giải pháp cải thiện nào được ghi nhận.", "No improvement actions have been recorded."}},
      {"rd_actions_text", {"Hiệu quả so sánh chỉ số của tiêu chí trước và sau ngày bắt đầu, mỗi bên tối đa", "The effect compares the criterion's index before and after the start date, over at most"}},
      {"rd_days", {"ngày", "days each"}},
      {"rd_action", {"Giải pháp", "Action"}},
      {"rd_effect", {"Hiệu quả", "Effect"}},
      {"rd_target", {"Nhằm cải thiện", "Target"}},
      {"rd_owner", {"người phụ trách", "responsible"}},
      {"rd_status_planned", {"kế hoạch", "planned"}},
      {"rd_status_in_progress", {"đang thực hiện", "in progress"}},
      {"rd_status_done", {"đã hoàn thành", "done"}},
      {"rd_overdue", {"quá hạn", "overdue"}},
      {"rd_before", {"Trước", "Before"}},
      {"rd_after", {"Sau", "After"}},
      {"rd_recipients", {"Nơi nhận:", "Recipients:"}},
      {"rd_recipients_above", {"- Như trên;", "- As above;"}},
      {"rd_recipients_archive", {"- Lưu: VT.", "- Archive: Office."}},
      {"rd_signer", {"THỦ TRƯỞNG ĐƠN VỊ", "HEAD OF UNIT"}},
      {"rd_signature", {"(Ký, ghi rõ họ tên và đóng dấu)", "(Signature, full name and seal)"}},
      // Improvement actions and their effect (actions.cpp, actions_api.cpp, unit page).
      {"actions", {"Giải pháp cải thiện", "Improvement actions"}},
      {"action_target", {"Tiêu chí / yếu tố", "Criterion / element"}},
      {"action_what", {"Nội dung giải pháp", "What is done"}},
      {"action_owner", {"Người chịu trách nhiệm", "Responsible"}},
      {"action_start", {"Ngày bắt đầu", "Start"}},
      {"action_deadline", {"Hạn hoàn thành", "Deadline"}},
      {"action_status", {"Trạng thái", "Status"}},
      {"action_status_planned", {"Dự kiến", "Planned"}},
      {"action_status_in_progress", {"Đang thực hiện", "In progress"}},
      {"action_status_done", {"Đã xong", "Done"}},
      {"action_overdue", {"Quá hạn", "Overdue"}},
      {"action_effect", {"Hiệu quả", "Effect"}},
      {"action_before", {"Trước", "Before"}},
      {"action_after", {"Sau", "After"}},
      {"action_none", {"Chưa có giải pháp nào.", "No actions yet."}},
      {"action_missing", {"Chưa có giải pháp cải thiện", "No improvement action"}},
      {"action_add", {"Thêm giải pháp", "Add action"}},
      {"action_add_for", {"Thêm giải pháp", "Add action"}},
      {"action_change_status", {"Đổi trạng thái", "Change status"}},
      {"action_saved", {"Đã lưu giải pháp.", "Action saved."}},
      {"action_window", {"Mỗi khoảng so sánh (trước và sau ngày bắt đầu) dài tối đa", "Each comparison window (before and after the start date) is at most"}},
      {"action_days", {"ngày", "days"}},
      {"action_choose_target", {"Chọn tiêu chí", "Choose a criterion"}},
      {"action_element_word", {"Cả yếu tố", "Whole element"}},
      {"effect_not_started", {"Chưa có số liệu sau ngày bắt đầu.", "No figures after the start date yet."}},
      {"effect_too_little", {"Chưa đủ số liệu để so sánh", "Too few answers to compare"}},
      {"effect_before", {"trước", "before"}},
      {"effect_after", {"sau", "after"}},
      {"effect_change", {"Thay đổi", "Change of"}},
      {"effect_up", {"Tăng", "Up"}},
      {"effect_down", {"Giảm", "Down"}},
      {"effect_points", {"điểm", "points"}},
      {"effect_ci", {"khoảng tin cậy 95 %: từ", "95 % confidence interval:"}},
      {"effect_to", {"đến", "to"}},
      {"effect_real", {"lớn hơn mức ngẫu nhiên", "larger than chance"}},
      {"effect_chance", {"chưa rõ khác biệt so với mức ngẫu nhiên", "not clearly larger than chance"}},
      {"action_err_unit", {"Đơn vị (unit): không có đơn vị này.", "unit: no such unit."}},
      {"action_err_target", {"Tiêu chí (criterion) hoặc yếu tố (element): cần chọn một.", "criterion or element: give the one the action targets."}},
      {"action_err_criterion", {"Tiêu chí (criterion): không có trong bộ câu hỏi nào.", "criterion: no questionnaire has this criterion."}},
      {"action_err_element", {"Yếu tố (element): không có trong bộ câu hỏi nào.", "element: no questionnaire has this element."}},
      {"action_err_element_mismatch", {"Yếu tố (element): tiêu chí không thuộc yếu tố này.", "element: the criterion belongs to another element."}},
      {"action_err_what", {"Nội dung giải pháp (what): không được để trống.", "what: must not be empty."}},
      {"action_err_owner", {"Người chịu trách nhiệm (owner): không được để trống.", "owner: must not be empty."}},
      {"action_err_what_long", {"Nội dung giải pháp (what): dài quá 2000 ký tự.", "what: longer than 2000 characters."}},
      {"action_err_owner_long", {"Người chịu trách nhiệm (owner): dài quá 2000 ký tự.", "owner: longer than 2000 characters."}},
      {"action_err_start", {"Ngày bắt đầu (start): cần một ngày dạng YYYY-MM-DD.", "start: must be a YYYY-MM-DD date."}},
      {"action_err_deadline", {"Hạn hoàn thành (deadline): cần một ngày dạng YYYY-MM-DD.", "deadline: must be a YYYY-MM-DD date."}},
      {"action_err_deadline_before", {"Hạn hoàn thành (deadline): trước ngày bắt đầu.", "deadline: before the start date."}},
      {"action_err_status", {"Trạng thái (status): phải là planned, in_progress hoặc done.", "status: must be planned, in_progress or done."}},
  };
  return words;
}

}  // namespace

const char* tr(std::string_view key, const std::string& lang) {
  auto it = catalogue().find(key);
  if (it == catalogue().end()) return "";
  return lang == "en" ? it->second.second : it->second.first;
}

Data words(const std::string& lang) {
  Data t;
  for (const auto& [key, text] : catalogue()) {
    t.set(std::string(key), lang == "en" ? text.second : text.first);
  }
  return t;
}

Result<std::string> render(std::string_view name, Data data) {
  const auto& all = templates();
  auto page = std::find_if(all.begin(), all.end(), [&](const EmbeddedFile& f) { return f.name == name; });
  if (page == all.end()) {
    return Status::error(ErrorCode::invalid_argument, "no template " + std::string(name));
  }
  for (const auto& f : all) {
    std::string key(f.name);
    // A key of the same name would be found instead of the partial, or the other way round.
    if (data.get(key)) {
      return Status::error(ErrorCode::invalid_argument,
                           "template data key " + key + " hides the template of that name");
    }
    std::string text(f.text);
    data.set(key, Data(kainjow::mustache::partial([text] { return text; })));
  }
  // Parsed at every call: a parsed template keeps its last error, so one shared between the
  // server's threads would not be safe, and a parse costs little next to the queries of a page.
  kainjow::mustache::mustache tmpl{std::string(page->text)};
  // esc() rather than the library's own escape, which writes ' as &apos; (not HTML 4) where the
  // pages have always had &#39;.
  tmpl.set_custom_escape([](const std::string& s) { return esc(s); });
  std::string out = tmpl.render(data);
  if (!tmpl.is_valid()) {
    return Status::error(ErrorCode::invalid_argument,
                         "template " + std::string(name) + ": " + tmpl.error_message());
  }
  return out;
}

std::string number(std::optional<double> v, const std::string& lang, int decimals) {
  if (!v) return "–";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, *v);
  std::string s = buf;
  if (lang != "en") std::replace(s.begin(), s.end(), '.', ',');
  return s;
}

std::string signed_number(std::optional<double> v, const std::string& lang, int decimals) {
  if (!v) return "–";
  std::string s = number(v, lang, decimals);
  return *v > 0 ? "+" + s : s;
}

std::string data_number(std::optional<double> v) {
  if (!v) return "";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f", *v);
  return buf;
}

std::string bars_svg(const std::vector<Bar>& bars, const std::string& lang,
                     const std::string& reference_label) {
  const int label_w = 260, bar_w = 420, row_h = 34, top = 8;
  const int width = label_w + bar_w + 70;
  const int height = top + static_cast<int>(bars.size()) * row_h + 26;
  std::string s = "<svg class=\"bars\" viewBox=\"0 0 " + std::to_string(width) + " " +
                  std::to_string(height) + "\" role=\"img\" width=\"100%\">";
  for (int g = 0; g <= 100; g += 25) {
    int x = label_w + bar_w * g / 100;
    s += "<line class=\"grid\" x1=\"" + std::to_string(x) + "\" y1=\"" + std::to_string(top) +
         "\" x2=\"" + std::to_string(x) + "\" y2=\"" + std::to_string(height - 20) + "\"/>";
    s += "<text class=\"axis\" x=\"" + std::to_string(x) + "\" y=\"" + std::to_string(height - 6) +
         "\" text-anchor=\"middle\">" + std::to_string(g) + "</text>";
  }
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const Bar& b = bars[i];
    int y = top + static_cast<int>(i) * row_h;
    std::string label = "<text class=\"label\" x=\"" + std::to_string(label_w - 10) + "\" y=\"" +
                        std::to_string(y + 20) + "\" text-anchor=\"end\">" + esc(b.label) +
                        "</text>";
    s += b.href.empty() ? label : "<a href=\"" + esc(b.href) + "\">" + label + "</a>";
    double v = b.value.value_or(0);
    int w = static_cast<int>(std::lround(bar_w * std::clamp(v, 0.0, 100.0) / 100.0));
    std::string cls = !b.value ? "bar empty" : v >= 80 ? "bar good" : v >= 60 ? "bar fair" : "bar poor";
    s += "<rect class=\"" + cls + "\" x=\"" + std::to_string(label_w) + "\" y=\"" +
         std::to_string(y + 6) + "\" width=\"" + std::to_string(w) + "\" height=\"20\" rx=\"3\"/>";
    s += "<text class=\"value\" x=\"" + std::to_string(label_w + w + 6) + "\" y=\"" +
         std::to_string(y + 21) + "\" data-value=\"" + data_number(b.value) + "\">" +
         number(b.value, lang) + "</text>";
    if (b.reference) {
      int rx = label_w + static_cast<int>(std::lround(bar_w * *b.reference / 100.0));
      s += "<line class=\"ref\" x1=\"" + std::to_string(rx) + "\" y1=\"" + std::to_string(y + 2) +
           "\" x2=\"" + std::to_string(rx) + "\" y2=\"" + std::to_string(y + 30) + "\"><title>" +
           esc(reference_label) + " " + number(*b.reference, lang, 2) + "</title></line>";
    }
  }
  return s + "</svg>";
}

std::string trend_svg(const std::vector<TrendPoint>& points, const std::vector<ReferenceLine>& lines,
                      const std::string& lang) {
  const int w = 720, h = 240, left = 40, right = 150, top = 12, bottom = 30;
  const double lo = 50, hi = 100;
  auto y_of = [&](double v) {
    double t = (std::clamp(v, lo, hi) - lo) / (hi - lo);
    return static_cast<int>(std::lround(top + (1 - t) * (h - top - bottom)));
  };
  int n = static_cast<int>(points.size());
  auto x_of = [&](int i) {
    return n <= 1 ? left : left + i * (w - left - right) / (n - 1);
  };
  std::string s = "<svg class=\"trend\" viewBox=\"0 0 " + std::to_string(w) + " " +
                  std::to_string(h) + "\" role=\"img\" width=\"100%\">";
  for (int g = 50; g <= 100; g += 10) {
    int y = y_of(g);
    s += "<line class=\"grid\" x1=\"" + std::to_string(left) + "\" y1=\"" + std::to_string(y) +
         "\" x2=\"" + std::to_string(w - right) + "\" y2=\"" + std::to_string(y) + "\"/>";
    s += "<text class=\"axis\" x=\"" + std::to_string(left - 6) + "\" y=\"" + std::to_string(y + 4) +
         "\" text-anchor=\"end\">" + std::to_string(g) + "</text>";
  }
  for (const auto& l : lines) {
    int y = y_of(l.value);
    s += "<line class=\"refline " + esc(l.css_class) + "\" x1=\"" + std::to_string(left) +
         "\" y1=\"" + std::to_string(y) + "\" x2=\"" + std::to_string(w - right) + "\" y2=\"" +
         std::to_string(y) + "\"/>";
    s += "<text class=\"reflabel " + esc(l.css_class) + "\" x=\"" + std::to_string(w - right + 6) +
         "\" y=\"" + std::to_string(y + 4) + "\">" + esc(l.label) + " " + number(l.value, lang, 2) +
         "</text>";
  }
  std::string path;
  for (int i = 0; i < n; ++i) {
    if (!points[static_cast<std::size_t>(i)].value) continue;
    path += (path.empty() ? "M" : " L") + std::to_string(x_of(i)) + " " +
            std::to_string(y_of(*points[static_cast<std::size_t>(i)].value));
  }
  if (!path.empty()) s += "<path class=\"line\" d=\"" + path + "\"/>";
  for (int i = 0; i < n; ++i) {
    const auto& p = points[static_cast<std::size_t>(i)];
    int x = x_of(i);
    if (p.value) {
      s += "<circle class=\"dot\" cx=\"" + std::to_string(x) + "\" cy=\"" +
           std::to_string(y_of(*p.value)) + "\" r=\"4\" data-value=\"" + data_number(p.value) +
           "\"><title>" + esc(p.label) + ": " + number(p.value, lang) + "</title></circle>";
    }
    s += "<text class=\"axis\" x=\"" + std::to_string(x) + "\" y=\"" + std::to_string(h - 10) +
         "\" text-anchor=\"middle\">" + esc(p.label) + "</text>";
  }
  return s + "</svg>";
}

}  // namespace sipas::html
