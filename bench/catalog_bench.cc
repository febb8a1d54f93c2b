// Catalogue benchmark (issue 3): reindex from the log, search latency against
// raw SQLite FTS5 over the same text, and memory. Targets at 1,000,000 items
// with Arabic and English text:
//   reindex (read the log + apply to a fresh catalogue) >= 50,000 entries/s;
//   search p50 <= 20 ms and p99 <= 100 ms over the query mix below;
//   memory for that catalogue < 2 GB.
//
// Phases, in one process (docs/benchmarks.md, "Catalogue: reindex and search"):
//   setup    a real tlog::Log of N items, generated deterministically from
//            --seed: per item an item.ingested entry, then (90 %) an
//            item.described with an Arabic or English title and description
//            (20-60 words, Zipf-distributed vocabulary, Syrian place names in
//            both scripts) and an event date in 2011-2020, and (20 %) an
//            item.tagged. Appended in batches of 10,000. Not a target; timed.
//   reindex  exactly Archive::CatchUpCatalog on a fresh catalogue file: log
//            ForEachEntry in chunks of 10,000, RootAt, Catalog::Apply; then
//            the catalogue is closed (its WAL checkpointed). Timed.
//   raw      the comparison: a plain FTS5 table (unicode61, default options)
//            over the same title + "\n" + description, in its own file.
//   search   the query mix (QueryMix below) once as a warm-up, then --reps
//            timed passes; each query through Catalog::Search (limit 20,
//            catalogue opened read-only) and, alternating with it, through
//            SELECT rowid, bm25(t) FROM t WHERE t MATCH ? ORDER BY bm25(t)
//            LIMIT 20 on the raw table.
// Peak RSS: the process's peak so far (ru_maxrss, kept across the resets) at
// the end of each phase, and the peak of each phase alone (VmHWM, reset before
// the reindex and before the searches through /proc/self/clear_refs). Wall and
// CPU time are both reported: on a shared machine CPU time is the steadier one.
//
// Usage: catalog_bench [--items N] [--seed S] [--reps R] [--dir DIR]
//                      [--skip-reindex] [--only-reindex] [--category NAME]
//   --dir DIR keeps the log, catalogue and raw table in DIR and reuses a log
//   (and raw table) built there before with the same --items and --seed;
//   without it everything lives in a temp folder removed at exit.
//   --skip-reindex searches the catalogue already in DIR (for profiling).
//   --only-reindex stops after the reindex (for profiling).
//   --category NAME runs only that category of the query mix (for profiling).
// Prints a JSON summary on stdout, progress and a human summary on stderr.
#include <sqlite3.h>
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "archive/archive.h"
#include "catalog/catalog.h"
#include "catalog/entries.h"
#include "core/allocator.h"
#include "core/canonical_json.h"
#include "core/digest.h"
#include "core/env.h"
#include "core/testing/temp_dir.h"
#include "log/log.h"
#include "log/note.h"

namespace isnad::bench {
namespace {

using core::Json;
using Clock = std::chrono::steady_clock;

constexpr uint64_t kAppendBatch = 10'000;    // setup: entries per Log::Append
constexpr uint64_t kApplyChunk = 10'000;     // = kApplyChunk in src/archive/archive.cc
constexpr uint64_t kRebuildChunk = 100'000;  // = Archive::kRebuildChunk, which Reindex uses
constexpr int kFormatVersion = 1;  // of the generated data; bump when the generator changes

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "catalog_bench: %s\n", what.c_str());
  std::exit(1);
}

void Check(const core::Status& s, const std::string& what) {
  if (!s.ok()) Die(what + ": " + s.ToString());
}

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// ---------------------------------------------------------------------------
// Memory.

uint64_t MaxRssKib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<uint64_t>(u.ru_maxrss);
}

// VmHWM (peak resident set since start or since the last ResetPeak), KiB.
uint64_t PeakKib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::strtoull(line.c_str() + 6, nullptr, 10);
  }
  return 0;
}

// The process's peak RSS so far. ResetPeak lowers the kernel's high-water
// mark, which ru_maxrss reads too, so the peaks seen before are kept here.
uint64_t g_peak_before_reset = 0;
uint64_t ProcessPeakKib() { return std::max({g_peak_before_reset, MaxRssKib(), PeakKib()}); }

// Resets VmHWM to the current RSS (Linux >= 4.0), so that PeakKib() is the
// peak of the phase that follows.
void ResetPeak() {
  g_peak_before_reset = ProcessPeakKib();
  std::ofstream out("/proc/self/clear_refs");
  out << "5";
}

// The load average over the last minute, as /proc/loadavg says.
double LoadAverage() {
  std::ifstream in("/proc/loadavg");
  double l = 0;
  in >> l;
  return l;
}

// CPU seconds (user + system) of the process, and of the calling thread.
double ProcessCpuS() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}
double ThreadCpuS() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

uint64_t FileBytes(const std::string& path) {
  std::error_code ec;
  auto n = std::filesystem::file_size(path, ec);
  return ec ? 0 : static_cast<uint64_t>(n);
}

// ---------------------------------------------------------------------------
// Deterministic random numbers: splitmix64, one independent stream per item,
// and our own distributions (std's are not the same on every library).

class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t Next() {
    uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t Below(uint64_t n) { return Next() % n; }  // [0, n); the bias is negligible here
  uint64_t Between(uint64_t lo, uint64_t hi) { return lo + Below(hi - lo + 1); }  // [lo, hi]
  double Unit() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }         // [0, 1)
  bool Chance(double p) { return Unit() < p; }

 private:
  uint64_t s_;
};

// Rank r (0-based) of n with probability proportional to 1 / (r + 1)^s.
class Zipf {
 public:
  Zipf(size_t n, double s) : cdf_(n) {
    double sum = 0;
    for (size_t r = 0; r < n; ++r) cdf_[r] = (sum += 1.0 / std::pow(static_cast<double>(r + 1), s));
    for (double& c : cdf_) c /= sum;
  }
  size_t Draw(Rng& rng) const {
    auto it = std::upper_bound(cdf_.begin(), cdf_.end(), rng.Unit());
    return std::min(static_cast<size_t>(it - cdf_.begin()), cdf_.size() - 1);
  }

 private:
  std::vector<double> cdf_;
};

// ---------------------------------------------------------------------------
// Word lists. Ranked by how common they are meant to be (Zipf, s = 1.0):
// function words first, then news vocabulary, inflected forms as separate
// words, as in reports of attacks in Syria 2011-2020.

constexpr std::string_view kEnglish[] = {
    "the",         "of",          "in",          "and",           "a",           "to",
    "was",         "on",          "by",          "after",         "at",          "from",
    "with",        "were",        "that",        "shows",         "video",       "attack",
    "killed",      "civilians",   "children",    "shelling",      "hospital",    "for",
    "is",          "people",      "injured",     "regime",        "forces",      "town",
    "residents",   "rocket",      "chemical",    "bodies",        "victims",     "area",
    "airstrike",   "as",          "footage",     "neighbourhood", "women",       "wounded",
    "aircraft",    "gas",         "bombs",       "near",          "activists",   "morning",
    "local",       "medical",     "fighters",    "attacks",       "city",        "streets",
    "symptoms",    "doctors",     "building",    "dead",          "night",       "had",
    "government",  "rockets",     "their",       "families",      "they",        "during",
    "shells",      "houses",      "men",         "reported",      "artillery",   "bombing",
    "several",     "including",   "victim",      "school",        "market",      "mosque",
    "killing",     "shelled",     "attacked",    "ambulance",     "clinic",      "opposition",
    "army",        "military",    "troops",      "helicopter",    "jets",        "strikes",
    "strike",      "struck",      "targeted",    "destroyed",     "damage",      "rubble",
    "fire",        "smoke",       "smell",       "breathing",     "suffocation", "exposure",
    "toxic",       "poison",      "sarin",       "chlorine",      "agent",       "nerve",
    "canisters",   "impact",      "crater",      "munitions",     "remnants",    "fragments",
    "launcher",    "mortar",      "mortars",     "barrel",        "cluster",     "incendiary",
    "siege",       "besieged",    "checkpoint",  "detained",      "arrested",    "prison",
    "detention",   "torture",     "missing",     "displaced",     "camp",        "refugees",
    "fled",        "evacuated",   "evacuation",  "rescue",        "rescuers",    "volunteers",
    "paramedics",  "nurses",      "patients",    "treated",       "treatment",   "oxygen",
    "atropine",    "convulsions", "foam",        "pupils",        "unconscious", "died",
    "deaths",      "toll",        "casualties",  "massacre",      "funeral",     "burial",
    "graves",      "cemetery",    "witness",     "witnesses",     "testimony",   "interview",
    "survivor",    "survivors",   "report",      "reports",       "documented",  "investigation",
    "inspectors",  "samples",     "evidence",    "photos",        "photographs", "filmed",
    "uploaded",    "posted",      "channel",     "coordination",  "committee",   "council",
    "network",     "observatory", "human",       "rights",        "commission",  "united",
    "nations",     "ceasefire",   "truce",       "negotiations",  "convoy",      "aid",
    "food",        "water",       "electricity", "fuel",          "winter",      "bread",
    "bakery",      "queue",       "farmland",    "orchards",      "village",     "villages",
    "countryside", "province",    "district",    "suburb",        "road",        "highway",
    "bridge",      "factory",     "warehouse",   "basement",      "shelter",     "tunnel",
    "roof",        "apartment",   "dawn",        "evening",       "yesterday",   "today",
    "hours",       "minutes",     "dozens",      "hundreds",      "entire",      "family",
    "father",      "mother",      "brother",     "son",           "daughter",    "infant",
    "baby",        "elderly",     "teacher",     "student",       "pharmacy",    "generator",
};

