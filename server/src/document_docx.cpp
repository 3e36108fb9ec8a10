#include "sipas/server/document_docx.hpp"

#include <zip.h>

#include <cmath>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

namespace sipas {
namespace {

using namespace doc;

// Word's units: twips (1/20 pt) for page and paragraph geometry, half-points for font sizes,
// EMU (1/360000 cm) for drawings.
long twips_cm(double cm) { return std::lround(cm * 1440.0 / 2.54); }
long twips_pt(double pt) { return std::lround(pt * 20.0); }
long half_points(double pt) { return std::lround(pt * 2.0); }
long emu_cm(double cm) { return std::lround(cm * 360000.0); }

// Appends one code point as UTF-8.
void put_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

// Decodes UTF-8, calling `f` with each well-formed code point; malformed bytes are skipped.
template <class F>
void each_code_point(std::string_view s, F f) {
  std::size_t i = 0;
  while (i < s.size()) {
    unsigned char b = static_cast<unsigned char>(s[i]);
    int len = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + len > s.size()) {
      ++i;
      continue;
    }
    char32_t c = len == 1 ? b : len == 2 ? (b & 0x1F) : len == 3 ? (b & 0x0F) : (b & 0x07);
    bool ok = true;
    for (int k = 1; k < len; ++k) {
      unsigned char n = static_cast<unsigned char>(s[i + k]);
      if ((n & 0xC0) != 0x80) {
        ok = false;
        break;
      }
      c = (c << 6) | (n & 0x3F);
    }
    // Overlong forms and values beyond Unicode are not UTF-8.
    static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (!ok || c < kMin[len] || c > 0x10FFFF) {
      ++i;
      continue;
    }
    f(c);
    i += static_cast<std::size_t>(len);
  }
}

// XML 1.0's Char production: a document with anything else is not well-formed and Word refuses
// the whole file.
bool xml_char(char32_t c) {
  return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) ||
         (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
}

std::string xml_text(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  each_code_point(s, [&](char32_t c) {
    if (!xml_char(c)) return;
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: put_utf8(out, c);
    }
  });
  return out;
}

constexpr const char* kXmlDecl = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n";
constexpr const char* kW = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
constexpr const char* kR = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
constexpr const char* kRelType = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/";

std::string lang_tag(const std::string& language) { return language == "en" ? "en-GB" : "vi-VN"; }

class DocumentXml {
 public:
  explicit DocumentXml(const Document& d) : d_(d) {}

  std::string body;
  std::vector<std::string> images;  // PNG bytes, image1.png … in order

  void block(const Block& b) {
    if (const auto* p = std::get_if<Paragraph>(&b)) paragraph(*p);
    if (const auto* t = std::get_if<Table>(&b)) table(*t);
    if (const auto* i = std::get_if<Image>(&b)) image(*i);
    if (std::holds_alternative<PageBreak>(b)) body += "<w:p><w:r><w:br w:type=\"page\"/></w:r></w:p>";
  }

  void paragraph(const Paragraph& p) {
    body += "<w:p><w:pPr>";
    // pPr children must come in the schema's order (keepNext, spacing, ind, jc, outlineLvl):
    // Word reports a file with them out of order as corrupt.
    if (p.keep_with_next) body += "<w:keepNext/>";
    body += "<w:spacing w:before=\"" + std::to_string(twips_pt(p.space_before_pt)) +
            "\" w:after=\"" + std::to_string(twips_pt(p.space_after_pt)) + "\" w:line=\"" +
            std::to_string(std::lround(240 * d_.line_spacing)) + "\" w:lineRule=\"auto\"/>";
    if (p.first_line_indent_cm > 0) {
      body += "<w:ind w:firstLine=\"" + std::to_string(twips_cm(p.first_line_indent_cm)) + "\"/>";
    }
    static constexpr const char* kJc[] = {"left", "center", "right", "both"};
    body += std::string("<w:jc w:val=\"") + kJc[static_cast<int>(p.align)] + "\"/>";
    // Word counts outline levels from 0 (= Heading 1).
    if (p.outline_level > 0) {
      body += "<w:outlineLvl w:val=\"" + std::to_string(p.outline_level - 1) + "\"/>";
    }
    body += "</w:pPr>";
    for (const auto& r : p.runs) run(r);
    body += "</w:p>";
  }

