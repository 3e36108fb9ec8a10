#include "text.hpp"

namespace sipas {

const char* text(const std::string& language, Text id) {
  const bool en = language == "en";
  switch (id) {
    case Text::touch_to_rate: return en ? "Touch to rate our service" : "Chạm để đánh giá";
    case Text::welcome_prompt:
      return en ? "Your opinion helps us serve you better. It takes less than a minute."
                : "Ý kiến của Ông/Bà giúp chúng tôi phục vụ tốt hơn. Chỉ mất chưa đến một phút.";
    case Text::counter: return en ? "Counter" : "Quầy";
    case Text::officer: return en ? "Officer" : "Cán bộ";
    case Text::wait_seconds:
      return en ? "The next rating can start in %d s" : "Có thể đánh giá tiếp sau %d giây";
    case Text::dossier_title: return en ? "Your dossier number" : "Số hồ sơ của Ông/Bà";
    case Text::dossier_hint:
      return en ? "Scan the barcode on your receipt, or type the number."
                : "Quét mã vạch trên giấy hẹn, hoặc nhập số hồ sơ.";
    case Text::dossier_empty:
      return en ? "Please enter the dossier number." : "Vui lòng nhập số hồ sơ.";
    case Text::dossier_used:
      return en ? "This dossier has already been rated today."
                : "Hồ sơ này đã được đánh giá trong hôm nay.";
    case Text::procedure_title:
      return en ? "What did you come for today?" : "Hôm nay Ông/Bà đến làm thủ tục gì?";
    case Text::procedure_hint:
      return en ? "Touch the procedure, so that we know which service to improve."
                : "Chạm vào thủ tục để chúng tôi biết cần cải thiện dịch vụ nào.";
    case Text::procedure_skip: return en ? "Other / not sure" : "Khác / không nhớ";
    case Text::skip: return en ? "Skip" : "Bỏ qua";
    case Text::next: return en ? "Continue" : "Tiếp tục";
    case Text::back: return en ? "Back" : "Quay lại";
    case Text::not_applicable: return en ? "Not applicable" : "Không áp dụng";
    case Text::followup_title:
      return en ? "What did not satisfy you?" : "Điều gì chưa làm Ông/Bà hài lòng?";
    case Text::followup_hint: return en ? "You may choose several." : "Có thể chọn nhiều ý.";
    case Text::comment_title:
      return en ? "Anything else to tell us? (optional)" : "Ông/Bà có góp ý thêm? (không bắt buộc)";
    case Text::comment_hint:
      return en ? "Telex typing: aa=â  aw=ă  oo=ô  ow=ơ  uw=ư  dd=đ  s f r x j = tones"
                : "Gõ kiểu Telex: aa=â  aw=ă  oo=ô  ow=ơ  uw=ư  dd=đ  s f r x j = dấu";
    case Text::comment_count: return en ? "%d/%d characters" : "%d/%d ký tự";
    case Text::submit: return en ? "Send" : "Gửi đánh giá";
    case Text::thanks_title: return en ? "Thank you!" : "Xin cảm ơn Ông/Bà!";
    case Text::thanks_body:
      return en ? "Your rating has been recorded." : "Đánh giá của Ông/Bà đã được ghi nhận.";
    case Text::pin_title: return en ? "Staff PIN" : "Mã PIN cán bộ";
    case Text::pin_wrong: return en ? "Wrong PIN." : "Sai mã PIN.";
    case Text::pin_locked:
      return en ? "Too many attempts. The PIN pad is locked; try again in a few minutes."
                : "Nhập sai quá nhiều lần. Bàn phím tạm khoá, thử lại sau ít phút.";
    case Text::pin_not_set:
      return en ? "No staff PIN is set (sipas-kiosk set-pin)."
                : "Chưa đặt mã PIN (sipas-kiosk set-pin).";
    case Text::ok: return "OK";
    case Text::cancel: return en ? "Cancel" : "Huỷ";
    case Text::staff_title: return en ? "Kiosk administration" : "Quản trị kiosk";
    case Text::staff_exit: return en ? "Exit the kiosk" : "Thoát chương trình";
    case Text::staff_info: return en ? "Kiosk %s · counter %s · %s" : "Kiosk %s · quầy %s · %s";
    case Text::out_of_service_title:
      return en ? "Temporarily out of service" : "Tạm ngừng nhận đánh giá";
    case Text::out_of_service_body:
      return en ? "We are sorry. The kiosk will be back by itself shortly."
                : "Xin lỗi Ông/Bà. Máy sẽ tự hoạt động trở lại trong ít phút.";
    case Text::question_progress: return "%d/%d";
    case Text::space: return en ? "space" : "dấu cách";
  }
  return "";
}

}  // namespace sipas