// Arabic: a word and how it takes attached prefixes. 'n' a noun or adjective
// (bare, ال, وال, بال, لل, و, ب); 'd' already definite (bare, و, ب, ل); 'v' a
// verb (bare, و, ف); 'f' a particle (never prefixed here).
struct ArabicWord {
  std::string_view word;
  char kind;
};
constexpr ArabicWord kArabic[] = {
    {"في", 'f'},      {"من", 'f'},      {"على", 'f'},      {"إلى", 'f'},     {"قصف", 'n'},
    {"عن", 'f'},      {"بعد", 'f'},     {"مع", 'f'},       {"التي", 'f'},    {"مدينة", 'n'},
    {"أطفال", 'n'},   {"هجوم", 'n'},    {"مدنيين", 'n'},   {"الذي", 'f'},    {"مستشفى", 'n'},
    {"قتل", 'v'},     {"صاروخ", 'n'},   {"قوات", 'n'},     {"نظام", 'n'},    {"غارة", 'n'},
    {"أن", 'f'},      {"قذيفة", 'n'},   {"ضحايا", 'n'},    {"جرحى", 'n'},    {"شهداء", 'n'},
    {"منطقة", 'n'},   {"حي", 'n'},      {"سكان", 'n'},     {"نساء", 'n'},    {"أصيب", 'v'},
    {"ريف", 'n'},     {"فيديو", 'n'},   {"يظهر", 'v'},     {"استهدف", 'v'},  {"طيران", 'n'},
    {"غاز", 'n'},     {"سلاح", 'n'},    {"كيماوي", 'n'},   {"خلال", 'f'},    {"جراء", 'f'},
    {"مسعفين", 'n'},  {"أهالي", 'n'},   {"مباني", 'n'},    {"قد", 'f'},      {"سقط", 'v'},
    {"صواريخ", 'n'},  {"قذائف", 'n'},   {"براميل", 'n'},   {"مدفعية", 'n'},  {"طائرات", 'n'},
    {"هذه", 'f'},     {"حيث", 'f'},     {"أسلحة", 'n'},    {"أعراض", 'n'},   {"اختناق", 'n'},
    {"حالات", 'n'},   {"مركز", 'n'},    {"طبيب", 'n'},     {"أطباء", 'n'},   {"صور", 'n'},
    {"شاهد", 'n'},    {"شهود", 'n'},    {"تقرير", 'n'},    {"لجنة", 'n'},    {"منظمة", 'n'},
    {"مجزرة", 'n'},   {"انفجار", 'n'},  {"دمار", 'n'},     {"مبنى", 'n'},    {"مدرسة", 'n'},
    {"مسجد", 'n'},    {"سوق", 'n'},     {"طريق", 'n'},     {"حصار", 'n'},    {"نزوح", 'n'},
    {"مخيم", 'n'},    {"لاجئين", 'n'},  {"معارضة", 'n'},   {"فصائل", 'n'},   {"اشتباكات", 'n'},
    {"كان", 'v'},     {"شن", 'v'},      {"أفاد", 'v'},     {"وثق", 'v'},     {"نشر", 'v'},
    {"أكد", 'v'},     {"قال", 'v'},     {"تعرض", 'v'},     {"تظهر", 'v'},    {"أدى", 'v'},
    {"معارك", 'n'},   {"برميل", 'n'},   {"متفجرة", 'n'},   {"عنقودية", 'n'}, {"قنابل", 'n'},
    {"راجمة", 'n'},   {"دبابة", 'n'},   {"حاجز", 'n'},     {"اعتقال", 'n'},  {"معتقلين", 'n'},
    {"تعذيب", 'n'},   {"سجن", 'n'},     {"جثث", 'n'},      {"مقبرة", 'n'},   {"إسعاف", 'n'},
    {"نقطة", 'n'},    {"طبية", 'n'},    {"كارثة", 'n'},    {"إنسانية", 'n'}, {"مساعدات", 'n'},
    {"غذاء", 'n'},    {"ماء", 'n'},     {"كهرباء", 'n'},   {"وقود", 'n'},    {"شتاء", 'n'},
    {"ليل", 'n'},     {"صباح", 'n'},    {"فجر", 'n'},      {"يوم", 'n'},     {"ساعات", 'n'},
    {"موقع", 'n'},    {"مكان", 'n'},    {"أرض", 'n'},      {"منزل", 'n'},    {"منازل", 'n'},
    {"شارع", 'n'},    {"حارة", 'n'},    {"بلدة", 'n'},     {"قرية", 'n'},    {"محافظة", 'n'},
    {"ناشطين", 'n'},  {"ناشط", 'n'},    {"مصادر", 'n'},    {"شبكة", 'n'},    {"مرصد", 'n'},
    {"تنسيقية", 'n'}, {"كتيبة", 'n'},   {"لواء", 'n'},     {"جبهة", 'n'},    {"عائلة", 'n'},
    {"أسرة", 'n'},    {"رجال", 'n'},    {"شباب", 'n'},     {"طفل", 'n'},     {"طفلة", 'n'},
    {"رضيع", 'n'},    {"مسن", 'n'},     {"معلم", 'n'},     {"طالب", 'n'},    {"صيدلية", 'n'},
    {"مولدة", 'n'},   {"ملجأ", 'n'},    {"قبو", 'n'},      {"نفق", 'n'},     {"سطح", 'n'},
    {"شقة", 'n'},     {"مخبز", 'n'},    {"خبز", 'n'},      {"طابور", 'n'},   {"بساتين", 'n'},
    {"أراضي", 'n'},   {"جسر", 'n'},     {"معمل", 'n'},     {"مستودع", 'n'},  {"عشرات", 'n'},
    {"مئات", 'n'},    {"القوات", 'd'},  {"الحكومية", 'd'}, {"الأمن", 'd'},   {"الجيش", 'd'},
    {"المسلحة", 'd'}, {"الثوار", 'd'},  {"الأسد", 'd'},    {"الروسي", 'd'},  {"السوري", 'd'},
    {"توفي", 'v'},    {"استشهد", 'v'},  {"نقل", 'v'},      {"أسعف", 'v'},    {"دمر", 'v'},
    {"احترق", 'v'},   {"فر", 'v'},      {"نزح", 'v'},      {"حاصر", 'v'},    {"منع", 'v'},
    {"تسمم", 'n'},    {"رائحة", 'n'},   {"دخان", 'n'},     {"حريق", 'n'},    {"ركام", 'n'},
    {"أنقاض", 'n'},   {"حفرة", 'n'},    {"شظايا", 'n'},    {"بقايا", 'n'},   {"عبوة", 'n'},
    {"أسطوانة", 'n'}, {"هاون", 'n'},    {"مروحية", 'n'},   {"حربية", 'n'},   {"جوية", 'n'},
    {"صاروخية", 'n'}, {"مدفعي", 'n'},   {"ميداني", 'n'},   {"مشفى", 'n'},    {"ممرضين", 'n'},
    {"مرضى", 'n'},    {"علاج", 'n'},    {"أكسجين", 'n'},   {"تشنجات", 'n'},  {"رغوة", 'n'},
    {"إغماء", 'n'},   {"وفاة", 'n'},    {"حصيلة", 'n'},    {"جنازة", 'n'},   {"دفن", 'n'},
    {"شهادة", 'n'},   {"مقابلة", 'n'},  {"ناجين", 'n'},    {"تحقيق", 'n'},   {"مفتشين", 'n'},
    {"عينات", 'n'},   {"أدلة", 'n'},    {"توثيق", 'n'},    {"قناة", 'n'},    {"مجلس", 'n'},
    {"هدنة", 'n'},    {"مفاوضات", 'n'}, {"قافلة", 'n'},    {"معبر", 'n'},    {"تهجير", 'n'},
};