  void run(const Run& r) {
    std::string props;
    // rPr order too: b, i, sz, szCs, u. bCs/iCs/szCs make complex-script text (which Word
    // may decide Vietnamese with combining marks is) look the same.
    if (r.bold) props += "<w:b/><w:bCs/>";
    if (r.italic) props += "<w:i/><w:iCs/>";
    if (r.size_pt > 0) {
      std::string hp = std::to_string(half_points(r.size_pt));
      props += "<w:sz w:val=\"" + hp + "\"/><w:szCs w:val=\"" + hp + "\"/>";
    }
    if (r.underline) props += "<w:u w:val=\"single\"/>";
    std::string open = "<w:r>" + (props.empty() ? "" : "<w:rPr>" + props + "</w:rPr>");
    body += open;
    // Line breaks and tabs are elements of their own; a w:t keeps its spaces only with
    // xml:space="preserve" (else Word trims them at both ends).
    std::string piece;
    auto flush = [&] {
      if (!piece.empty()) body += "<w:t xml:space=\"preserve\">" + xml_text(piece) + "</w:t>";
      piece.clear();
    };
    for (char c : r.text) {
      if (c == '\n') {
        flush();
        body += "<w:br/>";
      } else if (c == '\t') {
        flush();
        body += "<w:tab/>";
      } else {
        piece += c;
      }
    }
    flush();
    body += "</w:r>";
  }

  void table(const Table& t) {
    if (t.rows.empty() || t.column_widths_cm.empty()) return;
    long total = 0;
    for (double w : t.column_widths_cm) total += twips_cm(w);
    body += "<w:tbl><w:tblPr><w:tblW w:w=\"" + std::to_string(total) +
            "\" w:type=\"dxa\"/><w:jc w:val=\"center\"/>";
    std::string line = t.borders ? "w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"000000\""
                                 : "w:val=\"none\" w:sz=\"0\" w:space=\"0\" w:color=\"auto\"";
    body += "<w:tblBorders>";
    for (const char* side : {"top", "left", "bottom", "right", "insideH", "insideV"}) {
      body += std::string("<w:") + side + " " + line + "/>";
    }
    body += "</w:tblBorders>";
    // A fixed layout keeps the given widths instead of Word's autofit to the content; the
    // cell margins are Word's default made explicit, so LibreOffice matches.
    body += "<w:tblLayout w:type=\"fixed\"/><w:tblCellMar><w:left w:w=\"85\" w:type=\"dxa\"/>"
            "<w:right w:w=\"85\" w:type=\"dxa\"/></w:tblCellMar>"
            "<w:tblLook w:val=\"0000\" w:firstRow=\"0\" w:lastRow=\"0\" w:firstColumn=\"0\" "
            "w:lastColumn=\"0\" w:noHBand=\"1\" w:noVBand=\"1\"/></w:tblPr><w:tblGrid>";
    for (double w : t.column_widths_cm) {
      body += "<w:gridCol w:w=\"" + std::to_string(twips_cm(w)) + "\"/>";
    }
    body += "</w:tblGrid>";
    for (std::size_t r = 0; r < t.rows.size(); ++r) {
      body += "<w:tr><w:trPr><w:cantSplit/>";
      if (static_cast<int>(r) < t.header_rows) body += "<w:tblHeader/>";
      body += "</w:trPr>";
      std::size_t col = 0;
      for (const auto& cell : t.rows[r]) {
        int span = std::max(1, cell.column_span);
        long width = 0;
        for (int k = 0; k < span && col + k < t.column_widths_cm.size(); ++k) {
          width += twips_cm(t.column_widths_cm[col + k]);
        }
        col += static_cast<std::size_t>(span);
        body += "<w:tc><w:tcPr><w:tcW w:w=\"" + std::to_string(width) + "\" w:type=\"dxa\"/>";
        if (span > 1) body += "<w:gridSpan w:val=\"" + std::to_string(span) + "\"/>";
        if (cell.shaded) body += "<w:shd w:val=\"clear\" w:color=\"auto\" w:fill=\"D9D9D9\"/>";
        body += "</w:tcPr>";
        // Every cell must end with a paragraph, even an empty one.
        if (cell.paragraphs.empty()) body += "<w:p/>";
        for (const auto& p : cell.paragraphs) paragraph(p);
        body += "</w:tc>";
      }
      body += "</w:tr>";
    }
    body += "</w:tbl>";
  }

