// The PDF writer of a doc::Document (document.hpp): cairo's PDF surface, with the text laid out
// and shaped by pango, so Vietnamese diacritics and justification come out as a typesetter would
// set them.
//
// Fonts come from fontconfig: the document's font ("Times New Roman") resolves to Liberation
// Serif (Debian's fonts-liberation2, which the server package depends on), a metric-compatible
// face with the full Vietnamese repertoire; the used faces are embedded as subsets. When it is
// not installed fontconfig substitutes its nearest face: the PDF is still written, with the same
// text, but its lines break elsewhere. When no face with Vietnamese letters is found at all,
// to_pdf fails (unavailable) rather than write a PDF of empty boxes.
//
// Layout: A4 (or d.page) with its margins; paragraphs break across pages line by line, a
// keep_with_next paragraph goes to the next page with the start of the block after it; a table
// row that does not fit goes to the next page under the repeated header rows, and a row taller
// than a page is split between pages. Page numbers (Arabic figures) at the top centre from the
// second page when d.page_numbers; the title and author in the PDF's document information;
// paragraphs with an outline_level as bookmarks.
//
// Threads: one call uses only its own cairo and pango objects plus the calling thread's pango
// font map (pango_cairo_font_map_get_default is per thread since pango 1.32.6; fontconfig is
// thread-safe), so calls on different threads may run at once. The font cache of a thread stays
// with the thread.
//
// Errors (nothing aborts; nothing is written anywhere but the returned string):
// - invalid_argument, the message naming the block ("block 5 (table row 3: ...)"): an image whose
//   bytes are not a PNG, a table without column widths, with a width not positive, or with a row
//   spanning more columns than it has; naming the field: margins that leave no room for text, a
//   body size or line spacing not positive;
// - unavailable: no installed font for d.font has the Vietnamese letters;
// - internal: cairo failed, with cairo's own text.
#pragma once

#include <string>

#include "sipas/server/document.hpp"
#include "sipas/status.hpp"

namespace sipas::doc {

// The PDF file's bytes.
Result<std::string> to_pdf(const Document& d);

}  // namespace sipas::doc