// Two-word collocations, inserted whole (Zipf over the list).
constexpr std::string_view kEnglishPhrases[] = {
    "chemical attack",     "barrel bombs",       "civil defence",     "field hospital",
    "sarin gas",           "rocket attack",      "cluster munitions", "artillery shelling",
    "government forces",   "red crescent",       "mass grave",        "first responders",
    "opposition fighters", "medical point",      "toxic gas",         "air strike",
    "killed and injured",  "women and children", "human rights",      "eastern ghouta",
};
constexpr std::string_view kArabicPhrases[] = {
    "قصف مدفعي",       "هجوم كيماوي",   "غاز السارين", "الدفاع المدني", "براميل متفجرة",
    "غارة جوية",       "مشفى ميداني",   "قصف صاروخي",  "حالات اختناق",  "ريف دمشق",
    "القوات الحكومية", "الهلال الأحمر", "منظمة الصحة", "لجنة التحقيق",  "مواد سامة",
    "أعراض تسمم",      "قنابل عنقودية", "مجزرة مروعة", "نقطة طبية",     "الغوطة الشرقية",
};

// Rare words: one of these in 1 % of descriptions (each ~0.1 %).
constexpr std::string_view kEnglishRare[] = {
    "hexamine",    "isopropanol",    "methylphosphonic", "organophosphate", "miosis",
    "pralidoxime", "fasciculations", "hypersalivation",  "cholinesterase",  "bronchospasm",
};
constexpr std::string_view kArabicRare[] = {
    "أتروبين", "هكسامين", "أيزوبروبانول", "الكولينستراز", "بيراليدوكسيم",
    "ميثيل",   "فسفوري",  "زرقة",         "بوتولينيوم",   "ارتعاشات",
};

// Places: (Latin, Arabic), most mentioned first.
struct Place {
  std::string_view latin, arabic;
};
constexpr Place kPlaces[] = {
    {"Douma", "دوما"},
    {"Aleppo", "حلب"},
    {"Zamalka", "زملكا"},
    {"Homs", "حمص"},
    {"Ein Tarma", "عين ترما"},
    {"Khan Shaykhun", "خان شيخون"},
    {"Idlib", "إدلب"},
    {"Hama", "حماة"},
    {"Daraa", "درعا"},
    {"Jobar", "جوبر"},
    {"Arbin", "عربين"},
    {"Harasta", "حرستا"},
    {"Damascus", "دمشق"},
    {"Deir ez-Zor", "دير الزور"},
    {"Raqqa", "الرقة"},
    {"Saqba", "سقبا"},
    {"Kafr Batna", "كفربطنا"},
    {"Hamouriyah", "حمورية"},
    {"Darayya", "داريا"},
    {"Moadamiyeh", "معضمية"},
    {"Zabadani", "الزبداني"},
    {"Madaya", "مضايا"},
    {"Yarmouk", "اليرموك"},
    {"Saraqib", "سراقب"},
    {"Maarat al-Numan", "معرة النعمان"},
    {"Kafr Nabl", "كفرنبل"},
    {"Talbiseh", "تلبيسة"},
    {"Rastan", "الرستن"},
    {"Houla", "الحولة"},
    {"Qusayr", "القصير"},
    {"Baba Amr", "بابا عمرو"},
    {"Khalidiya", "الخالدية"},
    {"Ariha", "أريحا"},
    {"Jisr al-Shughur", "جسر الشغور"},
    {"Lataminah", "اللطامنة"},
    {"Kafr Zita", "كفرزيتا"},
    {"Sheikh Maqsoud", "الشيخ مقصود"},
    {"Bustan al-Qasr", "بستان القصر"},
    {"Tadamon", "التضامن"},
    {"Qaboun", "القابون"},
    {"Barzeh", "برزة"},
    {"Latakia", "اللاذقية"},
    {"Manbij", "منبج"},
    {"Al-Bab", "الباب"},
};

constexpr std::string_view kTags[] = {
    "chemical",  "shelling", "airstrike", "hospital",          "children",    "verified-source",
    "duplicate", "priority", "graphic",   "needs-translation", "barrel-bomb", "detention",
};

template <typename T, size_t N>
constexpr size_t Count(const T (&)[N]) {
  return N;
}

struct Dists {
  Zipf english{Count(kEnglish), 1.0};
  Zipf arabic{Count(kArabic), 1.0};
  Zipf en_phrase{Count(kEnglishPhrases), 1.0};
  Zipf ar_phrase{Count(kArabicPhrases), 1.0};
  Zipf place{Count(kPlaces), 1.0};
  Zipf tag{Count(kTags), 1.0};
};
const Dists& D() {
  static const Dists* d = new Dists();
  return *d;
}

// An Arabic word with the attached prefix its kind allows, drawn at the rates
// of news text: most bare or with the article, some with و, ب, ل.
std::string ArabicForm(const ArabicWord& w, Rng& rng) {
  std::string s(w.word);
  double r = rng.Unit();
  switch (w.kind) {
    case 'n':
      if (r < 0.40) return s;
      if (r < 0.70) return "ال" + s;
      if (r < 0.80) return "وال" + s;
      if (r < 0.87) return "بال" + s;
      if (r < 0.92) return s.starts_with("ل") ? "وال" + s : "لل" + s;
      if (r < 0.97) return "و" + s;
      return "ب" + s;
    case 'd':
      if (r < 0.75) return s;
      if (r < 0.88) return "و" + s;
      if (r < 0.95) return "ب" + s;
      return "ل" + s.substr(std::string_view("ا").size());  // ل + الـ = لـلـ
    case 'v':
      if (r < 0.70) return s;
      if (r < 0.90) return "و" + s;
      return "ف" + s;
    default:
      return s;
  }
}

// ---------------------------------------------------------------------------
// One generated item.

struct Item {
  core::Hash sha256;
  uint64_t size = 0;
  std::string media_type, name;
  bool described = false;
  std::string lang, title, description, event_date;
  std::vector<std::string> tags;  // empty: no item.tagged
};

std::string Pad(uint64_t v, int width) {
  std::string s = std::to_string(v);
  return std::string(s.size() < static_cast<size_t>(width) ? width - s.size() : 0, '0') + s;
}

constexpr std::string_view kMonthsEn[] = {"January",   "February", "March",    "April",
                                          "May",       "June",     "July",     "August",
                                          "September", "October",  "November", "December"};

std::string Description(bool arabic, const Place& place, Rng& rng) {
  const Dists& d = D();
  const size_t words = rng.Between(20, 60);
  const size_t place_at = rng.Below(words);
  const bool rare = rng.Chance(0.01);
  const size_t rare_at = rng.Below(words);
  std::string out;
  size_t n = 0, in_sentence = 0;
  auto add = [&](std::string_view w) {
    if (!out.empty()) out += ' ';
    out += w;
    n += static_cast<size_t>(std::count(w.begin(), w.end(), ' ')) + 1;
    if (++in_sentence >= 8 && rng.Chance(0.15)) {
      out += '.';
      in_sentence = 0;
    }
  };
  bool placed = false, rared = false;
  while (n < words) {
    if (!placed && n >= place_at) {
      placed = true;
      if (arabic) {
        add(rng.Chance(0.7) ? "في" : "على");
        add(place.arabic);
      } else {
        add(rng.Chance(0.7) ? "in" : "near");
        add(place.latin);
      }
      continue;
    }
    if (rare && !rared && n >= rare_at) {
      rared = true;
      add(arabic ? kArabicRare[rng.Below(Count(kArabicRare))]
                 : kEnglishRare[rng.Below(Count(kEnglishRare))]);
      continue;
    }
    double r = rng.Unit();
    if (r < 0.06) {
      add(arabic ? kArabicPhrases[d.ar_phrase.Draw(rng)] : kEnglishPhrases[d.en_phrase.Draw(rng)]);
    } else if (r < 0.08) {
      add(std::to_string(1 + d.english.Draw(rng) * 3 + rng.Below(3)));  // casualty counts
    } else if (r < 0.09) {
      // A second place, mentioned in passing.
      const Place& other = kPlaces[d.place.Draw(rng)];
      add(arabic ? other.arabic : other.latin);
    } else if (arabic) {
      add(ArabicForm(kArabic[d.arabic.Draw(rng)], rng));
    } else {
      add(kEnglish[d.english.Draw(rng)]);
    }
  }
  out += '.';
  return out;
}