  void image(const Image& i) {
    if (i.png.empty() || i.width_px <= 0 || i.height_px <= 0) return;
    images.push_back(i.png);
    const std::size_t n = images.size();
    const std::string id = std::to_string(n);
    const std::string rel = "rIdImage" + id;
    const long cx = emu_cm(i.width_cm);
    const long cy = emu_cm(i.width_cm * i.height_px / i.width_px);
    const std::string ext = "cx=\"" + std::to_string(cx) + "\" cy=\"" + std::to_string(cy) + "\"";
    const std::string name = "image" + id + ".png";
    body += "<w:p><w:pPr><w:keepNext/><w:spacing w:before=\"120\" w:after=\"120\"/>"
            "<w:jc w:val=\"center\"/></w:pPr><w:r><w:drawing>"
            "<wp:inline distT=\"0\" distB=\"0\" distL=\"0\" distR=\"0\"><wp:extent " + ext +
            "/><wp:effectExtent l=\"0\" t=\"0\" r=\"0\" b=\"0\"/>"
            // docPr ids must be unique in the document; Word repairs the file otherwise.
            "<wp:docPr id=\"" + id + "\" name=\"" + name + "\" descr=\"" +
            xml_text(i.description) + "\"/><wp:cNvGraphicFramePr>"
            "<a:graphicFrameLocks xmlns:a=\"http://schemas.openxmlformats.org/drawingml/2006/main\" "
            "noChangeAspect=\"1\"/></wp:cNvGraphicFramePr>"
            "<a:graphic xmlns:a=\"http://schemas.openxmlformats.org/drawingml/2006/main\">"
            "<a:graphicData uri=\"http://schemas.openxmlformats.org/drawingml/2006/picture\">"
            "<pic:pic xmlns:pic=\"http://schemas.openxmlformats.org/drawingml/2006/picture\">"
            "<pic:nvPicPr><pic:cNvPr id=\"" + id + "\" name=\"" + name + "\" descr=\"" +
            xml_text(i.description) + "\"/><pic:cNvPicPr/></pic:nvPicPr>"
            "<pic:blipFill><a:blip r:embed=\"" + rel + "\"/><a:stretch><a:fillRect/></a:stretch>"
            "</pic:blipFill><pic:spPr><a:xfrm><a:off x=\"0\" y=\"0\"/><a:ext " + ext +
            "/></a:xfrm><a:prstGeom prst=\"rect\"><a:avLst/></a:prstGeom></pic:spPr></pic:pic>"
            "</a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>";
  }

  std::string document() {
    for (const auto& b : d_.blocks) block(b);
    // Word wants a paragraph between a table and the section's end.
    if (!d_.blocks.empty() && std::holds_alternative<Table>(d_.blocks.back())) body += "<w:p/>";
    const PageSetup& pg = d_.page;
    std::string x = kXmlDecl;
    x += std::string("<w:document xmlns:w=\"") + kW + "\" xmlns:r=\"" + kR +
         "\" xmlns:wp=\"http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing\">"
         "<w:body>";
    x += body;
    x += "<w:sectPr>";
    if (d_.page_numbers) {
      x += "<w:headerReference w:type=\"default\" r:id=\"rIdHeader\"/>"
           "<w:headerReference w:type=\"first\" r:id=\"rIdHeaderFirst\"/>";
    }
    x += "<w:pgSz w:w=\"" + std::to_string(twips_cm(pg.width_cm)) + "\" w:h=\"" +
         std::to_string(twips_cm(pg.height_cm)) + "\"/>";
    // The header sits in the top margin, 1 cm from the edge.
    x += "<w:pgMar w:top=\"" + std::to_string(twips_cm(pg.margin_top_cm)) + "\" w:right=\"" +
         std::to_string(twips_cm(pg.margin_right_cm)) + "\" w:bottom=\"" +
         std::to_string(twips_cm(pg.margin_bottom_cm)) + "\" w:left=\"" +
         std::to_string(twips_cm(pg.margin_left_cm)) + "\" w:header=\"" +
         std::to_string(twips_cm(1.0)) + "\" w:footer=\"" + std::to_string(twips_cm(1.0)) +
         "\" w:gutter=\"0\"/>";
    // titlePg: the first page takes the "first" header (empty), so its number is not shown.
    if (d_.page_numbers) x += "<w:titlePg/>";
    x += "</w:sectPr></w:body></w:document>";
    return x;
  }

