// The PDF report: A4 pages drawn with Cairo's PDF surface, text laid out by Pango (shaped
// by HarfBuzz, so Arabic joins and runs right to left) in DejaVu Sans and DejaVu Sans
// Mono, which Cairo embeds as subsets.
//
// The document is a list of paragraphs. Each is laid out once at the text width; its
// lines are then placed on pages one by one (a heading or a label stays with the first
// line of what follows it), so the page count is known before anything is drawn and every
// page can say "n / N". Each paragraph starts with a left-to-right or right-to-left mark
// for the report's language, and every content string inside it is a bidi isolate
// (U+2068 ... U+2069), the equivalent of the HTML's <bdi>; free text (descriptions) takes
// its direction from its first strong character instead; hashes, keys and commands are
// always left to right. Nothing here depends on the time or on randomness: the creation
// date is the bagging date, so the same content gives the same bytes.
#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>

#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "report/internal.h"
#include "report/report.h"

namespace isnad::report {
namespace {

using internal::Labels;

constexpr double kPageWidth = 595.2756;  // A4 in points: 210 mm x 297 mm
constexpr double kPageHeight = 841.8898;
constexpr double kMarginX = 56.7;               // 20 mm
constexpr double kTop = 64.0;                   // the running header is above this
constexpr double kBottom = kPageHeight - 60.0;  // the page number is below this
constexpr double kWidth = kPageWidth - 2 * kMarginX;

constexpr const char* kSans = "DejaVu Sans";
constexpr const char* kMono = "DejaVu Sans Mono";
constexpr double kBodySize = 9.5;
constexpr double kMonoSize = 8.5;
constexpr double kIndent = 12.0;

constexpr std::string_view kLrm = "\u200E";  // left-to-right mark
constexpr std::string_view kRlm = "\u200F";  // right-to-left mark
constexpr std::string_view kFsi = "\u2068";  // first strong isolate
constexpr std::string_view kLri = "\u2066";  // left-to-right isolate
constexpr std::string_view kPdi = "\u2069";  // pop directional isolate

// How a paragraph's direction is chosen.
enum class Dir {
  kDoc,   // the report's: it starts with a mark, content inside is isolated
  kAuto,  // its own first strong character (free text)
  kLtr,   // always left to right (hashes, keys, commands, page numbers)
};
enum class Face { kRegular, kBold, kMono };

struct Span {
  unsigned start, end;  // bytes of Para::text
  Face face;
};

struct Para {
  std::string text;
  std::vector<Span> spans;
  Dir dir = Dir::kDoc;
  Face face = Face::kRegular;  // of the whole paragraph, under the spans
  double size = kBodySize;
  double indent = 0;  // from the start side
  double space_before = 2;
  bool keep_with_next = false;
  bool keep_together = false;  // all its lines on one page (hashes, keys, commands)
  double grey = 0;             // 0 is black
  int outline = -1;            // 0: a section in the PDF outline, 1: an exhibit under the last one
  std::string outline_text;
};

// Builds the paragraphs of the report.
class Builder {
 public:
  explicit Builder(const Labels& labels) : l_(labels) {}

  std::vector<Para>& paras() { return paras_; }

  // Pango lays out a paragraph in time that grows with the square of its length (it
  // shapes the rest of a run again for every line): a line of free text is laid out in
  // pieces of at most kMaxPieceBytes, cut after a space when there is one in the
  // second half, else between code points. Each piece goes on its own line.
  static constexpr size_t kMaxPieceBytes = 2048;
  static std::vector<std::string_view> Pieces(std::string_view line) {
    std::vector<std::string_view> out;
    while (line.size() > kMaxPieceBytes) {
      size_t cut = kMaxPieceBytes;
      while (cut > 1 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) --cut;
      if (size_t space = line.rfind(' ', cut - 1);
          space != std::string_view::npos && space >= kMaxPieceBytes / 2) {
        cut = space + 1;
      }
      out.push_back(line.substr(0, cut));
      line.remove_prefix(cut);
    }
    out.push_back(line);
    return out;
  }

  Para& New(Dir dir) {
    paras_.emplace_back();
    Para& p = paras_.back();
    p.dir = dir;
    if (dir == Dir::kDoc) p.text = l_.rtl ? kRlm : kLrm;
    return p;
  }