std::string Title(bool arabic, const Place& place, uint64_t y, uint64_t m, uint64_t day, Rng& rng) {
  const std::string p(arabic ? place.arabic : place.latin);
  if (arabic) {
    static constexpr std::string_view kEvents[] = {"قصف",           "هجوم كيماوي", "غارة جوية",
                                                   "براميل متفجرة", "قصف صاروخي",  "مشفى ميداني",
                                                   "ضحايا الهجوم",  "آثار القصف"};
    std::string e(kEvents[rng.Below(Count(kEvents))]);
    switch (rng.Below(4)) {
      case 0:
        return e + " على " + p;
      case 1:
        return e + " في " + p + " " + std::to_string(day) + "-" + std::to_string(m) + "-" +
               std::to_string(y);
      case 2:
        return p + ": " + e;
      default:
        return "شاهد: " + e + " في " + p;
    }
  }
  static constexpr std::string_view kEvents[] = {"shelling",
                                                 "chemical attack",
                                                 "airstrike",
                                                 "barrel bomb attack",
                                                 "rocket attack",
                                                 "field hospital",
                                                 "victims of the attack",
                                                 "aftermath of shelling"};
  std::string e(kEvents[rng.Below(Count(kEvents))]);
  switch (rng.Below(4)) {
    case 0:
      return e + " in " + p;
    case 1:
      return p + ": " + e + ", " + std::to_string(day) + " " + std::string(kMonthsEn[m - 1]) + " " +
             std::to_string(y);
    case 2:
      return "Video: " + e + " in " + p;
    default:
      return p + " " + e;
  }
}

Item MakeItem(uint64_t seed, uint64_t k) {
  Rng rng(seed * 0x9e3779b97f4a7c15ULL ^ (k + 1) * 0xd1b54a32d192ed03ULL);
  Item it;
  it.sha256 = core::Sha256Of("catalog_bench " + std::to_string(seed) + " " + std::to_string(k));
  const uint64_t y = rng.Between(2011, 2020), m = rng.Between(1, 12), day = rng.Between(1, 28);
  const uint64_t hh = rng.Below(24), mi = rng.Below(60), ss = rng.Below(60);
  const std::string ymd = std::to_string(y) + Pad(m, 2) + Pad(day, 2);
  double r = rng.Unit();
  if (r < 0.50) {
    it.media_type = "video/mp4";
    it.name = "VID_" + ymd + "_" + Pad(hh, 2) + Pad(mi, 2) + ".mp4";
    it.size = rng.Between(5'000'000, 500'000'000);
  } else if (r < 0.80) {
    it.media_type = "image/jpeg";
    it.name = "IMG_" + ymd + "_" + Pad(hh, 2) + Pad(mi, 2) + Pad(ss, 2) + ".jpg";
    it.size = rng.Between(500'000, 8'000'000);
  } else if (r < 0.90) {
    it.media_type = "application/pdf";
    it.name = "report-" + std::to_string(y) + "-" + Pad(m, 2) + "-" + Pad(day, 2) + "-" +
              std::to_string(rng.Below(1000)) + ".pdf";
    it.size = rng.Between(100'000, 5'000'000);
  } else {
    it.media_type = "text/plain";
    it.name = "statement_" + Pad(rng.Below(100000), 5) + ".txt";
    it.size = rng.Between(1'000, 50'000);
  }
  it.described = rng.Chance(0.9);
  if (it.described) {
    const bool arabic = rng.Chance(0.5);
    const Place& place = kPlaces[D().place.Draw(rng)];
    it.lang = arabic ? "ar" : "en";
    it.title = Title(arabic, place, y, m, day, rng);
    it.description = Description(arabic, place, rng);
    it.event_date = rng.Chance(0.85) ? std::to_string(y) + "-" + Pad(m, 2) + "-" + Pad(day, 2)
                                     : std::to_string(y) + "-" + Pad(m, 2);
  }
  if (rng.Chance(0.2)) {
    size_t n = rng.Between(1, 2);
    for (size_t t = 0; t < n; ++t) {
      std::string tag(kTags[D().tag.Draw(rng)]);
      if (std::find(it.tags.begin(), it.tags.end(), tag) == it.tags.end()) it.tags.push_back(tag);
    }
  }
  return it;
}

const catalog::Actor& BenchActor() {
  static const catalog::Actor* a = new catalog::Actor{"2024-06-01T12:00:00.000Z", "bench@isnad"};
  return *a;
}

// The entries of item k whose item.ingested is leaf `leaf`.
void AppendEntries(const Item& it, uint64_t leaf, std::vector<std::string>* out) {
  catalog::Provenance from;
  from.name = it.name;
  auto ingested = catalog::ItemIngestedEntry(BenchActor(), it.sha256, it.size, it.media_type, from);
  if (!ingested.ok()) Die("item.ingested: " + ingested.status().ToString());
  out->push_back(std::move(*ingested));
  const std::string id = catalog::ItemId(leaf);
  if (it.described) {
    Json body = {{"type", "item.described"},
                 {"item", id},
                 {"lang", it.lang},
                 {"title", it.title},
                 {"description", it.description},
                 {"event_date", it.event_date}};
    auto e = catalog::GraphEntry(BenchActor(), std::move(body));
    if (!e.ok()) Die("item.described: " + e.status().ToString());
    out->push_back(std::move(*e));
  }
  if (!it.tags.empty()) {
    Json body = {{"type", "item.tagged"}, {"item", id}, {"add", it.tags}};
    auto e = catalog::GraphEntry(BenchActor(), std::move(body));
    if (!e.ok()) Die("item.tagged: " + e.status().ToString());
    out->push_back(std::move(*e));
  }
}

// ---------------------------------------------------------------------------
// Setup: the log.

struct Options {
  uint64_t items = 1'000'000;
  uint64_t seed = 20130821;
  int reps = 3;
  std::string dir;
  bool skip_reindex = false;
  bool only_reindex = false;
  std::string category;  // only this query category ("" = all)
};

std::string SetupStamp(const Options& o, uint64_t entries) {
  return "catalog_bench v" + std::to_string(kFormatVersion) + " items=" + std::to_string(o.items) +
         " seed=" + std::to_string(o.seed) + " entries=" + std::to_string(entries) + "\n";
}

struct SetupResult {
  bool reused = false;
  double seconds = 0;
  uint64_t entries = 0, items = 0, described = 0, tagged = 0;
  uint64_t log_bytes = 0;
};

uint64_t TreeBytes(const std::string& dir) {
  uint64_t n = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec)) n += it->file_size(ec);
  }
  return n;
}

