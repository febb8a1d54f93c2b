// Export of a case, an incident or items as a BagIt bag: docs/formats/bag.md.
#include "archive/export.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <utility>

#include "archive/bag_tools.h"
#include "bag/bag.h"
#include "catalog/entries.h"
#include "core/canonical_json.h"
#include "core/digest.h"
#include "core/encoding.h"
#include "core/time.h"
#include "core/utf8.h"
#include "log/checkpoint.h"
#include "log/merkle.h"
#include "log/note.h"
#include "media/metadata.h"
#include "report/report.h"
#include "text/normalize.h"

namespace isnad::archive {

using catalog::EntityKind;
using core::Json;
using core::Status;
using core::StatusOr;

std::string BagName(std::string_view original) {
  // Composed (NFC): zip and tar writers compose names (libarchive), and the
  // manifests must name exactly what the package holds, or a genuine export
  // of a name written on macOS would fail its own check.
  const std::string composed = text::ToNfc(original);
  std::string s;
  s.reserve(composed.size());
  for (char c : composed) {
    auto u = static_cast<unsigned char>(c);
    // Path separators, control characters, and what Windows cannot hold or
    // sha256sum cannot read back from a manifest ('%' is percent-encoded there).
    bool bad = u < 0x20 || u == 0x7f || c == '/' || c == '\\' || c == ':' || c == '*' || c == '?' ||
               c == '"' || c == '<' || c == '>' || c == '|' || c == '%';
    s += bad ? '_' : c;
  }
  size_t dots = 0;
  while (dots < s.size() && s[dots] == '.') ++dots;
  s.erase(0, dots);
  if (s.size() > 200) {
    size_t cut = 200;  // not inside a UTF-8 sequence
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    s.resize(cut);
  }
  // Windows drops a name's trailing dots and spaces when it unpacks it ("trail.txt "
  // becomes "trail.txt"), and the manifest would then name a file not there.
  while (!s.empty() && (s.back() == '.' || s.back() == ' ')) s.pop_back();
  if (s.empty()) s = "content";
  const std::string lower = core::AsciiLower(s);
  // A device name, whatever follows its first dot ("CON", "aux.txt", "com1.jpg"), is no
  // file on Windows: unpacked there, the exhibit would be missing.
  // Spaces before the dot count for nothing there ("nul .txt" is NUL).
  std::string stem = lower.substr(0, lower.find('.'));
  while (!stem.empty() && stem.back() == ' ') stem.pop_back();
  static const std::set<std::string, std::less<>> kDevices = {
      "con", "prn", "aux", "nul", "conin$", "conout$",
      // COM1-9 and LPT1-9, COM0 and LPT0, and the superscript ¹ ² ³ Windows also reserves.
      "com\xC2\xB9", "com\xC2\xB2", "com\xC2\xB3", "lpt\xC2\xB9", "lpt\xC2\xB2", "lpt\xC2\xB3"};
  const bool device =
      kDevices.contains(stem) || ((stem.starts_with("com") || stem.starts_with("lpt")) &&
                                  stem.size() == 4 && stem[3] >= '0' && stem[3] <= '9');
  if (device || lower == "metadata.json" || lower == "capture.warc.gz") s = "_" + s;
  return s;
}

namespace {

// One custody entry going into the bag.
struct Included {
  uint64_t leaf = 0;
  std::string entry;  // exact bytes
  Json j;
  // A withdrawal (case.event_withdrawn, relation.withdrawn): the items of what it
  // takes back (the event's documents, the claim's sources), whose custody it is part of.
  std::vector<std::string> takes_back;
};

struct Exhibit {
  catalog::ItemRecord rec;
  std::string file;  // BagName of its original name
  std::string sha512_hex;
  // When this exhibit is the WARC of a web capture whose payload was chosen:
  // that payload's id. The WARC is exported with it: what the server sent.
  std::string warc_of;
  // True when it is exported only for that reason: it was not chosen itself.
  bool brought_by_payload = false;
  // True when it is in a case's bag as a document of its events only.
  bool event_document = false;
};

struct Selection {
  std::string kind;  // "case", "incident", "items"
  std::string id;    // the case or incident id
  uint64_t leaf = 0;
  catalog::EntityRecord entity;               // the case or incident
  std::vector<catalog::EntityRecord> events;  // the case's events
  std::vector<Exhibit> exhibits;              // in leaf order
  std::set<std::string> ids;
};

std::string Text(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The language's text of a langmap, else English, else Arabic, else the first.
std::string Pick(const catalog::LangMap& m, const std::string& lang) {
  for (const std::string& l : {lang, std::string("en"), std::string("ar")}) {
    if (auto it = m.find(l); it != m.end()) return it->second;
  }
  return m.empty() ? std::string() : m.begin()->second;
}
std::string PickJson(const Json& m, const std::string& lang) {
  if (!m.is_object()) return "";
  catalog::LangMap lm;
  for (auto it = m.begin(); it != m.end(); ++it) {
    if (it->is_string()) lm[it.key()] = it->get<std::string>();
  }
  return Pick(lm, lang);
}

// A bag-info.txt value: one line.
std::string OneLine(std::string_view s) {
  std::string out;
  for (char c : s) out += static_cast<unsigned char>(c) < 0x20 ? ' ' : c;
  return out;
}

StatusOr<Selection> Select(const Archive& a, const ExportRequest& r) {
  int given = !r.case_id.empty() + !r.incident_id.empty() + !r.items.empty();
  if (given != 1) {
    return core::InvalidArgument(
        "export needs exactly one of a case, an incident or a list of items");
  }
  const catalog::Catalog& cat = a.catalog();
  Selection s;
  std::vector<std::string> item_refs;
  if (!r.items.empty()) {
    s.kind = "items";
    item_refs = r.items;
  } else {
    bool is_case = !r.case_id.empty();
    s.kind = is_case ? "case" : "incident";
    EntityKind kind = is_case ? EntityKind::kCase : EntityKind::kIncident;
    ISNAD_ASSIGN_OR_RETURN(s.id, cat.ResolveRef(kind, is_case ? r.case_id : r.incident_id));
    ISNAD_ASSIGN_OR_RETURN(s.entity, cat.Entity(s.id));
    s.leaf = s.entity.leaf_index;
    item_refs = s.entity.items;
    if (is_case) {
      ISNAD_ASSIGN_OR_RETURN(std::vector<catalog::EntityRecord> events,
                             cat.Entities(EntityKind::kCaseEvent));
      for (auto& ev : events) {
        if (ev.owner != s.id) continue;
        item_refs.insert(item_refs.end(), ev.items.begin(), ev.items.end());
        s.events.push_back(std::move(ev));
      }
    }
  }
  std::map<uint64_t, catalog::ItemRecord> by_leaf;
  for (const std::string& ref : item_refs) {
    ISNAD_ASSIGN_OR_RETURN(catalog::ItemRecord rec, a.Resolve(ref));
    by_leaf.emplace(rec.leaf_index, std::move(rec));
  }
  if (by_leaf.empty()) {
    return core::FailedPrecondition(s.kind + " " + s.id +
                                    " has no exhibits: link items to it first, then export");
  }
  // A chosen item that a web capture fetched brings the capture's WARC (the
  // whole exchange with the server, one URL per file), so that the court can
  // see what was sent and when, not only the page or video taken from it.
  std::map<uint64_t, std::string> warc_of;
  for (const auto& [leaf, rec] : by_leaf) {
    ISNAD_ASSIGN_OR_RETURN(std::vector<catalog::CaptureRecord> caps, cat.CapturesOfItem(rec.id));
    for (const catalog::CaptureRecord& c : caps) {
      if (c.payload != rec.id || c.warc.empty()) continue;
      ISNAD_ASSIGN_OR_RETURN(catalog::ItemRecord warc, a.Resolve(c.warc));
      warc_of.emplace(warc.leaf_index, rec.id);
    }
  }
  std::set<uint64_t> brought;
  for (const auto& [leaf, payload] : warc_of) {
    if (by_leaf.count(leaf)) continue;
    ISNAD_ASSIGN_OR_RETURN(catalog::ItemRecord warc, a.Resolve(catalog::ItemId(leaf)));
    by_leaf.emplace(leaf, std::move(warc));
    brought.insert(leaf);
  }
  for (auto& [leaf, rec] : by_leaf) {
    s.ids.insert(rec.id);
    Exhibit e;
    e.file = BagName(rec.name);
    e.rec = std::move(rec);
    if (auto w = warc_of.find(leaf); w != warc_of.end()) e.warc_of = w->second;
    e.brought_by_payload = brought.count(leaf) != 0;
    e.event_document =
        s.kind == "case" && !e.brought_by_payload &&
        std::find(s.entity.items.begin(), s.entity.items.end(), e.rec.id) == s.entity.items.end();
    s.exhibits.push_back(std::move(e));
  }
  return s;
}

// The blobs an item.analyzed entry names, and the extension each has in the bag
// (custody/analysis/<sha256><ext>).
constexpr std::pair<const char*, const char*> kAnalysisBlobs[] = {
    {"metadata_sha256", ".json"}, {"text_sha256", ".txt"}, {"frames_sha256", ".vpdq.txt"}};

// Reads every entry once and keeps those that concern only the exhibits.
Status ScanLog(const Archive& a, uint64_t n, const Selection& s, std::vector<Included>* out,
               std::map<uint64_t, Included>* timestamps) {
  auto is_exhibit = [&](const Json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() && s.ids.count(it->get<std::string>()) > 0;
  };
  auto all_exhibits = [&](const Json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end()) return true;
    if (!it->is_array()) return false;
    for (const Json& v : *it) {
      if (!v.is_string() || s.ids.count(v.get<std::string>()) == 0) return false;
    }
    return true;
  };
  std::set<uint64_t> kept_captures;  // capture.recorded entries in the bag
  // A link of this case or incident that names an item since taken out of it
  // (case.unlinked, incident.unlinked) is decided at the end, when every item
  // taken out is known: the bag keeps both, so that the withdrawal is shown.
  const std::string owner_key = s.kind == "case" ? "case" : "incident";
  std::set<std::string> withdrawn;
  std::vector<Included> links_to_decide;
  // Likewise an event of this case whose documents are not all exhibits: kept when
  // the bag also holds its withdrawal (case.event_withdrawn), so that the court
  // sees the event was recorded and why it was taken back.
  std::set<std::string> case_events, events_withdrawn;  // "ev20"
  std::vector<Included> events_to_decide;
  // The items of this case's events and of the claims kept ("ev20", "rel12" -> items),
  // for their withdrawals.
  std::map<std::string, std::vector<std::string>> items_of;
  auto items_in = [](const Json& j, const char* key, const char* member) {
    std::vector<std::string> out;
    auto it = j.find(key);
    if (it == j.end() || !it->is_array()) return out;
    for (const Json& v : *it) {
      const Json* id = member == nullptr ? &v : (v.is_object() ? &v[member] : nullptr);
      if (id != nullptr && id->is_string()) out.push_back(id->get<std::string>());
    }
    return out;
  };
  // (incident, exhibit) linked now: another incident's link is kept only while it stands,
  // since a later unlink that also names an item outside the bag cannot go with it.
  std::set<std::pair<std::string, std::string>> standing;
  for (const std::string& id : s.ids) {
    ISNAD_ASSIGN_OR_RETURN(catalog::ItemDetails d, a.catalog().Details(id));
    for (const std::string& inc : d.incidents) standing.emplace(inc, id);
  }
  // The incidents the exhibits are linked to and the claims (relations) they back,
  // with the actors, incidents and places those name (bag.md, "Incidents and claims"):
  // a claim's *.added entries come before it in the log, so they are held until the
  // end, when what the bag needs is known.
  std::map<std::string, Included> definitions;  // "inc7", "ac9", "pl3" -> its *.added entry
  std::set<std::string> needed;                 // entities whose *.added entry goes in
  std::set<std::string> claims;                 // relations kept
  auto names_exhibit = [&](const Json& j, const char* key, const char* member) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_array()) return false;
    for (const Json& v : *it) {
      const Json* id =
          member == nullptr ? &v : (v.is_object() && v.contains(member) ? &v[member] : nullptr);
      if (id != nullptr && id->is_string() && s.ids.count(id->get<std::string>()) > 0) return true;
    }
    return false;
  };
  ISNAD_RETURN_IF_ERROR(a.log().ForEachEntry(0, n, [&](uint64_t i, std::string_view e) -> Status {
    Json j = Json::parse(e, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) {
      return core::Integrity("log entry " + std::to_string(i) +
                             " is not a JSON object; run `isnad verify`");
    }
    const std::string type = Text(j, "type");
    bool keep = false;
    std::vector<std::string> takes_back;
    if (type == catalog::kArchiveCreated) {
      keep = true;  // binds the archive's key and origin; names no item
    } else if (type == catalog::kItemIngested) {
      keep = s.ids.count(catalog::ItemId(i)) > 0;
    } else if (type == catalog::kSourceAdded || type == catalog::kNoteAdded ||
               type == catalog::kItemDescribed || type == catalog::kItemTagged ||
               type == catalog::kItemReviewed) {
      keep = is_exhibit(j, "item");
    } else if (type == catalog::kItemDerived) {
      keep = is_exhibit(j, "item") && is_exhibit(j, "original");
    } else if (type == catalog::kCaptureRecorded) {
      // A capture whose WARC is exported (with its payload, when it has one).
      keep = is_exhibit(j, "warc") && (!j.contains("payload") || is_exhibit(j, "payload"));
      if (keep) kept_captures.insert(i);
    } else if (type == catalog::kCaptureExtracted) {
      // A media extraction: when every item it names (media, info) is an exhibit
      // and it names one; or, naming none (it failed), when its page's capture is
      // in the bag.
      const bool media = j.contains("media"), info = j.contains("info");
      keep = (!media || is_exhibit(j, "media")) && (!info || is_exhibit(j, "info"));
      if (keep && !media && !info) {
        auto c = j.find("capture");
        keep =
            c != j.end() && c->is_number_unsigned() && kept_captures.count(c->get<uint64_t>()) > 0;
      }
    } else if (type == catalog::kItemAnalyzed) {
      // What was read from an exhibit; not when it names items outside the package.
      keep = is_exhibit(j, "item") && all_exhibits(j, "near_duplicates");
    } else if (type == catalog::kCaseAdded) {
      keep = s.kind == "case" && i == s.leaf;
    } else if (type == catalog::kCaseEvent) {
      const bool ours = s.kind == "case" && Text(j, "case") == s.id;
      if (ours) {
        case_events.insert("ev" + std::to_string(i));
        items_of["ev" + std::to_string(i)] = items_in(j, "documents", nullptr);
      }
      keep = ours && all_exhibits(j, "documents");
      if (ours && !keep) events_to_decide.push_back(Included{i, std::string(e), std::move(j)});
    } else if (type == catalog::kCaseEventWithdrawn) {
      keep = case_events.count(Text(j, "event")) > 0;
      if (keep) events_withdrawn.insert(Text(j, "event"));
      takes_back = items_of[Text(j, "event")];
    } else if (type == catalog::kCaseLinked || type == catalog::kIncidentLinked) {
      const bool ours = (type == catalog::kCaseLinked) == (s.kind == "case") &&
                        Text(j, owner_key.c_str()) == s.id;
      keep = ours && all_exhibits(j, "items");
      if (ours && !keep) links_to_decide.push_back(Included{i, std::string(e), std::move(j)});
      // Another incident's link of exhibits only (each item a link names must be in
      // the bag: bag.md) that still stands: the incident comes with it.
      auto stands = [&] {
        for (const Json& v : j["items"]) {
          if (!standing.count({Text(j, "incident"), v.get<std::string>()})) return false;
        }
        return true;
      };
      if (!ours && type == catalog::kIncidentLinked && names_exhibit(j, "items", nullptr) &&
          all_exhibits(j, "items") && stands()) {
        keep = true;
        needed.insert(Text(j, "incident"));
      }
    } else if (type == catalog::kIncidentUnlinked && Text(j, "incident") != s.id) {
      // Another incident's correction of a link the bag holds, of exhibits only (it
      // would otherwise name, and give the reason for, items outside the bag).
      keep = needed.count(Text(j, "incident")) > 0 && names_exhibit(j, "items", nullptr) &&
             all_exhibits(j, "items");
    } else if (type == catalog::kCaseUnlinked || type == catalog::kIncidentUnlinked) {
      keep = (type == catalog::kCaseUnlinked) == (s.kind == "case") &&
             Text(j, owner_key.c_str()) == s.id;
      if (keep && j.contains("items") && j["items"].is_array()) {
        for (const Json& v : j["items"]) {
          if (v.is_string()) withdrawn.insert(v.get<std::string>());
        }
      }
    } else if (type == catalog::kIncidentAdded || type == catalog::kActorAdded ||
               type == catalog::kPlaceAdded) {
      keep = type == catalog::kIncidentAdded && s.kind == "incident" && i == s.leaf;
      if (keep) {
        needed.insert(s.id);
      } else {
        const std::string prefix = type == catalog::kIncidentAdded ? "inc"
                                   : type == catalog::kActorAdded  ? "ac"
                                                                   : "pl";
        definitions.emplace(prefix + std::to_string(i), Included{i, std::string(e), j});
      }
    } else if (type == catalog::kRelationAdded) {
      // A claim an exhibit backs, or (an incident's bag) one about the incident.
      keep = names_exhibit(j, "sources", "item") ||
             (s.kind == "incident" && Text(j, "object") == s.id);
      if (keep) {
        claims.insert("rel" + std::to_string(i));
        items_of["rel" + std::to_string(i)] = items_in(j, "sources", "item");
        needed.insert(Text(j, "subject"));
        needed.insert(Text(j, "object"));
      }
    } else if (type == catalog::kRelationWithdrawn) {
      keep = claims.count(Text(j, "relation")) > 0;
      takes_back = items_of[Text(j, "relation")];
    } else if (type == catalog::kTimestampAdded) {
      (*timestamps)[i] = Included{i, std::string(e), j};
    }
    if (keep) {
      // Where an exhibit or a kept incident was placed: that place's entry too.
      if (type == catalog::kCaseAdded && j.contains("parties") && j["parties"].is_array()) {
        for (const Json& p : j["parties"]) {
          if (p.is_object()) needed.insert(Text(p, "actor"));
        }
      }
      if (type == catalog::kItemDescribed || type == catalog::kIncidentAdded) {
        if (!Text(j, "place").empty()) needed.insert(Text(j, "place"));
        if (j.contains("places") && j["places"].is_array()) {
          for (const Json& p : j["places"]) {
            if (p.is_string()) needed.insert(p.get<std::string>());
          }
        }
      }
      out->push_back(Included{i, std::string(e), std::move(j), std::move(takes_back)});
    }
    return Status::Ok();
  }));
  // The *.added entries of what the kept entries name, with the incidents' places and
  // the areas those lie within.
  std::vector<std::string> todo(needed.begin(), needed.end());
  std::set<std::string> defined;
  bool added = false;
  while (!todo.empty()) {
    const std::string id = std::move(todo.back());
    todo.pop_back();
    auto d = definitions.find(id);
    if (d == definitions.end() || !defined.insert(id).second) continue;
    const Json& j = d->second.j;
    for (const char* key : {"places", "within"}) {
      auto it = j.find(key);
      if (it == j.end()) continue;
      if (it->is_string()) todo.push_back(it->get<std::string>());
      if (it->is_array()) {
        for (const Json& p : *it) {
          if (p.is_string()) todo.push_back(p.get<std::string>());
        }
      }
    }
    out->push_back(std::move(d->second));
    added = true;
  }
  for (Included& in : events_to_decide) {
    if (events_withdrawn.count("ev" + std::to_string(in.leaf)) > 0) {
      out->push_back(std::move(in));
      added = true;
    }
  }
  for (Included& in : links_to_decide) {
    const Json& items = in.j["items"];
    if (!items.is_array()) continue;
    bool keep = true;
    for (const Json& v : items) {
      keep = keep && v.is_string() &&
             (s.ids.count(v.get<std::string>()) > 0 || withdrawn.count(v.get<std::string>()) > 0);
    }
    if (keep) {
      out->push_back(std::move(in));
      added = true;
    }
  }
  if (added) {
    std::sort(out->begin(), out->end(),
              [](const Included& x, const Included& y) { return x.leaf < y.leaf; });
  }
  return Status::Ok();
}

