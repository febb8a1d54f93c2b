#include "media/text.h"

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/utf8.h"

namespace isnad::media {
namespace {

bool IsHtml(std::string_view media_type) {
  return media_type == "text/html" || media_type == "application/xhtml+xml";
}

// Appends the text of `node` and its following siblings, skipping script and
// style, with a space after each element so that words from adjacent elements do
// not run together. Iterative: tag soup can nest as deep as the page is long.
void CollectText(xmlNode* node, std::string* out) {
  std::vector<xmlNode*> open;  // elements entered, whose space and siblings are pending
  xmlNode* n = node;
  while (n != nullptr || !open.empty()) {
    if (n == nullptr) {  // the children of open.back() are done
      out->push_back(' ');
      n = open.back()->next;
      open.pop_back();
      continue;
    }
    if (n->type == XML_ELEMENT_NODE) {
      std::string_view name = reinterpret_cast<const char*>(n->name);
      if (name == "script" || name == "style" || name == "noscript" || name == "template") {
        n = n->next;
        continue;
      }
      open.push_back(n);
      n = n->children;
      continue;
    }
    if ((n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) && n->content != nullptr) {
      out->append(reinterpret_cast<const char*>(n->content));
    }
    n = n->next;
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
                      HTML_PARSE_NONET | HTML_PARSE_COMPACT | XML_PARSE_HUGE;
  std::unique_ptr<xmlDoc, void (*)(xmlDoc*)> doc(
      htmlReadMemory(bytes.data(), static_cast<int>(bytes.size()), nullptr, nullptr, options),
      xmlFreeDoc);
  if (doc == nullptr) return core::LossyUtf8(bytes);
  std::string text;
  CollectText(xmlDocGetRootElement(doc.get()), &text);
  return core::LossyUtf8(text);
}

}  // namespace isnad::media