SetupResult Setup(const Options& o, const std::string& dir, tlog::NoteSigner* signer,
                  tlog::NoteVerifier* verifier) {
  core::Env* env = core::Env::Default();
  SetupResult res;
  const std::string log_dir = dir + "/log", skey_path = dir + "/log.skey",
                    stamp_path = dir + "/setup.txt";
  auto stamp = env->ReadFile(stamp_path);
  auto skey = env->ReadFile(skey_path);
  if (stamp.ok() && skey.ok()) {
    auto s = tlog::NoteSigner::FromSkey(*skey);
    if (!s.ok()) Die("log.skey: " + s.status().ToString());
    *signer = *s;
    *verifier = *tlog::NoteVerifier::FromVkey(signer->vkey());
    auto log = tlog::Log::Open(env, log_dir, *verifier);
    if (log.ok() && *stamp == SetupStamp(o, (*log)->size())) {
      res.reused = true;
      res.entries = (*log)->size();
      res.log_bytes = TreeBytes(log_dir);
      std::fprintf(stderr, "setup: reusing the %llu-entry log in %s\n",
                   static_cast<unsigned long long>(res.entries), log_dir.c_str());
      return res;
    }
    Die(dir + " holds a log from another --items/--seed; remove it or choose another --dir");
  }
  if (core::Exists(env, log_dir)) Die(log_dir + " exists but is incomplete; remove it");
  auto s = tlog::NoteSigner::GenerateSkey("bench.example/catalog-bench");
  if (!s.ok()) Die("key: " + s.status().ToString());
  Check(core::CreateDirs(env, dir), "mkdir " + dir);
  Check(core::WriteFileAtomically(env, skey_path, *s, true, 0600), "writing the key");
  *signer = *tlog::NoteSigner::FromSkey(*s);
  *verifier = *tlog::NoteVerifier::FromVkey(signer->vkey());

  auto start = Clock::now();
  auto log = tlog::Log::Create(env, log_dir, *signer);
  if (!log.ok()) Die("creating the log: " + log.status().ToString());
  std::vector<std::string> batch;
  batch.reserve(kAppendBatch + 3);
  auto created = catalog::ArchiveCreatedEntry(BenchActor(), "bench.example/catalog-bench",
                                              signer->vkey(), "isnad catalog_bench");
  if (!created.ok()) Die("archive.created: " + created.status().ToString());
  batch.push_back(std::move(*created));
  uint64_t next_leaf = 0;  // leaves committed before `batch`
  auto flush = [&] {
    auto r = (*log)->Append(batch, *signer);
    if (!r.ok()) Die("append: " + r.status().ToString());
    batch.clear();
  };
  for (uint64_t k = 0; k < o.items; ++k) {
    Item it = MakeItem(o.seed, k);
    AppendEntries(it, next_leaf + batch.size(), &batch);
    res.described += it.described;
    res.tagged += !it.tags.empty();
    if (batch.size() >= kAppendBatch) {
      next_leaf += batch.size();
      flush();
    }
    if ((k + 1) % 100'000 == 0) {
      std::fprintf(stderr, "setup: %llu items, %.0f s\n", static_cast<unsigned long long>(k + 1),
                   Seconds(start));
    }
  }
  if (!batch.empty()) {
    next_leaf += batch.size();
    flush();
  }
  res.seconds = Seconds(start);
  res.entries = (*log)->size();
  res.items = o.items;
  res.log_bytes = TreeBytes(log_dir);
  if (res.entries != next_leaf) Die("log size does not match the entries appended");
  Check(core::WriteFileAtomically(env, stamp_path, SetupStamp(o, res.entries)),
        "writing setup.txt");
  return res;
}

// ---------------------------------------------------------------------------
// Reindex, as Archive::Reindex does it: archive::ApplyLog into a fresh catalogue in bulk load.

struct ReindexResult {
  double seconds = 0, read_wait_s = 0, apply_s = 0, close_s = 0, log_open_s = 0;
  double cpu_s = 0;
  // CPU time of the applying thread alone (this one: SQLite writes on it;
  // Catalog::Apply parses and tokenizes on others): the bound on the rate
  // when the other threads have a core of their own.
  double writer_cpu_s = 0;
  uint64_t entries = 0, db_bytes = 0;
  uint64_t maxrss_kib = 0, phase_peak_kib = 0;
};

ReindexResult Reindex(const std::string& dir, const std::string& db,
                      const tlog::NoteVerifier& verifier) {
  core::Env* env = core::Env::Default();
  ReindexResult res;
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db + suffix);
  ResetPeak();
  auto t0 = Clock::now();
  auto log = tlog::Log::Open(env, dir + "/log", verifier);
  if (!log.ok()) Die("opening the log: " + log.status().ToString());
  res.log_open_s = Seconds(t0);

  auto start = Clock::now();
  const double cpu0 = ProcessCpuS(), writer_cpu0 = ThreadCpuS();
  auto cat = catalog::Catalog::Open(db, false);
  if (!cat.ok()) Die("opening the catalogue: " + cat.status().ToString());
  Check((*cat)->BeginBulkLoad(), "starting the bulk load");
  auto applied_or = (*cat)->AppliedSize();
  if (!applied_or.ok()) Die(applied_or.status().ToString());
  uint64_t applied = *applied_or;
  const uint64_t size = (*log)->size();
  archive::ApplyLogTimes times;
  auto last_report = Clock::now();
  Check(archive::ApplyLog(
            **log, applied, kRebuildChunk, **cat,
            [&](const archive::Progress& p) {
              if (std::chrono::duration<double>(Clock::now() - last_report).count() < 30) {
                return;
              }
              last_report = Clock::now();
              std::fprintf(stderr, "reindex: %llu / %llu entries, %.0f s\n",
                           static_cast<unsigned long long>(p.done),
                           static_cast<unsigned long long>(p.total), Seconds(start));
            },
            &times),
        "applying the log");
  res.read_wait_s = times.read_wait_s;
  res.apply_s = times.apply_s;
  auto t = Clock::now();
  Check((*cat)->EndBulkLoad(), "ending the bulk load");
  cat->reset();  // closes: checkpoints the WAL into the file, as the CLI's exit does
  res.close_s = Seconds(t);
  res.seconds = Seconds(start);
  res.cpu_s = ProcessCpuS() - cpu0;
  res.writer_cpu_s = ThreadCpuS() - writer_cpu0;
  res.entries = size;
  res.db_bytes = FileBytes(db) + FileBytes(db + "-wal");
  res.maxrss_kib = ProcessPeakKib();
  res.phase_peak_kib = PeakKib();
  return res;
}

// ---------------------------------------------------------------------------
// The raw FTS5 comparison table.

void SqlCheck(sqlite3* db, int rc, const std::string& what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    Die(what + ": " + sqlite3_errmsg(db));
  }
}

struct RawResult {
  bool reused = false;
  double seconds = 0;
  uint64_t rows = 0, db_bytes = 0;
};

// Rowid = the item's leaf index, as in the catalogue's search table.
RawResult BuildRaw(const Options& o, const std::string& dir) {
  RawResult res;
  const std::string path = dir + "/raw.db", stamp = dir + "/raw.txt";
  core::Env* env = core::Env::Default();
  auto have = env->ReadFile(stamp);
  if (have.ok() && *have == SetupStamp(o, 0) && core::Exists(env, path)) {
    res.reused = true;
    res.db_bytes = FileBytes(path);
    return res;
  }
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-journal");
  sqlite3* db = nullptr;
  SqlCheck(db, sqlite3_open(path.c_str(), &db), "opening raw.db");
  auto start = Clock::now();
  SqlCheck(db,
           sqlite3_exec(db, "CREATE VIRTUAL TABLE t USING fts5(body)", nullptr, nullptr, nullptr),
           "creating the raw table");
  sqlite3_stmt* ins = nullptr;
  SqlCheck(db,
           sqlite3_prepare_v2(db, "INSERT INTO t (rowid, body) VALUES (?1, ?2)", -1, &ins, nullptr),
           "preparing");
  uint64_t leaf = 1, in_tx = 0;
  SqlCheck(db, sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr), "begin");
  for (uint64_t k = 0; k < o.items; ++k) {
    Item it = MakeItem(o.seed, k);
    if (it.described) {
      std::string body = it.title + "\n" + it.description;
      sqlite3_bind_int64(ins, 1, static_cast<sqlite3_int64>(leaf));
      sqlite3_bind_text(ins, 2, body.data(), static_cast<int>(body.size()), SQLITE_TRANSIENT);
      SqlCheck(db, sqlite3_step(ins), "inserting");
      sqlite3_reset(ins);
      ++res.rows;
    }
    leaf += 1 + (it.described ? 1 : 0) + (it.tags.empty() ? 0 : 1);
    if (++in_tx == kApplyChunk) {
      SqlCheck(db, sqlite3_exec(db, "COMMIT; BEGIN", nullptr, nullptr, nullptr), "commit");
      in_tx = 0;
    }
  }
  SqlCheck(db, sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), "commit");
  sqlite3_finalize(ins);
  sqlite3_close(db);
  res.seconds = Seconds(start);
  res.db_bytes = FileBytes(path);
  Check(core::WriteFileAtomically(env, stamp, SetupStamp(o, 0)), "writing raw.txt");
  return res;
}

// ---------------------------------------------------------------------------
// The query mix: 11 categories of 20 queries. `raw` is the same words as a
// plain FTS5 query (every token quoted); filters and facets have no raw
// equivalent, so its raw query is the text part alone.