std::vector<std::string> B64(const std::vector<core::Hash>& hashes) {
  std::vector<std::string> out;
  out.reserve(hashes.size());
  for (const auto& h : hashes) out.push_back(core::Base64Encode(h.View()));
  return out;
}

// ---- The report and README: words in English and Arabic.

std::string StatusWord(const std::string& status, bool ar) {
  if (!ar) return status;
  if (status == "verified") return "تم التحقق منه";
  if (status == "disputed") return "متنازع عليه";
  if (status == "rejected") return "مرفوض";
  return "لم تتم مراجعته";
}

std::string JoinTexts(const Json& arr) {
  std::string out;
  if (!arr.is_array()) return out;
  for (const Json& v : arr) {
    if (!v.is_string()) continue;
    if (!out.empty()) out += ", ";
    out += v.get<std::string>();
  }
  return out;
}

std::string Shorten(const std::string& s, size_t max) {
  if (s.size() <= max) return s;
  size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return s.substr(0, cut) + "…";
}

// One line of an exhibit's custody history, for a person.
std::string Describe(const Included& in, const std::string& lang) {
  const bool ar = lang == "ar";
  const Json& j = in.j;
  const std::string type = Text(j, "type");
  const std::string op = Text(j, "operator");
  std::string what;
  if (type == catalog::kItemIngested) {
    what = ar ? "أُدخل إلى الأرشيف باسم «" + Text(j, "name") + "»"
              : "ingested as \"" + Text(j, "name") + "\"";
    if (!Text(j, "url").empty()) what += (ar ? " من " : " from ") + Text(j, "url");
  } else if (type == catalog::kSourceAdded) {
    what = ar ? "وُجد مرة أخرى باسم «" + Text(j, "name") + "»"
              : "found again as \"" + Text(j, "name") + "\"";
  } else if (type == catalog::kNoteAdded) {
    std::string t = j.contains("text")
                        ? Shorten(Text(j, "text"), 300)
                        : (ar ? "(نص طويل: custody/notes/" : "(long text: custody/notes/") +
                              Text(j, "text_sha256") + ".txt)";
    what = (ar ? "ملاحظة: " : "note: ") + t;
  } else if (type == catalog::kItemDescribed) {
    what = ar ? "وُصف" : "described";
    if (!Text(j, "title").empty()) what += ": " + Text(j, "title");
    if (!Text(j, "event_date").empty())
      what += (ar ? "؛ تاريخ الحدث " : "; event date ") + Text(j, "event_date");
  } else if (type == catalog::kItemTagged) {
    what = ar ? "وسوم" : "tags";
    if (j.contains("add")) what += " +" + JoinTexts(j["add"]);
    if (j.contains("remove")) what += " -" + JoinTexts(j["remove"]);
  } else if (type == catalog::kItemReviewed) {
    what = (ar ? "مراجعة: " : "reviewed: ") + StatusWord(Text(j, "status"), ar) + " — " +
           Shorten(Text(j, "reason"), 300);
  } else if (type == catalog::kItemDerived) {
    what = (ar ? "نسخة عمل من " : "working copy of ") + Text(j, "original");
  } else if (type == catalog::kCaseLinked) {
    what = (ar ? "أُضيف دليلاً في القضية " : "made an exhibit of case ") + Text(j, "case");
  } else if (type == catalog::kCaseEvent) {
    what = (ar ? "مستند لحدث في القضية: " : "document of a case event: ") + Text(j, "event");
  } else if (type == catalog::kIncidentLinked) {
    what = (ar ? "رُبط بالحادثة " : "linked to incident ") + Text(j, "incident");
  } else if (type == catalog::kCaseUnlinked) {
    what = (ar ? "سُحب من أدلة القضية " : "withdrawn from the exhibits of case ") + Text(j, "case") +
           " — " + Shorten(Text(j, "reason"), 300);
  } else if (type == catalog::kIncidentUnlinked) {
    what = (ar ? "فُصل عن الحادثة " : "taken out of incident ") + Text(j, "incident") + " — " +
           Shorten(Text(j, "reason"), 300);
  } else if (type == catalog::kCaptureExtracted) {
    what = (ar ? "استُخرجت الوسائط بواسطة " : "media extracted by ") + Text(j, "extractor") +
           (ar ? " من " : " from ") + Text(j, "url");
    if (!Text(j, "error").empty()) {
      what += (ar ? " — لم تُستخرج: " : " — none: ") + Shorten(Text(j, "error"), 300);
    }
  } else if (type == catalog::kItemAnalyzed) {
    what = ar ? "حُلّلت بياناته الوصفية" : "metadata read";
    if (j.contains("width") && j.contains("height")) {
      what += "; " + std::to_string(j["width"].get<uint64_t>()) + "x" +
              std::to_string(j["height"].get<uint64_t>());
    }
    if (!Text(j, "captured_at").empty()) {
      what += (ar ? "؛ تاريخ التصوير حسب الملف " : "; made, as the file says, ") +
              Text(j, "captured_at");
      if (media::CapturedAtZone(Text(j, "captured_at")).empty())
        what += ar ? " (بتوقيت الكاميرا المحلي، دون منطقة زمنية)"
                   : " (camera's local time, no time zone given)";
    }
    if (!Text(j, "lat").empty())
      what += (ar ? "؛ الموقع حسب الملف " : "; place, as the file says, ") + Text(j, "lat") + "," +
              Text(j, "lon");
  } else if (type == catalog::kCaseEventWithdrawn || type == catalog::kRelationWithdrawn) {
    // What this item was a document or a source of, taken back (Included::takes_back).
    what = type == catalog::kCaseEventWithdrawn
               ? (ar ? "سُحب حدث القضية " : "case event withdrawn: ") + Text(j, "event")
               : (ar ? "سُحب الادعاء " : "claim taken back: ") + Text(j, "relation");
    what += " — " + Shorten(Text(j, "reason"), 300);
  } else if (type == catalog::kRelationAdded) {
    // A claim this item is one of the sources of (the claims section has them all).
    what = (ar ? "مصدر للادعاء rel" : "a source of claim rel") + std::to_string(in.leaf) + ": " +
           Text(j, "subject") + " " + Text(j, "predicate") + " " + Text(j, "object");
  } else {
    what = type;
  }
  what += (ar ? " — بواسطة " : " — by ") + op + (ar ? " (القيد " : " (log entry ") +
          std::to_string(in.leaf) + ")";
  return what;
}