 private:
  const Document& d_;
};

std::string styles_xml(const Document& d) {
  const std::string font = xml_text(d.font);
  const std::string size = std::to_string(half_points(d.body_size_pt));
  const std::string lang = lang_tag(d.language);
  std::string x = kXmlDecl;
  x += std::string("<w:styles xmlns:w=\"") + kW + "\"><w:docDefaults><w:rPrDefault><w:rPr>";
  // The font for every script slot: Word picks eastAsia or cs for some Vietnamese characters
  // and would fall back to another font for them.
  x += "<w:rFonts w:ascii=\"" + font + "\" w:hAnsi=\"" + font + "\" w:cs=\"" + font +
       "\" w:eastAsia=\"" + font + "\"/><w:sz w:val=\"" + size + "\"/><w:szCs w:val=\"" + size +
       "\"/><w:lang w:val=\"" + lang + "\" w:eastAsia=\"" + lang + "\" w:bidi=\"ar-SA\"/>";
  x += "</w:rPr></w:rPrDefault><w:pPrDefault><w:pPr><w:spacing w:after=\"0\" w:line=\"240\" "
       "w:lineRule=\"auto\"/></w:pPr></w:pPrDefault></w:docDefaults>";
  x += "<w:style w:type=\"paragraph\" w:default=\"1\" w:styleId=\"Normal\"><w:name w:val=\"Normal\"/>"
       "<w:qFormat/></w:style>";
  x += "<w:style w:type=\"character\" w:default=\"1\" w:styleId=\"DefaultParagraphFont\">"
       "<w:name w:val=\"Default Paragraph Font\"/><w:uiPriority w:val=\"1\"/><w:semiHidden/>"
       "</w:style>";
  x += "<w:style w:type=\"table\" w:default=\"1\" w:styleId=\"TableNormal\"><w:name "
       "w:val=\"Normal Table\"/><w:semiHidden/><w:tblPr><w:tblInd w:w=\"0\" w:type=\"dxa\"/>"
       "<w:tblCellMar><w:top w:w=\"0\" w:type=\"dxa\"/><w:left w:w=\"108\" w:type=\"dxa\"/>"
       "<w:bottom w:w=\"0\" w:type=\"dxa\"/><w:right w:w=\"108\" w:type=\"dxa\"/></w:tblCellMar>"
       "</w:tblPr></w:style>";
  x += "<w:style w:type=\"paragraph\" w:styleId=\"Header\"><w:name w:val=\"header\"/>"
       "<w:basedOn w:val=\"Normal\"/></w:style>";
  x += "</w:styles>";
  return x;
}

std::string settings_xml(const Document& d) {
  std::string x = kXmlDecl;
  x += std::string("<w:settings xmlns:w=\"") + kW + "\">";
  x += "<w:defaultTabStop w:val=\"720\"/><w:characterSpacingControl w:val=\"doNotCompress\"/>";
  // Without the compatibility mode Word opens the file in "Compatibility Mode" (Word 2007 rules).
  x += "<w:compat><w:compatSetting w:name=\"compatibilityMode\" "
       "w:uri=\"http://schemas.microsoft.com/office/word\" w:val=\"15\"/></w:compat>";
  x += "<w:themeFontLang w:val=\"" + lang_tag(d.language) + "\"/>";
  x += "</w:settings>";
  return x;
}