struct Query {
  std::string category;
  catalog::SearchRequest req;
  std::string raw;
};

std::string Quoted(std::string_view words) {  // "a" "b" (FTS5 implicit AND)
  std::string out;
  size_t i = 0;
  while (i < words.size()) {
    size_t j = words.find(' ', i);
    if (j == std::string_view::npos) j = words.size();
    if (j > i) {
      if (!out.empty()) out += ' ';
      out += "\"" + std::string(words.substr(i, j - i)) + "\"";
    }
    i = j + 1;
  }
  return out;
}

std::vector<Query> QueryMix() {
  std::vector<Query> q;
  auto plain = [&q](const char* category, std::string_view text) {
    Query x;
    x.category = category;
    x.req.query = std::string(text);
    x.raw = Quoted(text);
    q.push_back(std::move(x));
  };
  // 1. One common English word; 2. one common Arabic word (as written in the text).
  for (auto w : {"attack",  "killed",  "civilians", "children", "shelling",  "hospital", "people",
                 "injured", "regime",  "forces",    "town",     "residents", "rocket",   "chemical",
                 "bodies",  "victims", "airstrike", "footage",  "women",     "gas"}) {
    plain("common_en", w);
  }
  for (auto w :
       {"قصف",  "مدينة", "أطفال", "هجوم", "مدنيين", "مستشفى", "قتل",  "صاروخ", "قوات",  "نظام",
        "غارة", "قذيفة", "ضحايا", "جرحى", "شهداء",  "منطقة",  "سكان", "نساء",  "فيديو", "طيران"}) {
    plain("common_ar", w);
  }
  // 3. Rare words (~0.1 % of descriptions of their language each).
  for (auto w : kEnglishRare) plain("rare", w);
  for (auto w : kArabicRare) plain("rare", w);
  // 4. Two words, implicit AND.
  for (auto w : {"chemical children",   "hospital shelling", "rocket town",
                 "sarin victims",       "barrel school",     "mortar market",
                 "ambulance rubble",    "atropine doctors",  "siege bread",
                 "detained checkpoint", "قصف مستشفى",        "أطفال اختناق",
                 "صاروخ مدرسة",         "غارة سوق",          "قذيفة مسجد",
                 "جرحى مسعفين",         "حصار خبز",          "مجزرة نساء",
                 "براميل حي",           "طبيب أكسجين"}) {
    plain("and2", w);
  }
  // 5. Phrases: the collocations the generator writes.
  for (int i = 0; i < 10; ++i) {
    Query x;
    x.category = "phrase";
    x.req.query = "\"" + std::string(kEnglishPhrases[i * 2]) + "\"";
    x.raw = x.req.query;
    q.push_back(x);
    x.req.query = "\"" + std::string(kArabicPhrases[i * 2]) + "\"";
    x.raw = x.req.query;
    q.push_back(x);
  }
  // 6. An Arabic word with attached prefixes that should match its stem
  //    (the text has the same noun bare, with ال, وال, بال, لل, و, ب).
  for (auto w :
       {"والمدينة",  "بالقصف",  "للمدنيين", "والأطفال",  "بالصواريخ", "للمستشفى", "والقذائف",
        "بالغاز",    "والجرحى", "للسكان",   "بالبراميل", "والمسعفين", "بالمنطقة", "والنساء",
        "بالمدفعية", "للأهالي", "والمباني", "بالطائرات", "والشهداء",  "بالسلاح"}) {
    plain("ar_prefix", w);
  }
  // 7. Spelling variants the text does not use: ه for ة, ا for أ/إ, ي for ى.
  for (auto w : {"مدينه",  "منطقه", "غاره",  "قذيفه",  "مدرسه", "عائله", "كارثه",
                 "مجزره",  "اطفال", "اعراض", "اسعاف",  "اصيب",  "اسلحه", "الاطفال",
                 "مستشفي", "جرحي",  "مبني",  "الغوطه", "حماه",  "ادلب"}) {
    plain("variant", w);
  }
  // 8. Latin place names against text that also names them in Arabic.
  for (auto w : {"Zamalka", "Douma",  "Ein Tarma", "Khan Shaykhun", "Homs",     "Jobar", "Arbin",
                 "Harasta", "Saqba",  "Darayya",   "Saraqib",       "Idlib",    "Hama",  "Daraa",
                 "Raqqa",   "Qaboun", "Barzeh",    "Madaya",        "Zabadani", "Aleppo"}) {
    plain("cross_script", w);
  }
  // 9. Prefix queries.
  for (auto w :
       {"zam*",  "dou*", "chem*", "hosp*", "shell*", "kha*",  "arb*", "har*", "civil*", "rock*",
        "bomb*", "inj*", "مستش*", "قص*",   "صار*",   "كيما*", "زمل*", "دوم*", "اختن*",  "أطف*"}) {
    Query x;
    x.category = "prefix";
    x.req.query = w;
    std::string stem(w);
    stem.pop_back();
    x.raw = "\"" + stem + "\"*";
    q.push_back(std::move(x));
  }
  // 10. Filters: a word and a tag; a word or place and an event-date range.
  const std::pair<const char*, const char*> tagged[] = {
      {"attack", "chemical"},   {"قصف", "shelling"},    {"hospital", "hospital"},
      {"أطفال", "children"},    {"Douma", "chemical"},  {"غارة", "airstrike"},
      {"victims", "graphic"},   {"مستشفى", "priority"}, {"barrel", "barrel-bomb"},
      {"detained", "detention"}};
  for (const auto& [w, tag] : tagged) {
    Query x;
    x.category = "filter";
    x.req.query = w;
    x.req.tags = {tag};
    x.raw = Quoted(w);
    q.push_back(std::move(x));
  }
  const std::array<const char*, 3> dated[] = {{"Zamalka", "2013-08-01", "2013-08-31"},
                                              {"chemical", "2013-08-21", "2013-08-22"},
                                              {"قصف", "2016-12", "2016-12"},
                                              {"Douma", "2018-04", "2018-04"},
                                              {"خان شيخون", "2017", "2017"},
                                              {"hospital", "2015-01-01", "2015-06-30"},
                                              {"Aleppo", "2016", "2016"},
                                              {"اختناق", "2014", "2015"},
                                              {"shelling", "2012-02", "2012-03"},
                                              {"مستشفى", "2019-05-01", "2019-05-31"}};
  for (const auto& d : dated) {
    Query x;
    x.category = "filter";
    x.req.query = d[0];
    x.req.event_from = d[1];
    x.req.event_to = d[2];
    x.raw = Quoted(d[0]);
    q.push_back(std::move(x));
  }
  // 11. With facets (counts by kind, media type, status and tag over all hits).
  for (auto w : {"attack",
                 "قصف",
                 "Zamalka",
                 "sarin",
                 "hospital",
                 "أطفال",
                 "rocket",
                 "غارة",
                 "Douma",
                 "اختناق",
                 "chemical children",
                 "\"barrel bombs\"",
                 "hexamine",
                 "مجزرة",
                 "siege",
                 "مستشفى",
                 "Aleppo",
                 "دوما",
                 "victims",
                 "حصار"}) {
    Query x;
    x.category = "facets";
    x.req.query = w;
    x.req.facets = true;
    x.raw = std::string(w).starts_with("\"") ? std::string(w) : Quoted(w);
    q.push_back(std::move(x));
  }
  for (Query& x : q) x.req.limit = 20;
  return q;
}

// ---------------------------------------------------------------------------
// Search.

struct Stats {
  double p50 = 0, p90 = 0, p99 = 0, max = 0;
  size_t n = 0;
};

Stats Summarize(std::vector<double> ms) {
  Stats s;
  s.n = ms.size();
  if (ms.empty()) return s;
  std::sort(ms.begin(), ms.end());
  auto rank = [&ms](double p) {  // nearest rank
    size_t k = static_cast<size_t>(std::ceil(p * static_cast<double>(ms.size())));
    return ms[std::min(ms.size() - 1, k == 0 ? 0 : k - 1)];
  };
  s.p50 = rank(0.50);
  s.p90 = rank(0.90);
  s.p99 = rank(0.99);
  s.max = ms.back();
  return s;
}

