#include "media/text.h"

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include <memory>

#include "core/utf8.h"

namespace isnad::media {
namespace {

bool IsHtml(std::string_view media_type) {
  return media_type == "text/html" || media_type == "application/xhtml+xml";
}

// Appends the text under `node`, skipping script and style, with a space
// between blocks so that words from adjacent elements do not run together.
void CollectText(xmlNode* node, std::string* out) {
  for (xmlNode* n = node; n != nullptr; n = n->next) {
    if (n->type == XML_ELEMENT_NODE) {
      std::string_view name = reinterpret_cast<const char*>(n->name);
      if (name == "script" || name == "style" || name == "noscript" || name == "template") continue;
      CollectText(n->children, out);
      out->push_back(' ');
    } else if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
      if (n->content != nullptr) out->append(reinterpret_cast<const char*>(n->content));
    }
  }
}

}  // namespace

bool HasText(std::string_view media_type) {
  return media_type.starts_with("text/") || media_type == "application/xhtml+xml" ||
         media_type == "application/json";
}

core::StatusOr<std::string> ExtractText(std::string_view bytes, std::string_view media_type) {
  if (!HasText(media_type)) return std::string();
  if (bytes.size() > kMaxTextBytes) bytes = bytes.substr(0, kMaxTextBytes);
  if (!IsHtml(media_type)) return core::LossyUtf8(bytes);
  // No network, no entities from outside, no error output: the page is evidence, not code.
  const int options = HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                      HTML_PARSE_NONET | HTML_PARSE_COMPACT;
  std::unique_ptr<xmlDoc, void (*)(xmlDoc*)> doc(
      htmlReadMemory(bytes.data(), static_cast<int>(bytes.size()), nullptr, nullptr, options),
      xmlFreeDoc);
  if (doc == nullptr) return core::LossyUtf8(bytes);
  std::string text;
  CollectText(xmlDocGetRootElement(doc.get()), &text);
  return core::LossyUtf8(text);
}

}  // namespace isnad::media