// Whether `in` concerns item `id`.
bool Concerns(const Included& in, const std::string& id) {
  if (std::find(in.takes_back.begin(), in.takes_back.end(), id) != in.takes_back.end()) return true;
  const Json& j = in.j;
  const std::string type = Text(j, "type");
  if (type == catalog::kItemIngested) return catalog::ItemId(in.leaf) == id;
  if (Text(j, "item") == id || Text(j, "original") == id) return true;
  if (type == catalog::kCaptureRecorded) return Text(j, "warc") == id || Text(j, "payload") == id;
  if (type == catalog::kCaptureExtracted) return Text(j, "media") == id || Text(j, "info") == id;
  for (const char* key : {"items", "documents", "sources"}) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_array()) continue;
    for (const Json& v : *it) {
      const Json& item = v.is_object() ? v.value("item", Json()) : v;  // a claim's source
      if (item.is_string() && item.get<std::string>() == id) return true;
    }
  }
  return false;
}

struct Custody {
  uint64_t n = 0;
  core::Hash root;
  std::string checkpoint;
  std::vector<Included> entries;
  std::map<uint64_t, std::string> checkpoints;  // earlier ones, by size
  struct Token {
    uint64_t size = 0;
    std::string name;  // timestamps/<size>-<k>.tst
    std::string der;
    catalog::TimestampRecord rec;
  };
  std::vector<Token> tokens;
};