Json StatsJson(const Stats& s) {
  auto r = [](double v) { return std::round(v * 1000) / 1000; };
  return {{"n", s.n},
          {"p50_ms", r(s.p50)},
          {"p90_ms", r(s.p90)},
          {"p99_ms", r(s.p99)},
          {"max_ms", r(s.max)}};
}

class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    SqlCheck(db_, sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr),
             "opening raw.db");
  }
  ~RawDb() { sqlite3_close(db_); }
  // The timed query: prepared, stepped to the end, finalized. Returns rows.
  uint64_t Top20(const std::string& match) {
    return Run("SELECT rowid, bm25(t) FROM t WHERE t MATCH ?1 ORDER BY bm25(t) LIMIT 20", match);
  }
  uint64_t CountAll(const std::string& match) {
    sqlite3_stmt* st = nullptr;
    SqlCheck(db_,
             sqlite3_prepare_v2(db_, "SELECT count(*) FROM t WHERE t MATCH ?1", -1, &st, nullptr),
             "preparing");
    sqlite3_bind_text(st, 1, match.data(), static_cast<int>(match.size()), SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    SqlCheck(db_, rc, "raw count for " + match);
    uint64_t n = rc == SQLITE_ROW ? static_cast<uint64_t>(sqlite3_column_int64(st, 0)) : 0;
    sqlite3_finalize(st);
    return n;
  }

 private:
  uint64_t Run(const char* sql, const std::string& match) {
    sqlite3_stmt* st = nullptr;
    SqlCheck(db_, sqlite3_prepare_v2(db_, sql, -1, &st, nullptr), "preparing");
    sqlite3_bind_text(st, 1, match.data(), static_cast<int>(match.size()), SQLITE_TRANSIENT);
    uint64_t rows = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) ++rows;
    SqlCheck(db_, rc, "raw query " + match);
    sqlite3_finalize(st);
    return rows;
  }
  sqlite3* db_ = nullptr;
};

struct QueryOutcome {
  std::vector<double> isnad_ms, raw_ms;          // wall clock
  std::vector<double> isnad_cpu_ms, raw_cpu_ms;  // CPU time of this thread
  uint64_t isnad_total = 0, raw_total = 0;
  std::string error;
};

struct SearchResults {
  std::vector<Query> queries;
  std::vector<QueryOutcome> outcomes;
  double open_ms = 0;
  uint64_t maxrss_kib = 0, phase_peak_kib = 0;
};

SearchResults RunSearches(const std::string& db, const std::string& raw_path, int reps,
                          const std::string& category) {
  SearchResults res;
  res.queries = QueryMix();
  if (!category.empty()) {
    std::erase_if(res.queries, [&](const Query& q) { return q.category != category; });
    if (res.queries.empty()) Die("no query category " + category);
  }
  res.outcomes.resize(res.queries.size());
  ResetPeak();
  auto t = Clock::now();
  auto cat = catalog::Catalog::Open(db, /*read_only=*/true);
  if (!cat.ok()) Die("opening the catalogue read-only: " + cat.status().ToString());
  res.open_ms = Seconds(t) * 1000;
  RawDb raw(raw_path);
  // Pass 0 is the warm-up (page cache, SQLite caches); passes 1..reps are timed.
  for (int pass = 0; pass <= reps; ++pass) {
    auto pass_start = Clock::now();
    for (size_t i = 0; i < res.queries.size(); ++i) {
      const Query& q = res.queries[i];
      QueryOutcome& out = res.outcomes[i];
      double c0 = ThreadCpuS();
      auto t0 = Clock::now();
      auto r = (*cat)->Search(q.req);
      double isnad_ms = Seconds(t0) * 1000;
      double isnad_cpu_ms = (ThreadCpuS() - c0) * 1000;
      if (!r.ok()) {
        out.error = r.status().ToString();
      } else {
        out.isnad_total = r->total;
      }
      c0 = ThreadCpuS();
      t0 = Clock::now();
      raw.Top20(q.raw);
      double raw_ms = Seconds(t0) * 1000;
      double raw_cpu_ms = (ThreadCpuS() - c0) * 1000;
      if (pass > 0) {
        out.isnad_ms.push_back(isnad_ms);
        out.raw_ms.push_back(raw_ms);
        out.isnad_cpu_ms.push_back(isnad_cpu_ms);
        out.raw_cpu_ms.push_back(raw_cpu_ms);
      }
    }
    std::fprintf(stderr, "search: pass %d of %d (%s) in %.1f s\n", pass, reps,
                 pass == 0 ? "warm-up" : "timed", Seconds(pass_start));
  }
  for (size_t i = 0; i < res.queries.size(); ++i) {
    res.outcomes[i].raw_total = raw.CountAll(res.queries[i].raw);
  }
  res.maxrss_kib = ProcessPeakKib();
  res.phase_peak_kib = PeakKib();
  return res;
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// ---------------------------------------------------------------------------

Options ParseArgs(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--items") {
      o.items = std::strtoull(value().c_str(), nullptr, 10);
    } else if (a == "--seed") {
      o.seed = std::strtoull(value().c_str(), nullptr, 10);
    } else if (a == "--reps") {
      o.reps = std::atoi(value().c_str());
    } else if (a == "--dir") {
      o.dir = value();
    } else if (a == "--skip-reindex") {
      o.skip_reindex = true;
    } else if (a == "--only-reindex") {
      o.only_reindex = true;
    } else if (a == "--category") {
      o.category = value();
    } else {
      Die("unknown argument " + a +
          "; usage: catalog_bench [--items N] [--seed S] [--reps R] [--dir DIR] "
          "[--skip-reindex] [--only-reindex] [--category NAME]");
    }
  }
  if (o.items == 0 || o.reps < 1) Die("--items and --reps must be at least 1");
  if (o.skip_reindex && o.dir.empty()) Die("--skip-reindex needs --dir with a catalogue in it");
  return o;
}