std::string header_xml(bool page_number) {
  std::string x = kXmlDecl;
  x += std::string("<w:hdr xmlns:w=\"") + kW + "\" xmlns:r=\"" + kR + "\">";
  x += "<w:p><w:pPr><w:pStyle w:val=\"Header\"/><w:jc w:val=\"center\"/></w:pPr>";
  if (page_number) {
    // A complex field (begin, instruction, separate, cached result, end): Word and LibreOffice
    // both compute it on each page; the cached "1" is shown only by readers that do not.
    x += "<w:r><w:fldChar w:fldCharType=\"begin\"/></w:r>"
         "<w:r><w:instrText xml:space=\"preserve\"> PAGE </w:instrText></w:r>"
         "<w:r><w:fldChar w:fldCharType=\"separate\"/></w:r>"
         "<w:r><w:t>1</w:t></w:r>"
         "<w:r><w:fldChar w:fldCharType=\"end\"/></w:r>";
  }
  x += "</w:p></w:hdr>";
  return x;
}

std::string content_types_xml(bool headers) {
  std::string x = kXmlDecl;
  x += "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
       "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>"
       "<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
       "<Default Extension=\"png\" ContentType=\"image/png\"/>";
  const std::string wml = "application/vnd.openxmlformats-officedocument.wordprocessingml.";
  x += "<Override PartName=\"/word/document.xml\" ContentType=\"" + wml + "document.main+xml\"/>";
  x += "<Override PartName=\"/word/styles.xml\" ContentType=\"" + wml + "styles+xml\"/>";
  x += "<Override PartName=\"/word/settings.xml\" ContentType=\"" + wml + "settings+xml\"/>";
  if (headers) {
    x += "<Override PartName=\"/word/header1.xml\" ContentType=\"" + wml + "header+xml\"/>";
    x += "<Override PartName=\"/word/header2.xml\" ContentType=\"" + wml + "header+xml\"/>";
  }
  x += "<Override PartName=\"/docProps/core.xml\" "
       "ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/>"
       "<Override PartName=\"/docProps/app.xml\" "
       "ContentType=\"application/vnd.openxmlformats-officedocument.extended-properties+xml\"/>"
       "</Types>";
  return x;
}

struct Rel {
  std::string id;
  std::string type;
  std::string target;
};

std::string rels(const std::vector<Rel>& list) {
  std::string x = kXmlDecl;
  x += "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">";
  for (const auto& r : list) {
    x += "<Relationship Id=\"" + r.id + "\" Type=\"" + r.type + "\" Target=\"" + r.target + "\"/>";
  }
  x += "</Relationships>";
  return x;
}

std::string core_xml(const Document& d) {
  std::string x = kXmlDecl;
  x += "<cp:coreProperties "
       "xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" "
       "xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:dcterms=\"http://purl.org/dc/terms/\" "
       "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">";
  x += "<dc:title>" + xml_text(d.title) + "</dc:title>";
  x += "<dc:creator>" + xml_text(d.author) + "</dc:creator>";
  x += "<dc:language>" + lang_tag(d.language) + "</dc:language>";
  x += "</cp:coreProperties>";
  return x;
}

std::string app_xml() {
  std::string x = kXmlDecl;
  x += "<Properties xmlns=\"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties\">"
       "<Application>sipas-server</Application></Properties>";
  return x;
}

struct ZipSourceFree {
  void operator()(zip_source_t* s) const { zip_source_free(s); }
};
struct ZipDiscard {
  void operator()(zip_t* z) const { zip_discard(z); }
};

Status zip_fail(const char* what, zip_error_t* e) {
  return Status::error(ErrorCode::internal,
                       std::string("cannot write the .docx: ") + what + ": " + zip_error_strerror(e));
}

// Frees what zip_error_strerror() may have allocated in a local zip_error_t.
struct ZipErrorGuard {
  zip_error_t* e;
  ~ZipErrorGuard() { zip_error_fini(e); }
};

}  // namespace