  static void Add(Para& p, std::string_view s, Face face = Face::kRegular) {
    auto start = static_cast<unsigned>(p.text.size());
    p.text += s;
    if (face != Face::kRegular)
      p.spans.push_back({start, static_cast<unsigned>(p.text.size()), face});
  }
  // A content string as a bidi isolate in its own direction.
  static void AddContent(Para& p, std::string_view s, Face face = Face::kRegular) {
    p.text += kFsi;
    Add(p, InPieces(internal::Clean(s)), face);
    p.text += kPdi;
  }
  // `clean` with a line break between its pieces (see Pieces): Pango lays out each
  // line of a layout on its own.
  static std::string InPieces(std::string_view clean) {
    if (clean.size() <= kMaxPieceBytes) return std::string(clean);
    std::string out;
    for (std::string_view piece : Pieces(clean)) {
      if (!out.empty()) out += '\n';
      out += piece;
    }
    return out;
  }

  void Section(const char* title) {
    Para& p = New(Dir::kDoc);
    Add(p, title, Face::kBold);
    p.size = 13;
    p.space_before = 18;
    p.keep_with_next = true;
    p.outline = 0;
    p.outline_text = title;
  }
  void SubHeading(const char* title) {
    Para& p = New(Dir::kDoc);
    Add(p, title, Face::kBold);
    p.indent = kIndent;
    p.space_before = 5;
    p.keep_with_next = true;
  }
  void Plain(const char* text, double space_before = 4) {
    Para& p = New(Dir::kDoc);
    Add(p, text);
    p.space_before = space_before;
  }

  // "Label: value", the value isolated.
  void Field(const char* label, std::string_view value, double indent = kIndent) {
    if (value.empty()) return;
    Para& p = New(Dir::kDoc);
    Add(p, label, Face::kBold);
    Add(p, ": ");
    AddContent(p, value);
    p.indent = indent;
  }
  // The label on its own line, then the value in monospace, left to right; an ASCII
  // value is cut every 64 characters (a SHA-512 hash is two lines of 64), anything else
  // wraps where it must.
  void CodeField(const char* label, std::string_view value, double indent = kIndent) {
    Para& head = New(Dir::kDoc);
    Add(head, label, Face::kBold);
    Add(head, ":");
    head.indent = indent;
    head.keep_with_next = true;
    Code(value, indent + kIndent, 1);
  }
  void Code(std::string_view value, double indent, double space_before) {
    std::string clean = internal::Clean(value);
    bool ascii = true;
    for (char c : clean) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
    Para& p = New(Dir::kLtr);
    p.face = Face::kMono;
    p.size = kMonoSize;
    p.indent = indent;
    p.space_before = space_before;
    p.keep_together = true;
    if (clean.empty()) {
      p.text = "-";
    } else if (ascii) {
      for (size_t i = 0; i < clean.size(); i += 64) {
        if (i > 0) p.text += '\n';
        p.text += clean.substr(i, 64);
      }
    } else {
      p.text = InPieces(clean);
    }
  }
  // Free text, one paragraph per line, each in its own direction.
  void Text(const char* label, std::string_view value) {
    if (value.empty()) return;
    Para& head = New(Dir::kDoc);
    Add(head, label, Face::kBold);
    Add(head, ":");
    head.indent = kIndent;
    head.keep_with_next = true;
    std::string clean = internal::Clean(value, /*multiline=*/true);
    size_t start = 0;
    bool gap = false;
    while (start <= clean.size()) {
      size_t end = clean.find('\n', start);
      if (end == std::string::npos) end = clean.size();
      std::string_view line = std::string_view(clean).substr(start, end - start);
      if (line.find_first_not_of(' ') == std::string_view::npos) {
        gap = true;
      } else {
        double space_before = gap ? 5 : 1;
        for (std::string_view piece : Pieces(line)) {
          Para& p = New(Dir::kAuto);
          p.text = piece;
          p.indent = 2 * kIndent;
          p.space_before = space_before;
          space_before = 0;
        }
        gap = false;
      }
      start = end + 1;
    }
  }
  // "Size: 1572864 bytes (1.5 MiB)", the binary size always left to right.
  void Size(uint64_t size) {
    Para& p = New(Dir::kDoc);
    Add(p, l_.size, Face::kBold);
    Add(p, ": " + internal::Number(size) + " " + l_.bytes);
    if (std::string units = internal::BinarySize(size); !units.empty()) {
      p.text += " (";
      p.text += kLri;
      p.text += units;
      p.text += kPdi;
      p.text += ")";
    }
    p.indent = kIndent;
  }
  // "• line", the line isolated.
  void Bullet(std::string_view line, double indent) {
    Para& p = New(Dir::kDoc);
    Add(p, "• ");
    AddContent(p, line);
    p.indent = indent;
    p.space_before = 1;
  }
  // "date   what", both isolated.
  void Event(const Line& line, double indent) {
    Para& p = New(Dir::kDoc);
    AddContent(p, line.date, Face::kBold);
    p.text += "\u2003";  // em space
    AddContent(p, line.what);
    p.indent = indent;
    p.space_before = 1;
  }