int Main(int argc, char** argv) {
  core::KeepFreedMemoryForReuse();  // as isnad's main does
  catalog::ConfigureSqliteForProcess();
  const Options o = ParseArgs(argc, argv);
  std::unique_ptr<core::testing::TempDir> tmp;
  std::string dir = o.dir;
  if (dir.empty()) {
    tmp = std::make_unique<core::testing::TempDir>();
    dir = tmp->path();
  }
  Json out;
  out["items"] = o.items;
  out["seed"] = o.seed;
  out["dir"] = dir;
  out["sqlite_version"] = sqlite3_libversion();
  out["load_average"]["start"] = LoadAverage();

  tlog::NoteSigner signer =
      *tlog::NoteSigner::FromSkey(*tlog::NoteSigner::GenerateSkey("placeholder.example/unused"));
  tlog::NoteVerifier verifier = *tlog::NoteVerifier::FromVkey(signer.vkey());
  SetupResult setup = Setup(o, dir, &signer, &verifier);
  out["setup"] = {{"reused", setup.reused},
                  {"seconds", setup.seconds},
                  {"entries", setup.entries},
                  {"described", setup.described},
                  {"tagged", setup.tagged},
                  {"entries_per_s", setup.seconds > 0 ? setup.entries / setup.seconds : 0},
                  {"log_bytes", setup.log_bytes},
                  {"maxrss_kib", ProcessPeakKib()}};
  if (!setup.reused) {
    std::fprintf(stderr,
                 "setup: %llu entries (%llu items, %llu described, %llu tagged) in %.1f s = "
                 "%.0f entries/s; log %.1f MiB\n",
                 static_cast<unsigned long long>(setup.entries),
                 static_cast<unsigned long long>(o.items),
                 static_cast<unsigned long long>(setup.described),
                 static_cast<unsigned long long>(setup.tagged), setup.seconds,
                 setup.entries / setup.seconds, setup.log_bytes / 1048576.0);
  }

  const std::string db = dir + "/catalog.db";
  if (!o.skip_reindex) {
    ReindexResult r = Reindex(dir, db, verifier);
    const double rate = r.entries / r.seconds;
    out["reindex"] = {{"entries", r.entries},
                      {"seconds", r.seconds},
                      {"cpu_s", r.cpu_s},
                      {"entries_per_s", rate},
                      {"entries_per_cpu_s", r.entries / r.cpu_s},
                      {"writer_cpu_s", r.writer_cpu_s},
                      {"entries_per_writer_cpu_s", r.entries / r.writer_cpu_s},
                      {"log_open_s", r.log_open_s},
                      {"read_wait_s", r.read_wait_s},
                      {"apply_s", r.apply_s},
                      {"close_s", r.close_s},
                      {"catalog_bytes", r.db_bytes},
                      {"maxrss_kib", r.maxrss_kib},
                      {"phase_peak_kib", r.phase_peak_kib},
                      {"target_entries_per_s", 50000},
                      {"met", rate >= 50000}};
    out["load_average"]["after_reindex"] = LoadAverage();
    std::fprintf(
        stderr,
        "reindex: %llu entries in %.1f s (CPU %.1f s, applying thread %.1f s = %.0f entries per "
        "CPU-second) = %.0f entries/s (target 50,000): "
        "waiting for the log %.2f s, Apply %.1f s, close %.1f s; log open %.2f s; catalogue %.1f "
        "MiB; peak RSS in reindex %.0f MiB\n",
        static_cast<unsigned long long>(r.entries), r.seconds, r.cpu_s, r.writer_cpu_s,
        r.entries / r.writer_cpu_s, rate, r.read_wait_s, r.apply_s, r.close_s, r.log_open_s,
        r.db_bytes / 1048576.0, r.phase_peak_kib / 1024.0);
  }
  if (o.only_reindex) {
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }

  RawResult raw = BuildRaw(o, dir);
  out["raw_fts5"] = {{"reused", raw.reused},
                     {"seconds", raw.seconds},
                     {"rows", raw.rows},
                     {"rows_per_s", raw.seconds > 0 ? raw.rows / raw.seconds : 0},
                     {"db_bytes", raw.db_bytes}};
  if (!raw.reused) {
    std::fprintf(stderr, "raw FTS5: %llu rows in %.1f s; %.1f MiB\n",
                 static_cast<unsigned long long>(raw.rows), raw.seconds, raw.db_bytes / 1048576.0);
  }

  SearchResults s = RunSearches(db, dir + "/raw.db", o.reps, o.category);
  std::vector<std::string> categories;
  for (const Query& q : s.queries) {
    if (std::find(categories.begin(), categories.end(), q.category) == categories.end()) {
      categories.push_back(q.category);
    }
  }
  Json cats = Json::object();
  std::vector<double> all_isnad, all_raw, all_isnad_cpu, all_raw_cpu;
  std::fprintf(stderr,
               "\n%-13s %7s %7s %7s %7s %7s | %7s %7s %7s | %9s %9s   (ms; wall unless cpu; "
               "hits: median per query)\n",
               "category", "p50", "p90", "p99", "max", "cpu p50", "raw p50", "raw p99", "raw cpu",
               "isnad hit", "raw hits");
  auto print_row = [](const std::string& name, const Stats& si, const Stats& sic, const Stats& sr,
                      const Stats& src, double ih, double rh) {
    std::fprintf(stderr, "%-13s %7.1f %7.1f %7.1f %7.1f %7.1f | %7.2f %7.2f %7.2f | %9.0f %9.0f\n",
                 name.c_str(), si.p50, si.p90, si.p99, si.max, sic.p50, sr.p50, sr.p99, src.p50, ih,
                 rh);
  };
  for (const std::string& c : categories) {
    std::vector<double> isnad_ms, raw_ms, isnad_cpu, raw_cpu, isnad_hits, raw_hits;
    for (size_t i = 0; i < s.queries.size(); ++i) {
      if (s.queries[i].category != c) continue;
      const QueryOutcome& o2 = s.outcomes[i];
      isnad_ms.insert(isnad_ms.end(), o2.isnad_ms.begin(), o2.isnad_ms.end());
      raw_ms.insert(raw_ms.end(), o2.raw_ms.begin(), o2.raw_ms.end());
      isnad_cpu.insert(isnad_cpu.end(), o2.isnad_cpu_ms.begin(), o2.isnad_cpu_ms.end());
      raw_cpu.insert(raw_cpu.end(), o2.raw_cpu_ms.begin(), o2.raw_cpu_ms.end());
      isnad_hits.push_back(static_cast<double>(o2.isnad_total));
      raw_hits.push_back(static_cast<double>(o2.raw_total));
    }
    all_isnad.insert(all_isnad.end(), isnad_ms.begin(), isnad_ms.end());
    all_raw.insert(all_raw.end(), raw_ms.begin(), raw_ms.end());
    all_isnad_cpu.insert(all_isnad_cpu.end(), isnad_cpu.begin(), isnad_cpu.end());
    all_raw_cpu.insert(all_raw_cpu.end(), raw_cpu.begin(), raw_cpu.end());
    Stats si = Summarize(isnad_ms), sr = Summarize(raw_ms), sic = Summarize(isnad_cpu),
          src = Summarize(raw_cpu);
    cats[c] = {{"queries", isnad_hits.size()},       {"isnad", StatsJson(si)},
               {"isnad_cpu", StatsJson(sic)},        {"raw_fts5", StatsJson(sr)},
               {"raw_fts5_cpu", StatsJson(src)},     {"isnad_hits_median", Median(isnad_hits)},
               {"raw_hits_median", Median(raw_hits)}};
    print_row(c, si, sic, sr, src, Median(isnad_hits), Median(raw_hits));
  }
  Stats ai = Summarize(all_isnad), ar = Summarize(all_raw), aic = Summarize(all_isnad_cpu),
        arc = Summarize(all_raw_cpu);
  print_row("ALL", ai, aic, ar, arc, 0, 0);
  Json per_query = Json::array();
  size_t errors = 0;
  for (size_t i = 0; i < s.queries.size(); ++i) {
    const Query& q = s.queries[i];
    const QueryOutcome& oq = s.outcomes[i];
    Json j = {{"category", q.category},
              {"query", q.req.query},
              {"raw", q.raw},
              {"isnad_hits", oq.isnad_total},
              {"raw_hits", oq.raw_total},
              {"isnad_median_ms", std::round(Median(oq.isnad_ms) * 1000) / 1000},
              {"isnad_cpu_median_ms", std::round(Median(oq.isnad_cpu_ms) * 1000) / 1000},
              {"raw_median_ms", std::round(Median(oq.raw_ms) * 1000) / 1000}};
    if (!q.req.tags.empty()) j["tags"] = q.req.tags;
    if (!q.req.event_from.empty()) j["event"] = q.req.event_from + ".." + q.req.event_to;
    if (q.req.facets) j["facets"] = true;
    if (!oq.error.empty()) {
      j["error"] = oq.error;
      ++errors;
      std::fprintf(stderr, "query %s failed: %s\n", q.req.query.c_str(), oq.error.c_str());
    }
    per_query.push_back(std::move(j));
  }
  out["search"] = {{"reps", o.reps},
                   {"queries", s.queries.size()},
                   {"errors", errors},
                   {"open_ms", s.open_ms},
                   {"overall",
                    {{"isnad", StatsJson(ai)},
                     {"isnad_cpu", StatsJson(aic)},
                     {"raw_fts5", StatsJson(ar)},
                     {"raw_fts5_cpu", StatsJson(arc)}}},
                   {"target", {{"p50_ms", 20}, {"p99_ms", 100}}},
                   {"met", ai.p50 <= 20 && ai.p99 <= 100},
                   {"categories", cats},
                   {"per_query", per_query},
                   {"maxrss_kib", s.maxrss_kib},
                   {"phase_peak_kib", s.phase_peak_kib}};
  out["load_average"]["end"] = LoadAverage();
  const uint64_t peak = ProcessPeakKib();
  out["memory"] = {{"maxrss_kib", peak},
                   {"target_kib", 2 * 1024 * 1024},
                   {"met", peak < 2ULL * 1024 * 1024},
                   {"catalog_bytes", FileBytes(db)}};
  std::fprintf(
      stderr,
      "memory: peak RSS of the process %.0f MiB (reindex phase %.0f MiB, search phase "
      "%.0f MiB); catalogue file %.1f MiB, raw FTS5 file %.1f MiB\n",
      peak / 1024.0,
      out.contains("reindex") ? out["reindex"]["phase_peak_kib"].get<double>() / 1024.0 : 0.0,
      s.phase_peak_kib / 1024.0, FileBytes(db) / 1048576.0, FileBytes(dir + "/raw.db") / 1048576.0);
  std::printf("%s\n", out.dump(2).c_str());
  return errors == 0 ? 0 : 1;
}

}  // namespace
}  // namespace isnad::bench

int main(int argc, char** argv) { return isnad::bench::Main(argc, argv); }