Result<std::string> to_docx(const doc::Document& d) {
  DocumentXml body(d);
  struct Part {
    std::string name;
    std::string data;
    bool store = false;  // PNGs are compressed already
  };
  std::vector<Part> parts;
  // [Content_Types].xml first: some readers look for it at the start of the archive.
  parts.push_back({"[Content_Types].xml", content_types_xml(d.page_numbers)});
  const std::string office = std::string(kRelType);
  parts.push_back(
      {"_rels/.rels",
       rels({{"rId1", office + "officeDocument", "word/document.xml"},
             {"rId2", "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties",
              "docProps/core.xml"},
             {"rId3", office + "extended-properties", "docProps/app.xml"}})});
  parts.push_back({"word/document.xml", body.document()});
  std::vector<Rel> doc_rels = {{"rIdStyles", office + "styles", "styles.xml"},
                               {"rIdSettings", office + "settings", "settings.xml"}};
  if (d.page_numbers) {
    doc_rels.push_back({"rIdHeader", office + "header", "header1.xml"});
    doc_rels.push_back({"rIdHeaderFirst", office + "header", "header2.xml"});
  }
  for (std::size_t i = 0; i < body.images.size(); ++i) {
    std::string n = std::to_string(i + 1);
    doc_rels.push_back({"rIdImage" + n, office + "image", "media/image" + n + ".png"});
  }
  parts.push_back({"word/_rels/document.xml.rels", rels(doc_rels)});
  parts.push_back({"word/styles.xml", styles_xml(d)});
  parts.push_back({"word/settings.xml", settings_xml(d)});
  if (d.page_numbers) {
    parts.push_back({"word/header1.xml", header_xml(true)});
    parts.push_back({"word/header2.xml", header_xml(false)});
  }
  for (std::size_t i = 0; i < body.images.size(); ++i) {
    parts.push_back({"word/media/image" + std::to_string(i + 1) + ".png", body.images[i], true});
  }
  parts.push_back({"docProps/core.xml", core_xml(d)});
  parts.push_back({"docProps/app.xml", app_xml()});

  zip_error_t error;
  zip_error_init(&error);
  ZipErrorGuard guard{&error};
  std::unique_ptr<zip_source_t, ZipSourceFree> buffer(zip_source_buffer_create(nullptr, 0, 0, &error));
  if (!buffer) return zip_fail("buffer", &error);
  std::unique_ptr<zip_t, ZipDiscard> archive(zip_open_from_source(buffer.get(), ZIP_TRUNCATE, &error));
  if (!archive) return zip_fail("open", &error);
  // The archive now owns a reference; keep ours to read the bytes back after zip_close().
  zip_source_keep(buffer.get());
  for (const auto& p : parts) {
    zip_source_t* s = zip_source_buffer(archive.get(), p.data.data(), p.data.size(), 0);
    if (!s) return zip_fail("part", zip_get_error(archive.get()));
    zip_int64_t index = zip_file_add(archive.get(), p.name.c_str(), s, ZIP_FL_ENC_UTF_8);
    if (index < 0) {
      zip_source_free(s);
      return zip_fail("part", zip_get_error(archive.get()));
    }
    if (p.store) zip_set_file_compression(archive.get(), static_cast<zip_uint64_t>(index), ZIP_CM_STORE, 0);
  }
  if (zip_close(archive.get()) != 0) return zip_fail("close", zip_get_error(archive.get()));
  archive.release();  // zip_close() freed it

  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_source_stat(buffer.get(), &st) != 0 || !(st.valid & ZIP_STAT_SIZE)) {
    return zip_fail("size", zip_source_error(buffer.get()));
  }
  if (zip_source_open(buffer.get()) != 0) return zip_fail("read", zip_source_error(buffer.get()));
  std::string out(static_cast<std::size_t>(st.size), '\0');
  zip_int64_t got = zip_source_read(buffer.get(), out.data(), st.size);
  zip_source_close(buffer.get());
  if (got < 0 || static_cast<zip_uint64_t>(got) != st.size) {
    return zip_fail("read", zip_source_error(buffer.get()));
  }
  return out;
}

}  // namespace sipas