std::string Title(const Selection& s, const std::string& lang) {
  if (s.kind == "items") return lang == "ar" ? "أدلة مختارة" : "Selected exhibits";
  std::string t = Pick(s.entity.names, lang);
  return t.empty() ? s.id : t + " (" + s.id + ")";
}

// The incidents and claims section of the report, from the bag's entries only: each
// incident with its exhibits, then each claim (relation) with its dates, its sources
// (those not in the package said so) and, when taken back, why.
std::vector<std::string> ClaimLines(const Selection& s, const Custody& c, const std::string& lang) {
  const bool ar = lang == "ar";
  std::map<std::string, std::string> name;                 // entity id -> "its name (id)"
  std::map<uint64_t, const Included*> incidents;           // by leaf: in log order
  std::map<std::string, std::vector<std::string>> linked;  // incident -> exhibits, in order
  std::map<std::string, const Included*> taken_back;       // relation -> its withdrawal
  for (const Included& in : c.entries) {
    const std::string type = Text(in.j, "type");
    const std::string id = type == catalog::kIncidentAdded ? "inc" + std::to_string(in.leaf)
                           : type == catalog::kActorAdded  ? "ac" + std::to_string(in.leaf)
                           : type == catalog::kPlaceAdded  ? "pl" + std::to_string(in.leaf)
                                                           : "";
    if (!id.empty()) {
      const std::string n =
          PickJson(in.j[type == catalog::kIncidentAdded ? "title" : "names"], lang);
      name[id] = n.empty() ? id : n + " (" + id + ")";
      if (type == catalog::kIncidentAdded) incidents[in.leaf] = &in;
    } else if (type == catalog::kIncidentLinked || type == catalog::kIncidentUnlinked) {
      std::vector<std::string>& items = linked[Text(in.j, "incident")];
      for (const Json& v : in.j.value("items", Json::array())) {
        if (!v.is_string()) continue;
        std::erase(items, v.get<std::string>());
        if (type == catalog::kIncidentLinked) items.push_back(v.get<std::string>());
      }
    } else if (type == catalog::kRelationWithdrawn) {
      taken_back[Text(in.j, "relation")] = &in;
    }
  }
  auto named = [&](const std::string& id) {
    auto it = name.find(id);
    return it == name.end() ? id : it->second;
  };
  std::vector<std::string> out;
  for (const auto& [leaf, in] : incidents) {
    const std::string id = "inc" + std::to_string(leaf);
    std::string line = (ar ? "حادثة: " : "incident: ") + named(id);
    if (!Text(in->j, "date").empty()) line += " — " + Text(in->j, "date");
    if (!Text(in->j, "category").empty()) line += " — " + Text(in->j, "category");
    if (in->j.contains("places") && in->j["places"].is_array()) {
      std::string places;
      for (const Json& p : in->j["places"]) {
        if (p.is_string()) places += (places.empty() ? "" : ", ") + named(p.get<std::string>());
      }
      if (!places.empty()) line += (ar ? " — الأماكن: " : " — places: ") + places;
    }
    if (in->j.contains("description")) {
      const std::string d = PickJson(in->j["description"], lang);
      if (!d.empty()) line += " — " + Shorten(d, 600);
    }
    std::vector<std::string>& ids = linked[id];
    std::sort(ids.begin(), ids.end(), [](const std::string& x, const std::string& y) {
      return catalog::ParseItemId(x) < catalog::ParseItemId(y);
    });
    std::string items;
    for (const std::string& i : ids) items += (items.empty() ? "" : ", ") + i;
    if (!items.empty())
      line += (ar ? " — الأدلة المرتبطة بها: " : " — exhibits linked to it: ") + items;
    line += (ar ? " (القيد " : " (log entry ") + std::to_string(in->leaf) + ")";
    out.push_back(std::move(line));
  }
  for (const Included& in : c.entries) {
    if (Text(in.j, "type") != catalog::kRelationAdded) continue;
    const std::string rel = "rel" + std::to_string(in.leaf);
    std::string line = (ar ? "ادعاء " : "claim ") + rel + ": " + named(Text(in.j, "subject")) +
                       " " + Text(in.j, "predicate") + " " + named(Text(in.j, "object"));
    const std::string from = Text(in.j, "from"), to = Text(in.j, "to");
    if (!from.empty() || !to.empty()) {
      line += " (" + (from.empty() ? std::string("…") : from) + " – " +
              (to.empty() ? std::string("…") : to) + ")";
    }
    std::string sources;
    if (in.j.contains("sources") && in.j["sources"].is_array()) {
      for (const Json& src : in.j["sources"]) {
        if (!src.is_object()) continue;
        const std::string item = Text(src, "item");
        sources += (sources.empty() ? "" : ", ") + item + " (" + Text(src, "confidence");
        if (s.ids.count(item) == 0) sources += ar ? "؛ ليس في هذه الحزمة" : "; not in this package";
        sources += ")";
      }
    }
    line += (ar ? " — المصادر: " : " — sources: ") + sources;
    line += (ar ? " — بواسطة " : " — by ") + Text(in.j, "operator") +
            (ar ? " (القيد " : " (log entry ") + std::to_string(in.leaf) + ")";
    if (auto w = taken_back.find(rel); w != taken_back.end()) {
      line += (ar ? " — سُحب (القيد " : " — TAKEN BACK (log entry ") +
              std::to_string(w->second->leaf) + "): " + Shorten(Text(w->second->j, "reason"), 300);
    }
    out.push_back(std::move(line));
  }
  return out;
}

