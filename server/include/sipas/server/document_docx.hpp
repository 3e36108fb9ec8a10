// A doc::Document written as a Word document (.docx: Office Open XML WordprocessingML, ISO/IEC
// 29500), zipped in memory with libzip. No office suite is needed on the server.
//
// The package holds [Content_Types].xml, _rels/.rels, word/document.xml, word/styles.xml (the
// Document's font as the default for every script, its body size), word/settings.xml, two
// headers (the page number at the top centre; an empty one for the first page), the images as
// word/media/imageN.png and docProps/core.xml and app.xml.
//
// Text is XML-escaped; characters XML 1.0 forbids (control characters, unpaired surrogates,
// U+FFFE/U+FFFF) and bytes that are not UTF-8 are left out, so any citizen text gives a file Word
// opens.
//
// Pure function, any thread. Errors: internal when libzip fails (out of memory).
#pragma once

#include <string>

#include "sipas/server/document.hpp"
#include "sipas/status.hpp"

namespace sipas {

Result<std::string> to_docx(const doc::Document& document);

constexpr const char* kDocxContentType =
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

}  // namespace sipas
