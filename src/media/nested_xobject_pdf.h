// Test helpers: PDFs made at test time. NestedXObjectPdf: a tiny hostile PDF (about 3 KiB) whose
// one page draws a form XObject `fan` times, which draws the next `fan` times, `depth` levels deep:
// fan^depth text draws that keep poppler's content stream interpreter busy for minutes with its
// memory growing. Made at test time (after a reviewer's generator), never stored.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace isnad::media::testing {

// A PDF file of `objs` (object i + 1 is objs[i]; object 1 is the catalog), with its
// cross-reference table.
inline std::string PdfOfObjects(const std::vector<std::string>& objs) {
  std::string pdf = "%PDF-1.4\n";
  std::vector<size_t> offsets;
  for (size_t i = 0; i < objs.size(); ++i) {
    offsets.push_back(pdf.size());
    pdf += std::to_string(i + 1) + " 0 obj\n" + objs[i] + "\nendobj\n";
  }
  const size_t xref = pdf.size();
  pdf += "xref\n0 " + std::to_string(objs.size() + 1) + "\n0000000000 65535 f \n";
  for (size_t o : offsets) {
    char entry[32];
    std::snprintf(entry, sizeof entry, "%010zu 00000 n \n", o);
    pdf += entry;
  }
  pdf += "trailer\n<< /Size " + std::to_string(objs.size() + 1) + " /Root 1 0 R >>\nstartxref\n" +
         std::to_string(xref) + "\n%%EOF\n";
  return pdf;
}

inline std::string NestedXObjectPdf(int depth, int fan) {
  auto repeat = [](const std::string& s, int n) {
    std::string out;
    for (int i = 0; i < n; ++i) out += s;
    return out;
  };
  auto stream = [](const std::string& dict_head, const std::string& body) {
    return "<< " + dict_head + " /Length " + std::to_string(body.size()) + " >>\nstream\n" + body +
           "\nendstream";
  };
  // 1 catalog, 2 pages, 3 page, 4 font, 5 page content, then the XObjects.
  std::vector<std::string> objs(5);
  int prev = 0;
  for (int d = 0; d < depth; ++d) {
    std::string body = "BT /F1 12 Tf 10 10 Td (evidence) Tj ET";
    std::string res = "<< /Font << /F1 4 0 R >> >>";
    if (prev != 0) {
      const std::string x = "/X" + std::to_string(prev);
      body = repeat(x + " Do ", fan);
      res = "<< /XObject << " + x + " " + std::to_string(prev) + " 0 R >> /Font << /F1 4 0 R >> >>";
    }
    objs.push_back(
        stream("/Type /XObject /Subtype /Form /BBox [0 0 600 800] /Resources " + res, body));
    prev = static_cast<int>(objs.size());
  }
  const std::string x = "/X" + std::to_string(prev);
  objs[0] = "<< /Type /Catalog /Pages 2 0 R >>";
  objs[1] = "<< /Type /Pages /Kids [3 0 R] /Count 1 >>";
  objs[2] = "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 600 800] /Resources << /XObject << " + x +
            " " + std::to_string(prev) + " 0 R >> /Font << /F1 4 0 R >> >> /Contents 5 0 R >>";
  objs[3] = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>";
  objs[4] = stream("", repeat(x + " Do ", fan));
  return PdfOfObjects(objs);
}

}  // namespace isnad::media::testing