report::Content ReportContent(const Archive& a, const Selection& s, const Custody& c,
                              const std::string& lang, const std::string& date,
                              const std::map<std::string, catalog::ItemDetails>& details) {
  const bool ar = lang == "ar";
  report::Content rc;
  rc.lang = lang;
  rc.title = Title(s, lang);
  rc.origin = a.origin();
  rc.vkey = a.vkey();
  rc.checkpoint_size = std::to_string(c.n);
  rc.checkpoint_root = core::Base64Encode(c.root.View());
  rc.bagging_date = date;
  for (const Exhibit& e : s.exhibits) {
    report::Exhibit x;
    x.id = e.rec.id;
    x.name = e.rec.name;
    x.bag_path = "data/exhibits/" + e.rec.id + "/" + e.file;
    x.sha256 = e.rec.sha256.Hex();
    x.sha512 = e.sha512_hex;
    x.media_type = e.rec.media_type;
    x.size = e.rec.size_bytes;
    const catalog::ItemDetails& d = details.at(e.rec.id);
    x.title = Pick(d.titles, lang);
    x.description = Pick(d.descriptions, lang);
    x.event_date = d.event_date;
    if (!d.place.empty()) {
      auto place = a.catalog().Entity(d.place);
      x.place = place.ok() ? Pick(place->names, lang) : d.place;
    } else if (!d.lat.empty()) {
      x.place = d.lat + ", " + d.lon;
    }
    x.status = StatusWord(d.status, ar);
    for (const Included& in : c.entries) {
      if (!Concerns(in, e.rec.id)) continue;
      const std::string type = Text(in.j, "type");
      if (type == catalog::kItemIngested || type == catalog::kSourceAdded) {
        std::string p = Text(in.j, "time") + " — " + Text(in.j, "operator") + ": ";
        p += Text(in.j, "path").empty() ? Text(in.j, "name") : Text(in.j, "path");
        if (!Text(in.j, "link_target").empty())
          p += (ar ? " — عبر رابط رمزي؛ قُرئ من: "
                   : " — reached through a symbolic link; read from: ") +
               Text(in.j, "link_target");
        if (!Text(in.j, "url").empty())
          p += (ar ? " — المصدر: " : " — source: ") + Text(in.j, "url");
        if (!Text(in.j, "note").empty()) p += " — " + Text(in.j, "note");
        x.provenance.push_back(p);
      }
      x.custody.push_back({Text(in.j, "time"), Describe(in, lang)});
    }
    rc.exhibits.push_back(std::move(x));
  }
  // The case's or incident's own timeline, from the entries in the bag only.
  std::vector<std::pair<std::string, report::Line>> timeline;
  std::set<std::string> withdrawn;  // so far, in log order: a later link is a relink
  std::map<std::string, const Included*> event_withdrawals;  // "ev20" -> its withdrawal
  std::map<std::string, std::string> event_lines;            // "ev20" -> what it said
  for (const Included& in : c.entries) {
    if (Text(in.j, "type") == catalog::kCaseEventWithdrawn)
      event_withdrawals.emplace(Text(in.j, "event"), &in);
  }
  for (const Included& in : c.entries) {
    const std::string type = Text(in.j, "type");
    // This case's or incident's own links (the bag also holds other incidents' links).
    const bool own = Text(in.j, s.kind == "case" ? "case" : "incident") == s.id;
    if ((type == catalog::kCaseLinked || type == catalog::kIncidentLinked) && own &&
        in.j.contains("items") && in.j["items"].is_array()) {
      std::string again;
      for (const Json& v : in.j["items"]) {
        if (v.is_string() && withdrawn.erase(v.get<std::string>()) > 0)
          again += (again.empty() ? "" : ", ") + v.get<std::string>();
      }
      if (!again.empty()) {
        std::string day = Text(in.j, "time").substr(0, 10);
        timeline.push_back({day, {day, (ar ? "رُبطت من جديد: " : "linked again: ") + again}});
      }
    }
    if (type == catalog::kCaseAdded) {
      // The day the case entered the archive, in date order: not when it was filed.
      const std::string day = Text(in.j, "time").substr(0, 10);
      timeline.push_back(
          {day,
           {day, (ar ? "سُجّلت القضية في الأرشيف: " : "case recorded in the archive: ") +
                     PickJson(in.j["title"], lang)}});
      rc.jurisdiction = Text(in.j, "jurisdiction");
      if (in.j.contains("description")) rc.description = PickJson(in.j["description"], lang);
      if (in.j.contains("parties") && in.j["parties"].is_array()) {
        for (const Json& p : in.j["parties"]) {
          if (!p.is_object()) continue;
          const std::string actor = Text(p, "actor");
          auto entity = a.catalog().Entity(actor);
          std::string name = entity.ok() ? Pick(entity->names, lang) : "";
          name = name.empty() ? actor : name + " (" + actor + ")";
          rc.parties += (rc.parties.empty() ? "" : "; ") + name + ": " + Text(p, "role");
        }
      }
    } else if (type == catalog::kCaseEvent) {
      std::string what = Text(in.j, "event");
      std::replace(what.begin(), what.end(), '_', ' ');
      std::string desc = in.j.contains("description") ? PickJson(in.j["description"], lang) : "";
      if (!desc.empty()) what += ": " + desc;
      if (in.j.contains("documents") && in.j["documents"].is_array()) {
        // A document not in the package (that of an event withdrawn since) is said so.
        std::string docs;
        for (const Json& v : in.j["documents"]) {
          if (!v.is_string()) continue;
          docs += (docs.empty() ? "" : ", ") + v.get<std::string>();
          if (!s.ids.count(v.get<std::string>()))
            docs += ar ? " (ليس في هذه الحزمة)" : " (not in this package)";
        }
        what += " [" + docs + "]";
      }
      const std::string id = "ev" + std::to_string(in.leaf);
      event_lines[id] = Text(in.j, "date") + " " + Shorten(what, 120);
      what = id + " " + what;
      if (auto w = event_withdrawals.find(id); w != event_withdrawals.end()) {
        what = (ar ? "(سُحب في " : "(WITHDRAWN on ") + Text(w->second->j, "time").substr(0, 10) +
               ": " + Shorten(Text(w->second->j, "reason"), 200) + ") " + what;
      }
      auto range = catalog::ParseEventDate(Text(in.j, "date"));
      timeline.push_back({range ? range->lo : "", {Text(in.j, "date"), what}});
    } else if (type == catalog::kCaseEventWithdrawn) {
      const std::string id = Text(in.j, "event");
      auto was = event_lines.find(id);
      std::string what = (ar ? "سُحب حدث في القضية: " : "case event withdrawn: ") + id +
                         (was == event_lines.end() ? "" : " (" + was->second + ")") + " — " +
                         Shorten(Text(in.j, "reason"), 300);
      const std::string day = Text(in.j, "time").substr(0, 10);
      timeline.push_back({day, {day, what}});
    } else if ((type == catalog::kCaseUnlinked || type == catalog::kIncidentUnlinked) && own) {
      std::string what =
          (type == catalog::kCaseUnlinked ? (ar ? "سُحبت أدلة: " : "exhibits withdrawn: ")
                                          : (ar ? "فُصلت مواد: " : "items taken out: ")) +
          JoinTexts(in.j["items"]) + " — " + Shorten(Text(in.j, "reason"), 300);
      std::string day = Text(in.j, "time").substr(0, 10);
      timeline.push_back({day, {day, what}});
      for (const Json& v : in.j["items"]) {
        if (v.is_string()) withdrawn.insert(v.get<std::string>());
      }
    } else if (type == catalog::kIncidentAdded && in.leaf == s.leaf) {
      // The incident exported (others the bag holds are in the claims section).
      std::string what = PickJson(in.j["title"], lang);
      if (!Text(in.j, "category").empty()) what += " (" + Text(in.j, "category") + ")";
      auto range = catalog::ParseEventDate(Text(in.j, "date"));
      timeline.push_back({range ? range->lo : "", {Text(in.j, "date"), what}});
    }
  }
  std::stable_sort(timeline.begin(), timeline.end(),
                   [](const auto& x, const auto& y) { return x.first < y.first; });
  for (auto& [key, line] : timeline) rc.timeline.push_back(std::move(line));
  rc.claims = ClaimLines(s, c, lang);
  for (const auto& t : c.tokens) {
    rc.timestamps.push_back((ar ? "نقطة التحقق " : "checkpoint ") + std::to_string(t.size) + ": " +
                            t.rec.gen_time + " — " + t.rec.tsa + " (custody/" + t.name + ")");
  }
  return rc;
}

