// The HTML report: one self-contained UTF-8 document. Every content string is cleaned
// (internal::Clean) and escaped; values sit in <bdi> or dir="auto" so that text in either
// script keeps its own direction inside the page's; hashes, keys and commands are
// left-to-right monospace that may break anywhere. A Content-Security-Policy forbids
// scripts and any external resource, even if a string ever got through unescaped.
#include <string>
#include <string_view>

#include "report/internal.h"
#include "report/report.h"

namespace isnad::report {
namespace {

using internal::Labels;

constexpr std::string_view kCss = R"css(
@page { size: A4; margin: 18mm 16mm 20mm; }
html { background: #fff; color: #111; }
body { font-family: "DejaVu Sans", "Noto Sans", "Noto Naskh Arabic", Arial, sans-serif;
  font-size: 10.5pt; line-height: 1.45; max-width: 52em; margin: 2em auto; padding: 0 1em; }
h1 { font-size: 18pt; margin: 0 0 .2em; }
h2 { font-size: 13.5pt; margin: 1.6em 0 .5em; padding-bottom: .15em;
  border-bottom: 1.5px solid #333; break-after: avoid; page-break-after: avoid; }
h3 { font-size: 11.5pt; margin: 1.4em 0 .4em; break-after: avoid; page-break-after: avoid; }
h4 { font-size: 10.5pt; margin: .8em 0 .3em; break-after: avoid; page-break-after: avoid; }
.subject { font-size: 13pt; margin: 0 0 1em; }
table.fields { border-collapse: collapse; width: 100%; table-layout: fixed; }
table.fields th, table.fields td { text-align: start; vertical-align: top; padding: 3px 6px;
  border-bottom: 1px solid #ddd; overflow-wrap: anywhere; }
table.fields th { width: 11.5em; font-weight: 600; }
table.fields tr { break-inside: avoid; page-break-inside: avoid; }
code, .mono { font-family: "DejaVu Sans Mono", Consolas, "Liberation Mono", monospace;
  font-size: .92em; }
.hash, .key, .cmd { direction: ltr; unicode-bidi: isolate; overflow-wrap: anywhere;
  word-break: break-all; }
pre.cmd { white-space: pre-wrap; background: #f3f3f3; border: 1px solid #ccc;
  padding: .4em .6em; margin: .3em 0 .6em; text-align: left; }
.text { white-space: pre-wrap; margin: 0 0 .3em; }
ol.timeline, ul.lines { margin: .2em 0; padding-inline-start: 1.6em; }
ol.timeline li, ul.lines li { margin: .15em 0; overflow-wrap: anywhere; }
.date { display: inline-block; min-width: 9em; font-variant-numeric: tabular-nums;
  margin-inline-end: .8em; color: #333; }
.exhibit { border-top: 1px solid #999; margin-top: 1.2em; }
.note, .muted { color: #444; }
footer { margin-top: 2.5em; font-size: 9pt; color: #555; }
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 9.5pt; }
  a { color: inherit; text-decoration: none; }
  pre.cmd { background: none; }
}
)css";

// The escaped, cleaned form of a content string.
std::string E(std::string_view s) {
  std::string clean = internal::Clean(s);
  std::string out;
  out.reserve(clean.size() + clean.size() / 8);
  for (char c : clean) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

class Writer {
 public:
  explicit Writer(const Labels& labels) : l_(labels) {}

  std::string& out() { return out_; }

  void Raw(std::string_view s) { out_ += s; }

  // A row of a fields table whose value is isolated text in its own direction.
  void Row(const char* label, std::string_view value) {
    if (value.empty()) return;
    out_ += "<tr><th>";
    out_ += label;
    out_ += "</th><td><bdi>";
    out_ += E(value);
    out_ += "</bdi></td></tr>\n";
  }
  // A row whose value is a hash, key or other left-to-right machine string.
  void CodeRow(const char* label, std::string_view value, const char* cls) {
    out_ += "<tr><th>";
    out_ += label;
    out_ += "</th><td><code class=\"";
    out_ += cls;
    out_ += "\" dir=\"ltr\">";
    out_ += E(value);
    out_ += "</code></td></tr>\n";
  }
  // A row whose value may have several paragraphs, each in its own direction.
  void TextRow(const char* label, std::string_view value) {
    if (value.empty()) return;
    out_ += "<tr><th>";
    out_ += label;
    out_ += "</th><td>";
    std::string clean = internal::Clean(value, /*multiline=*/true);
    size_t start = 0;
    while (start <= clean.size()) {
      size_t end = clean.find('\n', start);
      if (end == std::string::npos) end = clean.size();
      std::string_view line = std::string_view(clean).substr(start, end - start);
      if (line.find_first_not_of(' ') != std::string_view::npos) {
        out_ += "<p class=\"text\" dir=\"auto\">" + E(line) + "</p>";
      }
      start = end + 1;
    }
    out_ += "</td></tr>\n";
  }

  void Timeline(const std::vector<Line>& lines) {
    out_ += "<ol class=\"timeline\">\n";
    for (const Line& line : lines) {
      out_ += "<li><span class=\"date\"><bdi>";
      out_ += E(line.date);
      out_ += "</bdi></span><bdi>";
      out_ += E(line.what);
      out_ += "</bdi></li>\n";
    }
    out_ += "</ol>\n";
  }

  void Exhibit(const report::Exhibit& x, size_t n) {
    std::string num = internal::Number(n);
    out_ += "<section class=\"exhibit\" id=\"exhibit-" + num + "\">\n<h3>" + num + ". <bdi>" +
            E(x.id) + "</bdi> — <bdi>" + E(x.name) + "</bdi></h3>\n";
    out_ += "<table class=\"fields\">\n";
    Row(l_.id, x.id);
    Row(l_.name, x.name);
    CodeRow(l_.bag_path, x.bag_path, "path");
    out_ += "<tr><th>";
    out_ += l_.size;
    out_ += "</th><td>" + internal::Number(x.size) + " " + l_.bytes;
    if (std::string units = internal::BinarySize(x.size); !units.empty()) {
      out_ += " (<bdi dir=\"ltr\">" + units + "</bdi>)";
    }
    out_ += "</td></tr>\n";
    Row(l_.media_type, x.media_type);
    CodeRow(l_.sha256, x.sha256, "hash");
    CodeRow(l_.sha512, x.sha512, "hash");
    Row(l_.title, x.title);
    TextRow(l_.description, x.description);
    Row(l_.event_date, x.event_date);
    Row(l_.place, x.place);
    Row(l_.status, x.status);
    out_ += "</table>\n";
    if (!x.provenance.empty()) {
      out_ += "<h4>";
      out_ += l_.provenance;
      out_ += "</h4>\n<ul class=\"lines\">\n";
      for (const std::string& p : x.provenance) out_ += "<li dir=\"auto\">" + E(p) + "</li>\n";
      out_ += "</ul>\n";
    }
    if (!x.custody.empty()) {
      out_ += "<h4>";
      out_ += l_.custody;
      out_ += "</h4>\n";
      Timeline(x.custody);
    }
    out_ += "</section>\n";
  }

 private:
  const Labels& l_;
  std::string out_;
};

}  // namespace

std::string Html(const Content& c) {
  const Labels& l = internal::LabelsFor(c.lang);
  Writer w(l);
  std::string& o = w.out();
  o += "<!DOCTYPE html>\n<html lang=\"";
  o += l.lang;
  o += "\" dir=\"";
  o += l.rtl ? "rtl" : "ltr";
  o += "\">\n<head>\n<meta charset=\"utf-8\">\n"
       "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
       "style-src 'unsafe-inline'\">\n"
       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
       "<meta name=\"generator\" content=\"isnad\">\n<title>";
  o += l.report;
  if (!c.title.empty()) o += " — " + E(c.title);
  o += "</title>\n<style>";
  o += kCss;
  o += "</style>\n</head>\n<body>\n<header>\n<h1>";
  o += l.report;
  o += "</h1>\n";
  if (!c.title.empty()) o += "<p class=\"subject\" dir=\"auto\">" + E(c.title) + "</p>\n";
  if (!c.jurisdiction.empty() || !c.parties.empty() || !c.description.empty()) {
    o += "<table class=\"fields\">\n";
    w.Row(l.jurisdiction, c.jurisdiction);
    w.Row(l.parties, c.parties);
    w.Row(l.description, c.description);
    o += "</table>\n";
  }
  o += "</header>\n";

  // The archive and the checkpoint the proofs are against.
  o += "<section id=\"archive\">\n<h2>";
  o += l.archive;
  o += "</h2>\n<table class=\"fields\">\n";
  w.Row(l.origin, c.origin);
  w.CodeRow(l.vkey, c.vkey, "key");
  w.Row(l.checkpoint_size, c.checkpoint_size);
  w.CodeRow(l.checkpoint_root, c.checkpoint_root, "hash");
  w.Row(l.bagging_date, c.bagging_date);
  o += "</table>\n<p class=\"note\">";
  o += l.checkpoint_note;
  o += "</p>\n</section>\n";

  o += "<section id=\"exhibits\">\n<h2>";
  o += l.exhibits;
  o += "</h2>\n";
  if (c.exhibits.empty()) {
    o += "<p>";
    o += l.no_exhibits;
    o += "</p>\n";
  } else {
    o += "<p>";
    o += l.exhibit_count;
    o += ": " + internal::Number(c.exhibits.size()) + "</p>\n";
    for (size_t i = 0; i < c.exhibits.size(); ++i) w.Exhibit(c.exhibits[i], i + 1);
  }
  o += "</section>\n";

  if (!c.timeline.empty()) {
    o += "<section id=\"timeline\">\n<h2>";
    o += l.timeline;
    o += "</h2>\n";
    w.Timeline(c.timeline);
    o += "</section>\n";
  }

  if (!c.claims.empty()) {
    o += "<section id=\"claims\">\n<h2>";
    o += l.claims;
    o += "</h2>\n<p>";
    o += l.claims_intro;
    o += "</p>\n<ul class=\"lines\">\n";
    for (const std::string& t : c.claims) o += "<li dir=\"auto\">" + E(t) + "</li>\n";
    o += "</ul>\n</section>\n";
  }

  o += "<section id=\"timestamps\">\n<h2>";
  o += l.timestamps;
  o += "</h2>\n";
  if (c.timestamps.empty()) {
    o += "<p>";
    o += l.no_timestamps;
    o += "</p>\n";
  } else {
    o += "<ul class=\"lines\">\n";
    for (const std::string& t : c.timestamps) o += "<li dir=\"auto\">" + E(t) + "</li>\n";
    o += "</ul>\n";
  }
  o += "</section>\n";

  o += "<section id=\"verify\">\n<h2>";
  o += l.verify;
  o += "</h2>\n<p>";
  o += l.verify_intro;
  o += "</p>\n<ol>\n<li>";
  o += l.step_manifest;
  o += "\n<pre class=\"cmd\" dir=\"ltr\">";
  o += internal::kCmdManifest;
  o += "</pre></li>\n<li>";
  o += l.step_bag;
  o += "\n<pre class=\"cmd\" dir=\"ltr\">";
  o += internal::kCmdVerifyBag;
  o += "</pre>\n<p class=\"note\">";
  o += l.step_bag_note;
  o += "</p></li>\n<li>";
  o += l.step_docs;
  o += " <code class=\"cmd\" dir=\"ltr\">";
  o += internal::kDocVerifying;
  o += "</code></li>\n</ol>\n</section>\n<footer>";
  o += l.generated;
  if (!c.bagging_date.empty()) o += " · <bdi>" + E(c.bagging_date) + "</bdi>";
  o += "</footer>\n</body>\n</html>\n";
  return std::move(o);
}

}  // namespace isnad::report