 private:
  const Labels& l_;
  std::vector<Para> paras_;
};

void BuildParas(const Content& c, const Labels& l, Builder& b) {
  {
    Para& p = b.New(Dir::kDoc);
    Builder::Add(p, l.report, Face::kBold);
    p.size = 18;
    p.space_before = 0;
  }
  if (!c.title.empty()) {
    Para& p = b.New(Dir::kDoc);
    Builder::AddContent(p, c.title);
    p.size = 13;
    p.space_before = 4;
  }
  b.Field(l.jurisdiction, c.jurisdiction, 0);
  b.Field(l.parties, c.parties, 0);
  b.Field(l.description, c.description, 0);

  b.Section(l.archive);
  b.Field(l.origin, c.origin, 0);
  b.CodeField(l.vkey, c.vkey, 0);
  b.Field(l.checkpoint_size, c.checkpoint_size, 0);
  b.CodeField(l.checkpoint_root, c.checkpoint_root, 0);
  b.Field(l.bagging_date, c.bagging_date, 0);
  b.Plain(l.checkpoint_note, 6);

  b.Section(l.exhibits);
  if (c.exhibits.empty()) {
    b.Plain(l.no_exhibits);
  } else {
    Para& p = b.New(Dir::kDoc);
    Builder::Add(p, l.exhibit_count, Face::kBold);
    Builder::Add(p, ": " + internal::Number(c.exhibits.size()));
  }
  for (size_t i = 0; i < c.exhibits.size(); ++i) {
    const Exhibit& x = c.exhibits[i];
    std::string num = internal::Number(i + 1);
    Para& h = b.New(Dir::kDoc);
    Builder::Add(h, num + ". ", Face::kBold);
    Builder::AddContent(h, x.id, Face::kBold);
    Builder::Add(h, " — ", Face::kBold);
    Builder::AddContent(h, x.name, Face::kBold);
    h.size = 11;
    h.space_before = 14;
    h.keep_with_next = true;
    h.outline = 1;
    h.outline_text = num + ". " + internal::Clean(x.id) + " — " + internal::Clean(x.name);

    b.Field(l.id, x.id);
    b.Field(l.name, x.name);
    b.CodeField(l.bag_path, x.bag_path);
    b.Size(x.size);
    b.Field(l.media_type, x.media_type);
    b.CodeField(l.sha256, x.sha256);
    b.CodeField(l.sha512, x.sha512);
    b.Field(l.title, x.title);
    b.Text(l.description, x.description);
    b.Field(l.event_date, x.event_date);
    b.Field(l.place, x.place);
    b.Field(l.status, x.status);
    if (!x.provenance.empty()) {
      b.SubHeading(l.provenance);
      for (const std::string& line : x.provenance) b.Bullet(line, 2 * kIndent);
    }
    if (!x.custody.empty()) {
      b.SubHeading(l.custody);
      for (const Line& line : x.custody) b.Event(line, 2 * kIndent);
    }
  }

  if (!c.timeline.empty()) {
    b.Section(l.timeline);
    for (const Line& line : c.timeline) b.Event(line, kIndent);
  }

  if (!c.claims.empty()) {
    b.Section(l.claims);
    b.Plain(l.claims_intro);
    for (const std::string& t : c.claims) b.Bullet(t, kIndent);
  }

  b.Section(l.timestamps);
  if (c.timestamps.empty()) b.Plain(l.no_timestamps);
  for (const std::string& t : c.timestamps) b.Bullet(t, kIndent);

  b.Section(l.verify);
  b.Plain(l.verify_intro);
  b.Plain((std::string("1. ") + l.step_manifest).c_str(), 8);
  b.Code(internal::kCmdManifest, kIndent * 2, 3);
  b.Plain((std::string("2. ") + l.step_bag).c_str(), 8);
  b.Code(internal::kCmdVerifyBag, kIndent * 2, 3);
  {
    Para& p = b.New(Dir::kDoc);
    Builder::Add(p, l.step_bag_note);
    p.indent = kIndent;
    p.space_before = 3;
    p.grey = 0.25;
  }
  b.Plain((std::string("3. ") + l.step_docs).c_str(), 8);
  b.Code(internal::kDocVerifying, kIndent * 2, 3);
}

// Owners of the C objects.
struct GObjectUnref {
  void operator()(void* p) const { g_object_unref(p); }
};
struct SurfaceDestroy {
  void operator()(cairo_surface_t* s) const { cairo_surface_destroy(s); }
};
struct CairoDestroy {
  void operator()(cairo_t* cr) const { cairo_destroy(cr); }
};
struct FontDescriptionFree {
  void operator()(PangoFontDescription* d) const { pango_font_description_free(d); }
};
using ContextPtr = std::unique_ptr<PangoContext, GObjectUnref>;
using LayoutPtr = std::unique_ptr<PangoLayout, GObjectUnref>;

cairo_status_t AppendToString(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

bool HasFamily(PangoFontMap* map, const char* name) {
  PangoFontFamily** families = nullptr;
  int n = 0;
  pango_font_map_list_families(map, &families, &n);
  bool found = false;
  for (int i = 0; i < n && !found; ++i) {
    found = g_ascii_strcasecmp(pango_font_family_get_name(families[i]), name) == 0;
  }
  g_free(families);
  return found;
}

ContextPtr MakeContext(PangoFontMap* map, cairo_t* cr, PangoDirection dir, const char* lang) {
  ContextPtr ctx(pango_font_map_create_context(map));
  pango_cairo_update_context(cr, ctx.get());
  pango_cairo_context_set_resolution(ctx.get(), 72);  // sizes in points are device units
  cairo_font_options_t* options = cairo_font_options_create();
  cairo_font_options_set_hint_style(options, CAIRO_HINT_STYLE_NONE);
  cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF);
  cairo_font_options_set_antialias(options, CAIRO_ANTIALIAS_GRAY);
  pango_cairo_context_set_font_options(ctx.get(), options);
  cairo_font_options_destroy(options);
  pango_context_set_round_glyph_positions(ctx.get(), FALSE);
  pango_context_set_base_dir(ctx.get(), dir);
  pango_context_set_language(ctx.get(), pango_language_from_string(lang));
  return ctx;
}

LayoutPtr MakeLayout(const Para& p, PangoContext* doc, PangoContext* ltr, bool rtl) {
  LayoutPtr layout(pango_layout_new(p.dir == Dir::kLtr ? ltr : doc));
  PangoLayout* lo = layout.get();
  pango_layout_set_auto_dir(lo, p.dir != Dir::kLtr);
  pango_layout_set_width(lo, pango_units_from_double(kWidth - p.indent));
  pango_layout_set_wrap(lo, PANGO_WRAP_WORD_CHAR);
  // Alignment is relative to the context's base direction: this is the start side.
  pango_layout_set_alignment(lo, rtl ? PANGO_ALIGN_RIGHT : PANGO_ALIGN_LEFT);
  std::unique_ptr<PangoFontDescription, FontDescriptionFree> font(pango_font_description_new());
  pango_font_description_set_family(font.get(), p.face == Face::kMono ? kMono : kSans);
  pango_font_description_set_weight(
      font.get(), p.face == Face::kBold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
  pango_font_description_set_size(font.get(), pango_units_from_double(p.size));
  pango_layout_set_font_description(lo, font.get());
  PangoAttrList* attrs = pango_attr_list_new();
  // A name or hash broken across lines must not gain a hyphen that it does not have.
  pango_attr_list_insert(attrs, pango_attr_insert_hyphens_new(FALSE));
  for (const Span& s : p.spans) {
    PangoAttribute* a = s.face == Face::kMono ? pango_attr_family_new(kMono)
                                              : pango_attr_weight_new(PANGO_WEIGHT_BOLD);
    a->start_index = s.start;
    a->end_index = s.end;
    pango_attr_list_insert(attrs, a);
  }
  pango_layout_set_attributes(lo, attrs);
  pango_attr_list_unref(attrs);
  pango_layout_set_text(lo, p.text.data(), static_cast<int>(p.text.size()));
  return layout;
}

// One line of a laid-out paragraph, and where it goes.
struct Placed {
  size_t para;
  PangoLayoutLine* line;
  double x, height, baseline;  // x and baseline relative to the line's box
  int page = 0;
  double y = 0;  // top of the line's box on its page
};

std::vector<Placed> LinesOf(size_t para, PangoLayout* layout) {
  std::vector<Placed> lines;
  PangoLayoutIter* it = pango_layout_get_iter(layout);
  do {
    PangoRectangle logical;
    pango_layout_iter_get_line_extents(it, nullptr, &logical);
    int baseline = pango_layout_iter_get_baseline(it);
    lines.push_back({para, pango_layout_iter_get_line_readonly(it),
                     pango_units_to_double(logical.x), pango_units_to_double(logical.height),
                     pango_units_to_double(baseline - logical.y)});
  } while (pango_layout_iter_next_line(it));
  pango_layout_iter_free(it);
  return lines;
}

// The height that must fit on a page for the first line of paragraph `p` to go there.
double FirstBlock(const Para& para, const std::vector<Placed>& lines) {
  if (!para.keep_together) return lines[0].height;
  double h = 0;
  for (const Placed& line : lines) h += line.height;
  return h;
}

// Places every line on a page; returns the number of pages.
int Paginate(const std::vector<Para>& paras, std::vector<std::vector<Placed>>& lines) {
  int page = 0;
  double y = kTop;
  for (size_t p = 0; p < paras.size(); ++p) {
    for (size_t k = 0; k < lines[p].size(); ++k) {
      Placed& line = lines[p][k];
      double before = k == 0 && y > kTop ? paras[p].space_before : 0;
      double need = before + (k == 0 ? FirstBlock(paras[p], lines[p]) : line.height);
      // A heading or label keeps the first line of what follows (and of what follows
      // that, while each is a one-line heading) on its page.
      if (k + 1 == lines[p].size() && paras[p].keep_with_next) {
        for (size_t q = p + 1; q < paras.size(); ++q) {
          need += paras[q].space_before + FirstBlock(paras[q], lines[q]);
          if (!paras[q].keep_with_next || lines[q].size() > 1) break;
        }
      }
      // What cannot fit on an empty page is split anyway.
      if (y + need > kBottom && y > kTop) {
        ++page;
        y = kTop;
        before = 0;
      }
      y += before;
      line.page = page;
      line.y = y;
      y += line.height;
    }
  }
  return page + 1;
}

void DrawLine(cairo_t* cr, const Placed& line, double x0, double grey) {
  cairo_set_source_rgb(cr, grey, grey, grey);
  cairo_move_to(cr, x0 + line.x, line.y + line.baseline);
  pango_cairo_show_layout_line(cr, line.line);
}

// The x of a paragraph's box: its indent is on the start side.
double BoxX(const Para& p, bool rtl) { return rtl ? kMarginX : kMarginX + p.indent; }

// An ISO 8601 date-time for the PDF's creation date from the bagging date, when it
// starts with YYYY-MM-DD.
std::string PdfDate(std::string_view bagging) {
  if (bagging.size() < 10) return "";
  for (size_t i = 0; i < 10; ++i) {
    bool dash = i == 4 || i == 7;
    if (dash ? bagging[i] != '-' : (bagging[i] < '0' || bagging[i] > '9')) return "";
  }
  return std::string(bagging.substr(0, 10)) + "T00:00:00Z";
}

}  // namespace

core::StatusOr<std::string> Pdf(const Content& content) {
  const Labels& l = internal::LabelsFor(content.lang);
  Builder builder(l);
  BuildParas(content, l, builder);
  std::vector<Para>& paras = builder.paras();

  PangoFontMap* fonts = pango_cairo_font_map_get_default();  // per thread, not owned
  for (const char* family : {kSans, kMono}) {
    if (!HasFamily(fonts, family)) {
      return core::FailedPrecondition(std::string("report: font \"") + family +
                                      "\" is not installed (Debian: fonts-dejavu-core)");
    }
  }

  std::string pdf;
  std::unique_ptr<cairo_surface_t, SurfaceDestroy> surface(
      cairo_pdf_surface_create_for_stream(AppendToString, &pdf, kPageWidth, kPageHeight));
  if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS) {
    return core::Internal(std::string("report: cannot create the PDF surface: ") +
                          cairo_status_to_string(cairo_surface_status(surface.get())));
  }
  std::string title = std::string(l.report);
  if (!content.title.empty()) title += " — " + internal::Clean(content.title);
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_TITLE, title.c_str());
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_CREATOR, "isnad");
  // The bagging date, or no date at all (Cairo would put the time of rendering).
  std::string date = PdfDate(content.bagging_date);
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_CREATE_DATE, date.c_str());
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_MOD_DATE, date.c_str());

  std::unique_ptr<cairo_t, CairoDestroy> cr(cairo_create(surface.get()));
  ContextPtr doc_ctx =
      MakeContext(fonts, cr.get(), l.rtl ? PANGO_DIRECTION_RTL : PANGO_DIRECTION_LTR, l.lang);
  ContextPtr ltr_ctx = MakeContext(fonts, cr.get(), PANGO_DIRECTION_LTR, l.lang);

  // Lay out every paragraph, then place its lines.
  std::vector<LayoutPtr> layouts;
  std::vector<std::vector<Placed>> lines;
  layouts.reserve(paras.size());
  lines.reserve(paras.size());
  for (size_t i = 0; i < paras.size(); ++i) {
    layouts.push_back(MakeLayout(paras[i], doc_ctx.get(), ltr_ctx.get(), l.rtl));
    lines.push_back(LinesOf(i, layouts.back().get()));
  }
  const int pages = Paginate(paras, lines);

  // The running header (from page 2) and the page number.
  Para header_para;
  header_para.text = l.rtl ? kRlm : kLrm;
  Builder::Add(header_para, l.report);
  if (!content.title.empty()) {
    Builder::Add(header_para, " — ");
    Builder::AddContent(header_para, content.title);
  }
  header_para.size = 7.5;
  LayoutPtr header = MakeLayout(header_para, doc_ctx.get(), ltr_ctx.get(), l.rtl);
  pango_layout_set_ellipsize(header.get(), PANGO_ELLIPSIZE_END);
  pango_layout_set_height(header.get(), 0);  // one line

  int outline_section = CAIRO_PDF_OUTLINE_ROOT;
  size_t next = 0;  // index into paras, in drawing order
  size_t next_line = 0;
  for (int page = 0; page < pages; ++page) {
    if (page > 0) {
      cairo_set_source_rgb(cr.get(), 0.35, 0.35, 0.35);
      cairo_move_to(cr.get(), kMarginX, 34);
      pango_cairo_show_layout(cr.get(), header.get());
      cairo_set_line_width(cr.get(), 0.5);
      cairo_move_to(cr.get(), kMarginX, 48);
      cairo_line_to(cr.get(), kPageWidth - kMarginX, 48);
      cairo_stroke(cr.get());
    }
    Para number_para;
    number_para.dir = Dir::kLtr;
    number_para.size = 8;
    // En spaces: with plain ones, pdftotext reads a lone "1 / 3" as "1/3".
    number_para.text = std::to_string(page + 1) + "\u2002/\u2002" + std::to_string(pages);
    LayoutPtr number = MakeLayout(number_para, doc_ctx.get(), ltr_ctx.get(), l.rtl);
    pango_layout_set_alignment(number.get(), PANGO_ALIGN_CENTER);
    cairo_set_source_rgb(cr.get(), 0.2, 0.2, 0.2);
    cairo_move_to(cr.get(), kMarginX, kPageHeight - 40);
    pango_cairo_show_layout(cr.get(), number.get());

    while (next < paras.size()) {
      if (next_line == lines[next].size()) {
        ++next;
        next_line = 0;
        continue;
      }
      const Placed& line = lines[next][next_line];
      if (line.page != page) break;
      const Para& p = paras[next];
      if (next_line == 0 && p.outline >= 0) {
        char dest[64];
        std::snprintf(dest, sizeof dest, "page=%d pos=[%d %d]", page + 1,
                      static_cast<int>(kMarginX), static_cast<int>(line.y));
        int id = cairo_pdf_surface_add_outline(
            surface.get(), p.outline == 0 ? CAIRO_PDF_OUTLINE_ROOT : outline_section,
            p.outline_text.c_str(), dest,
            p.outline == 0 ? CAIRO_PDF_OUTLINE_FLAG_OPEN : cairo_pdf_outline_flags_t{});
        if (p.outline == 0) outline_section = id;
      }
      DrawLine(cr.get(), line, BoxX(p, l.rtl), p.grey);
      ++next_line;
    }
    cairo_show_page(cr.get());
  }

  cairo_status_t status = cairo_status(cr.get());
  cr.reset();
  cairo_surface_finish(surface.get());
  if (status == CAIRO_STATUS_SUCCESS) status = cairo_surface_status(surface.get());
  if (status != CAIRO_STATUS_SUCCESS) {
    return core::Internal(std::string("report: cannot draw the PDF: ") +
                          cairo_status_to_string(status));
  }
  surface.reset();
  return pdf;
}

}  // namespace isnad::report