std::string Readme(const Archive& a, const Selection& s, const Custody& c,
                   const std::string& date) {
  std::string en = Title(s, "en"), ar = Title(s, "ar");
  std::string n = std::to_string(c.n);
  std::string x = std::to_string(s.exhibits.size());
  std::string out;
  out += "ISNAD EVIDENCE PACKAGE\n======================\n\n";
  out += en + "\nFrom the archive \"" + a.origin() + "\", exported " + date + ".\n\n";
  out += "This folder is a BagIt 1.0 bag (RFC 8493). It holds " + x +
         " exhibit(s), each as its original bytes in data/exhibits/<id>/ with a metadata.json, "
         "and the record of their chain of custody in data/custody/: every log entry that "
         "concerns them, with a Merkle inclusion proof (RFC 9162) against the archive's signed "
         "checkpoint of size " +
         n +
         " (data/custody/checkpoint), earlier checkpoints with consistency proofs, and RFC 3161 "
         "timestamp tokens where the archive has them. A readable report is in data/report/ "
         "(HTML and PDF, English and Arabic).\n\n";
  out +=
      "HOW TO VERIFY\n"
      "1. Obtain the archive's public key from its keeper by another channel than this package,\n"
      "   and compare it with data/custody/log.vkey:\n   " +
      a.vkey() +
      "\n"
      "2. With isnad:   isnad verify-bag THIS-FOLDER --key 'PUBLIC-KEY'\n"
      "3. Without it:   sha256sum -c manifest-sha256.txt (and tagmanifest-sha256.txt), then the\n"
      "   signature and proofs with openssl and a short Python script, step by step as in\n"
      "   data/tools/verifying.md (a copy of isnad's docs/verifying.md). The script is\n"
      "   data/tools/verify-bag.py; read it before you run it, or use isnad's own copy.\n"
      "Proofs contain hashes only: they show that other entries exist in the log, never what\n"
      "they say. Nothing of any other item is in this package, but for the id of an item\n"
      "withdrawn from the case or incident, in the entries that linked and withdrew it; of\n"
      "a document of a case event withdrawn since; and of a claim's source outside the\n"
      "package (marked \"not in this package\" in the report).\n\n";
  out += "حزمة أدلة من إسناد\n==================\n\n";
  out += ar + "\nمن الأرشيف «" + a.origin() + "»، صُدّرت بتاريخ " + date + ".\n\n";
  out += "هذا المجلد حزمة BagIt 1.0 \u200F(RFC 8493). عدد الأدلة فيه: " + x +
         "، كلٌّ منها ببايتاته الأصلية في data/exhibits/<id>/ مع ملف metadata.json، "
         "وعلى سجل سلسلة الحيازة في data/custody/: كل قيد في السجل يخص هذه الأدلة، مع برهان "
         "تضمين في شجرة ميركل (RFC 9162) مقابل نقطة التحقق الموقّعة للأرشيف ذات الحجم " +
         n +
         " \u200F(data/custody/checkpoint)، ونقاط تحقق سابقة مع براهين الاتساق، وأختام "
         "زمنية "
         "RFC "
         "3161 "
         "حيثما وُجدت. التقرير المقروء في data/report/ \u200F(HTML وPDF، "
         "بالعربية "
         "والإنجليزية).\n\n";
  out +=
      "طريقة التحقق\n"
      "١. احصل على المفتاح العام للأرشيف من حافظه عبر قناة غير هذه الحزمة، وقارنه بالملف "
      "data/custody/log.vkey.\n"
      "٢. باستخدام إسناد:   isnad verify-bag THIS-FOLDER --key 'PUBLIC-KEY'\n"
      "٣. دون إسناد:   sha256sum -c manifest-sha256.txt ثم التوقيع والبراهين باستخدام openssl "
      "وبرنامج Python قصير، خطوة خطوة كما في data/tools/verifying.md (نسخة من docs/verifying.md "
      "في إسناد). البرنامج هو data/tools/verify-bag.py؛ اقرأه قبل تشغيله.\n"
      "البراهين تحتوي على قيم تجزئة فقط: تُظهر وجود قيود أخرى في السجل، ولا تكشف مضمونها. لا "
      "يوجد في هذه الحزمة شيء من أي مادة أخرى، سوى معرّف مادة سُحبت من القضية أو الحادثة، في "
      "القيدين اللذين ربطاها وسحباها، ومعرّف مستند لحدث في القضية سُحب لاحقاً، ومعرّف مصدر "
      "لادعاء ليس في الحزمة (موسوم «ليس في هذه الحزمة» في التقرير).\n";
  return out;
}

Json MetadataJson(const Archive& a, const Selection& s, const Exhibit& e,
                  const catalog::ItemDetails& d, const std::vector<Included>& entries) {
  Json m{{"id", e.rec.id},
         {"file", e.file},
         {"sha256", e.rec.sha256.Hex()},
         {"sha512", e.sha512_hex},
         {"size", e.rec.size_bytes},
         {"media_type", e.rec.media_type},
         {"name", e.rec.name},
         {"leaf_index", e.rec.leaf_index},
         {"ingested_at", e.rec.ingested_at},
         {"operator", e.rec.operator_}};
  m["title"] = d.titles;
  m["description"] = d.descriptions;
  m["event_date"] = d.event_date;
  if (!d.place.empty()) {
    Json place{{"id", d.place}};
    if (auto p = a.catalog().Entity(d.place); p.ok()) place["names"] = p->names;
    m["place"] = place;
  }
  if (!d.lat.empty()) m["location"] = {{"lat", d.lat}, {"lon", d.lon}};
  m["tags"] = d.tags;
  m["status"] = d.status;
  Json reviews = Json::array();
  for (const auto& rv : d.reviews) {
    reviews.push_back({{"leaf_index", rv.leaf_index},
                       {"status", rv.status},
                       {"reason", rv.reason},
                       {"time", rv.time},
                       {"operator", rv.operator_}});
  }
  m["reviews"] = reviews;
  if (s.ids.count(d.original)) m["original"] = d.original;
  Json derived = Json::array();
  for (const auto& id : d.derived) {
    if (s.ids.count(id)) derived.push_back(id);
  }
  m["derived"] = derived;
  Json provenance = Json::array(), notes = Json::array(), leaves = Json::array();
  for (const Included& in : entries) {
    if (!Concerns(in, e.rec.id)) continue;
    leaves.push_back(in.leaf);
    const std::string type = Text(in.j, "type");
    if (type == catalog::kItemIngested || type == catalog::kSourceAdded) {
      Json p{{"leaf_index", in.leaf}, {"type", type}};
      for (const char* k :
           {"name", "path", "path_b64", "link_target", "url", "note", "time", "operator"}) {
        if (in.j.contains(k)) p[k] = in.j[k];
      }
      provenance.push_back(p);
    } else if (type == catalog::kCaptureRecorded) {
      // Web capture: where and when it was fetched, and what the server said.
      Json p{{"leaf_index", in.leaf}, {"type", type}};
      for (const char* k :
           {"url", "final_url", "captured", "status", "content_type", "redirect_not_followed",
            "payload_note", "warc", "payload", "time", "operator"}) {
        if (in.j.contains(k)) p[k] = in.j[k];
      }
      provenance.push_back(p);
    } else if (type == catalog::kCaptureExtracted) {
      // Media a web capture's extractor (yt-dlp) downloaded: from which page, by what.
      Json p{{"leaf_index", in.leaf}, {"type", type}};
      for (const char* k :
           {"url", "capture", "extractor", "exit_status", "media", "info", "time", "operator"}) {
        if (in.j.contains(k)) p[k] = in.j[k];
      }
      provenance.push_back(p);
    } else if (type == catalog::kItemAnalyzed) {
      // The latest analysis: what the file says of itself, and where the rest is.
      Json an{{"leaf_index", in.leaf}};
      for (const char* k : {"analyzer", "media_type", "width", "height", "duration_ms",
                            "captured_at", "lat", "lon", "camera", "title", "author", "pdq",
                            "pdq_quality", "frames", "ocr", "failures", "near_duplicates"}) {
        if (in.j.contains(k)) an[k] = in.j[k];
      }
      for (const auto& [member, ext] : kAnalysisBlobs) {
        if (in.j.contains(member)) {
          an[std::string(member).substr(0, std::string(member).size() - 7) + "_file"] =
              "custody/analysis/" + Text(in.j, member) + ext;
        }
      }
      m["analysis"] = an;
    } else if (type == catalog::kNoteAdded) {
      Json n{{"leaf_index", in.leaf},
             {"time", Text(in.j, "time")},
             {"operator", Text(in.j, "operator")}};
      if (in.j.contains("text")) {
        n["text"] = in.j["text"];
      } else {
        n["text_file"] = "custody/notes/" + Text(in.j, "text_sha256") + ".txt";
      }
      notes.push_back(n);
    }
  }
  m["provenance"] = provenance;
  m["notes"] = notes;
  if (!e.warc_of.empty()) m["capture_warc_of"] = e.warc_of;
  // The incidents the bag's entries link it to, in log order, less those it was
  // taken out of since.
  std::vector<std::string> linked;
  if (s.kind == "incident") linked.push_back(s.id);
  for (const Included& in : entries) {
    const std::string type = Text(in.j, "type");
    if ((type != catalog::kIncidentLinked && type != catalog::kIncidentUnlinked) ||
        !Concerns(in, e.rec.id)) {
      continue;
    }
    const std::string inc = Text(in.j, "incident");
    std::erase(linked, inc);
    if (type == catalog::kIncidentLinked) linked.push_back(inc);
  }
  Json incidents = linked, cases = Json::array();
  if (s.kind == "case") cases.push_back(s.id);
  // In the case's bag as a document of its events, not as one of its exhibits.
  if (e.event_document) m["event_document"] = true;
  m["incidents"] = incidents;
  m["cases"] = cases;
  m["custody_entries"] = leaves;
  return m;
}

std::string Dump(const Json& j, int indent) {
  return j.dump(indent, ' ', false, Json::error_handler_t::replace);
}

// Gathers the entries, checkpoints, proofs and tokens.
StatusOr<Custody> GatherCustody(const Archive& a, const Selection& s,
                                std::vector<std::string>* warnings) {
  Custody c;
  const tlog::Log& log = a.log();
  c.n = log.size();
  c.root = log.root();
  c.checkpoint = log.checkpoint_note();
  std::map<uint64_t, Included> ts_entries;
  ISNAD_RETURN_IF_ERROR(ScanLog(a, c.n, s, &c.entries, &ts_entries));

  // Checkpoints kept in the history, below N.
  std::vector<uint64_t> kept;
  if (auto names = core::Env::Default()->ListDir(a.layout().CheckpointsDir()); names.ok()) {
    for (const auto& name : *names) {
      auto size = ParseHistoryName(name);
      if (size && *size > 0 && *size < c.n) kept.push_back(*size);
    }
  }
  std::sort(kept.begin(), kept.end());
  // Tokens by the size of the checkpoint they cover, where that checkpoint is at hand.
  ISNAD_ASSIGN_OR_RETURN(std::vector<catalog::TimestampRecord> records, a.catalog().Timestamps());
  std::map<uint64_t, std::vector<catalog::TimestampRecord>> ts_by_size;
  for (auto& rec : records) {
    if (rec.leaf_index >= c.n || rec.checkpoint_size == 0 || rec.checkpoint_size > c.n) continue;
    if (rec.checkpoint_size < c.n &&
        !std::binary_search(kept.begin(), kept.end(), rec.checkpoint_size)) {
      warnings->push_back("the token of log entry " + std::to_string(rec.leaf_index) +
                          " is over checkpoint " + std::to_string(rec.checkpoint_size) +
                          ", which the archive did not keep; it was left out");
      continue;
    }
    ts_by_size[rec.checkpoint_size].push_back(rec);
  }
  std::vector<uint64_t> ts_sizes;
  for (const auto& [size, recs] : ts_by_size) ts_sizes.push_back(size);

  // For each entry: the earliest kept checkpoint that holds it, and the
  // earliest timestamped one.
  std::set<uint64_t> chosen;
  auto choose_for = [&](uint64_t leaf, bool timestamped) {
    auto it = std::upper_bound(kept.begin(), kept.end(), leaf);
    if (it != kept.end()) chosen.insert(*it);
    if (!timestamped) return;
    auto jt = std::upper_bound(ts_sizes.begin(), ts_sizes.end(), leaf);
    if (jt != ts_sizes.end() && *jt < c.n) chosen.insert(*jt);
  };
  for (const Included& in : c.entries) choose_for(in.leaf, true);
  std::vector<uint64_t> with_tokens(chosen.begin(), chosen.end());
  with_tokens.push_back(c.n);
  for (uint64_t size : with_tokens) {
    auto it = ts_by_size.find(size);
    if (it == ts_by_size.end()) continue;
    std::string checkpoint;
    if (size == c.n) {
      checkpoint = c.checkpoint;
    } else {
      ISNAD_ASSIGN_OR_RETURN(checkpoint, a.CheckpointAt(size));
    }
    const core::Hash cp_hash = core::Sha256Of(checkpoint);
    int k = 0;
    for (const auto& rec : it->second) {
      if (rec.checkpoint_sha256 != cp_hash) {
        warnings->push_back("the token of log entry " + std::to_string(rec.leaf_index) +
                            " names checkpoint " + std::to_string(size) +
                            " with another hash than the one kept; it was left out");
        continue;
      }
      auto file = a.blobs().Open(rec.token_sha256);
      if (!file.ok()) {
        warnings->push_back("the token of log entry " + std::to_string(rec.leaf_index) +
                            " is missing from the archive; it was left out");
        continue;
      }
      std::string der;
      char buf[16384];
      while (true) {
        ISNAD_ASSIGN_OR_RETURN(size_t got, (*file)->Read(buf, sizeof buf));
        if (got == 0) break;
        der.append(buf, got);
        if (der.size() > (uint64_t{16} << 20)) break;
      }
      if (core::Sha256Of(der) != rec.token_sha256) {
        warnings->push_back("the stored token of log entry " + std::to_string(rec.leaf_index) +
                            " is damaged; it was left out. Run `isnad verify`");
        continue;
      }
      Custody::Token t;
      t.size = size;
      t.name = "timestamps/" + std::to_string(size) + "-" + std::to_string(k++) + ".tst";
      t.der = std::move(der);
      t.rec = rec;
      c.tokens.push_back(std::move(t));
      if (auto e = ts_entries.find(rec.leaf_index); e != ts_entries.end()) {
        choose_for(e->first, false);
        c.entries.push_back(std::move(e->second));
        ts_entries.erase(e);
      }
    }
  }
  std::sort(c.entries.begin(), c.entries.end(),
            [](const Included& x, const Included& y) { return x.leaf < y.leaf; });
  for (uint64_t size : chosen) {
    if (size >= c.n) continue;
    ISNAD_ASSIGN_OR_RETURN(std::string note, a.CheckpointAt(size));
    c.checkpoints[size] = std::move(note);
  }
  return c;
}

// Copies each exhibit's blob into the bag in one read, which also gives its
// SHA-256 (checked against its entry: damaged bytes fail the export, and the
// writer then leaves nothing behind) and its SHA-512 (for the metadata and the
// report).
Status AddExhibit(const Archive& a, const ExportRequest& r, uint64_t total, uint64_t* done,
                  bag::Writer& w, Exhibit& e) {
  const std::string dir = "exhibits/" + e.rec.id + "/";
  const std::string relative = store::BlobStore::RelativePath(e.rec.sha256);
  if (!a.blobs().Contains(e.rec.sha256)) {
    return core::Integrity("the bytes of " + e.rec.id + " are missing from the archive (" +
                           relative + "); nothing was exported. Run `isnad verify`");
  }
  const uint64_t before = *done;
  auto copied = w.AddFile(dir + e.file, a.blobs().PathOf(e.rec.sha256), [&](uint64_t n) {
    if (r.progress) r.progress(before + n, total);
  });
  if (!copied.ok()) {
    return copied.status().WithContext("copying " + e.rec.id + " (" + relative +
                                       "); nothing was exported");
  }
  if (copied->sha256 != e.rec.sha256.Hex() || copied->size != e.rec.size_bytes) {
    return core::Integrity("the stored bytes of " + e.rec.id + " (" + relative +
                           ") are damaged: they hash to " + copied->sha256 + " (" +
                           std::to_string(copied->size) + " bytes), not to its entry's " +
                           e.rec.sha256.Hex() + "; nothing was exported. Run `isnad verify`");
  }
  e.sha512_hex = copied->sha512;
  *done = before + copied->size;
  return Status::Ok();
}

Status WriteBag(const Archive& a, const ExportRequest& r, Selection& s, const Custody& c,
                bag::Writer& w, const std::string& date, std::vector<std::string>* warnings) {
  const tlog::Log& log = a.log();
  std::map<std::string, catalog::ItemDetails> details;
  for (const Exhibit& e : s.exhibits) {
    ISNAD_ASSIGN_OR_RETURN(details[e.rec.id], a.catalog().Details(e.rec.id));
  }
  uint64_t total = 0, done = 0;
  for (const Exhibit& e : s.exhibits) total += e.rec.size_bytes;
  for (Exhibit& e : s.exhibits) {
    ISNAD_RETURN_IF_ERROR(AddExhibit(a, r, total, &done, w, e));
    Json m = MetadataJson(a, s, e, details.at(e.rec.id), c.entries);
    ISNAD_RETURN_IF_ERROR(w.AddBytes("exhibits/" + e.rec.id + "/metadata.json", Dump(m, 2) + "\n"));
  }
  ISNAD_RETURN_IF_ERROR(w.AddBytes("custody/log.vkey", a.vkey() + "\n"));
  ISNAD_RETURN_IF_ERROR(w.AddBytes("custody/checkpoint", c.checkpoint));
  std::string lines;
  std::set<std::string> note_blobs;
  std::map<std::string, std::string> analysis_blobs;  // sha256 -> file extension
  for (const Included& in : c.entries) {
    ISNAD_ASSIGN_OR_RETURN(std::vector<core::Hash> proof, log.InclusionProof(in.leaf, c.n));
    ISNAD_RETURN_IF_ERROR(
        tlog::VerifyInclusion(in.leaf, c.n, tlog::LeafHash(in.entry), proof, c.root)
            .WithContext("log entry " + std::to_string(in.leaf)));
    lines +=
        Dump(Json{{"leaf_index", in.leaf}, {"entry", in.entry}, {"inclusion", B64(proof)}}, -1) +
        "\n";
    if (Text(in.j, "type") == catalog::kNoteAdded && in.j.contains("text_sha256")) {
      note_blobs.insert(Text(in.j, "text_sha256"));
    }
    if (Text(in.j, "type") == catalog::kItemAnalyzed) {
      for (const auto& [member, ext] : kAnalysisBlobs) {
        if (in.j.contains(member)) analysis_blobs[Text(in.j, member)] = ext;
      }
    }
  }
  ISNAD_RETURN_IF_ERROR(w.AddBytes("custody/entries.jsonl", lines));
  std::string consistency;
  for (const auto& [size, note] : c.checkpoints) {
    auto opened = tlog::OpenNote(note, {a.verifier()});
    if (!opened.ok()) {
      return opened.status().WithContext("checkpoints/" + std::to_string(size) +
                                         " in the archive; run `isnad verify`");
    }
    ISNAD_ASSIGN_OR_RETURN(tlog::Checkpoint cp, tlog::Checkpoint::Parse(opened->text));
    ISNAD_ASSIGN_OR_RETURN(std::vector<core::Hash> proof, log.ConsistencyProof(size, c.n));
    Status holds = cp.size == size ? tlog::VerifyConsistency(size, c.n, proof, cp.root, c.root)
                                   : core::Integrity("it says size " + std::to_string(cp.size));
    if (!holds.ok()) {
      return holds.WithContext(
          "checkpoints/" + std::to_string(size) +
          " in the archive is not consistent with the log; run `isnad verify`");
    }
    ISNAD_RETURN_IF_ERROR(w.AddBytes("custody/checkpoints/" + std::to_string(size), note));
    consistency +=
        Dump(Json{{"old_size", size}, {"new_size", c.n}, {"proof", B64(proof)}}, -1) + "\n";
  }
  if (!c.checkpoints.empty()) {
    ISNAD_RETURN_IF_ERROR(w.AddBytes("custody/consistency.jsonl", consistency));
  }
  for (const auto& [hex, ext] : analysis_blobs) {
    ISNAD_ASSIGN_OR_RETURN(core::Hash h, core::Hash::FromHex(hex));
    const std::string name = "custody/analysis/" + hex + ext;
    ISNAD_ASSIGN_OR_RETURN(bag::Writer::FileDigests got, w.AddFile(name, a.blobs().PathOf(h)));
    if (got.sha256 != hex) {
      return core::Integrity("what an analysis read (" + store::BlobStore::RelativePath(h) +
                             ") is damaged: it hashes to " + got.sha256 +
                             "; nothing was exported. Run `isnad verify`");
    }
  }
  for (const std::string& hex : note_blobs) {
    ISNAD_ASSIGN_OR_RETURN(core::Hash h, core::Hash::FromHex(hex));
    if (!a.blobs().Contains(h)) {
      return core::Integrity("the text of a long note (" + store::BlobStore::RelativePath(h) +
                             ") is missing from the archive; run `isnad verify`");
    }
    ISNAD_ASSIGN_OR_RETURN(bag::Writer::FileDigests note,
                           w.AddFile("custody/notes/" + hex + ".txt", a.blobs().PathOf(h)));
    if (note.sha256 != hex) {
      return core::Integrity("the text of a long note (" + store::BlobStore::RelativePath(h) +
                             ") is damaged: it hashes to " + note.sha256 +
                             "; nothing was exported. Run `isnad verify`");
    }
  }
  for (const auto& t : c.tokens) ISNAD_RETURN_IF_ERROR(w.AddBytes("custody/" + t.name, t.der));
  for (const std::string lang : {"en", "ar"}) {
    report::Content rc = ReportContent(a, s, c, lang, date, details);
    ISNAD_RETURN_IF_ERROR(w.AddBytes("report/report-" + lang + ".html", report::Html(rc)));
    ISNAD_ASSIGN_OR_RETURN(std::string pdf, report::Pdf(rc));
    ISNAD_RETURN_IF_ERROR(w.AddBytes("report/report-" + lang + ".pdf", pdf));
  }
  ISNAD_RETURN_IF_ERROR(w.AddBytes("README.txt", Readme(a, s, c, date)));
  ISNAD_RETURN_IF_ERROR(w.AddBytes("tools/verifying.md", kVerifyingMd));
  ISNAD_RETURN_IF_ERROR(w.AddBytes("tools/verify-bag.py", kVerifyBagPy));

  std::string ident;
  if (s.kind == "items") {
    ident = "items/";
    for (size_t k = 0; k < s.exhibits.size() && k < 10; ++k) {
      ident += (k ? "," : "") + s.exhibits[k].rec.id;
    }
    if (s.exhibits.size() > 10) ident += ",… (" + std::to_string(s.exhibits.size()) + " items)";
  } else {
    ident = s.id;
  }
  std::vector<std::pair<std::string, std::string>> info = {
      {"Source-Organization", OneLine(a.origin())},
      {"Bagging-Date", date},
      {"Bag-Software-Agent", std::string(kSoftware)},
      {"External-Identifier", OneLine(a.origin() + "/" + ident)},
  };
  if (s.kind != "items") info.push_back({"External-Description", OneLine(Title(s, "en"))});
  info.push_back({"Isnad-Checkpoint-Size", std::to_string(c.n)});
  info.push_back({"Isnad-Checkpoint-Root", core::Base64Encode(c.root.View())});
  info.push_back({"Isnad-Vkey", a.vkey()});
  // The archive signs the payload manifest: every file in data/ at once, so that no
  // entry, exhibit or report can be taken out or changed after export, even by one
  // who remakes the BagIt manifests (docs/formats/bag.md, "Statement").
  if (!a.HoldsSecretKey()) {
    warnings->push_back(
        "the bag is not signed as a whole: this copy of the archive holds no secret key "
        "(keys/log.skey); each entry is still proved by the signed checkpoint");
    return w.Finish(info);
  }
  return w.Finish(
      info, [&](std::string_view manifest) -> StatusOr<std::pair<std::string, std::string>> {
        ISNAD_ASSIGN_OR_RETURN(std::string note, a.SignNote(BagStatementText(
                                                     a.origin(), c.n, core::Sha256Of(manifest))));
        return std::pair<std::string, std::string>(std::string(kBagStatementName), std::move(note));
      });
}

}  // namespace

std::string BagStatementText(const std::string& origin, uint64_t checkpoint_size,
                             const core::Hash& manifest_sha256) {
  return "isnad bag statement v1\norigin " + origin + "\ncheckpoint " +
         std::to_string(checkpoint_size) + "\nmanifest-sha256.txt " + manifest_sha256.Hex() + "\n";
}

StatusOr<ExportSummary> Export(const Archive& a, const ExportRequest& r) {
  if (r.out.empty()) return core::InvalidArgument("export needs --out: a folder, .zip or .tar");
  std::error_code ec;
  if (std::filesystem::symlink_status(r.out, ec).type() != std::filesystem::file_type::not_found) {
    return core::AlreadyExists(r.out + " already exists; give a new name for the package");
  }
  ISNAD_ASSIGN_OR_RETURN(Selection s, Select(a, r));
  std::vector<std::string> warnings;
  ISNAD_ASSIGN_OR_RETURN(Custody c, GatherCustody(a, s, &warnings));
  const std::string date = core::NowUtc().substr(0, 10);

  ISNAD_ASSIGN_OR_RETURN(std::unique_ptr<bag::Writer> w, bag::Writer::Create(r.out));
  // The writer builds the bag beside `out` and renames it into place only when
  // finished: a failure leaves no half package behind.
  ISNAD_RETURN_IF_ERROR(WriteBag(a, r, s, c, *w, date, &warnings));
  ExportSummary sum;
  sum.out = r.out;
  if (s.kind != "items") sum.title = Title(s, "en");
  for (const Exhibit& e : s.exhibits) {
    sum.exhibits.push_back(e.rec.id);
    sum.exhibit_bytes += e.rec.size_bytes;
    if (e.brought_by_payload) sum.captures.push_back(e.rec.id);
    if (e.event_document) sum.event_documents.push_back(e.rec.id);
  }
  sum.entries = c.entries.size();
  sum.checkpoint_size = c.n;
  for (const auto& [size, note] : c.checkpoints) sum.checkpoints.push_back(size);
  sum.timestamps = c.tokens.size();
  sum.warnings = std::move(warnings);
  return sum;
}

}  // namespace isnad::archive
