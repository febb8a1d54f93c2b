#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <future>
#include <memory>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "core/async_feed.h"
#include "core/canonical_json.h"
#include "core/digest.h"
#include "core/encoding.h"
#include "core/env.h"
#include "core/spelling.h"
#include "core/testing/fault_env.h"
#include "core/testing/temp_dir.h"
#include "core/time.h"
#include "core/utf8.h"
#include "core/worker.h"

namespace isnad::core {
namespace {

TEST(Digest, KnownVectors) {
  EXPECT_EQ(Sha256Of("").Hex(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  Sha256 s;
  s.Update("a");
  s.Update("bc");
  EXPECT_EQ(s.Finish().Hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Sha512 s512;
  s512.Update("abc");
  auto d = s512.Finish();
  EXPECT_EQ(HexEncode({reinterpret_cast<const char*>(d.data()), 8}), "ddaf35a193617aba");
}

TEST(Digest, FromHexRejectsBadInput) {
  EXPECT_FALSE(Hash::FromHex("abc").ok());
  EXPECT_FALSE(Hash::FromHex(std::string(64, 'g')).ok());
  auto h = Hash::FromHex(std::string(64, 'A'));
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->Hex(), std::string(64, 'a'));
}

TEST(Encoding, Base64OfInputsLargerThanOnePieceRoundTrips) {
  // OpenSSL is fed in pieces of 48 MiB (its length is an int); across a piece boundary
  // the text must be the one unbroken encoding.
  std::string raw((size_t{3} << 24) + 2, '\0');
  for (size_t i = 0; i < raw.size(); ++i) raw[i] = static_cast<char>(i * 131 % 251);
  std::string b64 = Base64Encode(raw);
  ASSERT_EQ(b64.size(), 4 * ((raw.size() + 2) / 3));
  EXPECT_EQ(b64.substr(b64.size() - 4), Base64Encode(raw.substr(raw.size() - 2)));
  EXPECT_EQ(b64.find('='), b64.size() - 1) << "padding only at the very end";
  auto back = Base64Decode(b64);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(*back == raw);
}

TEST(Encoding, Base64IsStrict) {
  EXPECT_EQ(Base64Encode("hello"), "aGVsbG8=");
  EXPECT_EQ(*Base64Decode("aGVsbG8="), "hello");
  EXPECT_EQ(*Base64Decode(""), "");
  EXPECT_EQ(*Base64Decode("YQ=="), "a");
  EXPECT_FALSE(Base64Decode("aGVsbG8").ok());    // missing padding
  EXPECT_FALSE(Base64Decode("aGVsbG9=").ok());   // non-zero trailing bits
  EXPECT_FALSE(Base64Decode("aGV sbG8=").ok());  // whitespace
  EXPECT_FALSE(Base64Decode("a=Vs").ok());       // padding in the middle
}

TEST(Encoding, Hex) {
  EXPECT_EQ(HexEncode("\x01\xab"), "01ab");
  EXPECT_EQ(*HexDecode("01AB"), "\x01\xab");
  EXPECT_FALSE(HexDecode("0").ok());
  EXPECT_FALSE(HexDecode("zz").ok());
}

// RFC 8785 §3.2.2 and §3.2.3 examples (the number example excluded: floats are refused).
TEST(CanonicalJson, Rfc8785Examples) {
  Json v = Json::parse(
      R"({"numbers": [333333333, 4, 2e3, 1], "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/", "literals": [null, true, false]})");
  v["numbers"] = Json::array({333333333, 4, 2000, 1});
  EXPECT_EQ(*CanonicalJson(v),
            "{\"literals\":[null,true,false],\"numbers\":[333333333,4,2000,1],"
            "\"string\":\"\xe2\x82\xac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}");
  // Sorting by UTF-16 code units: U+1F600 (surrogates D83D..) sorts before U+FB33.
  Json order = Json::parse(
      R"({"\u20ac":"Euro Sign","\r":"Carriage Return","\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One","\ud83d\ude00":"Emoji: Grinning Face","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis"})");
  EXPECT_EQ(
      *CanonicalJson(order),
      "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\xc2\x80\":\"Control\",\"\xc3\xb6\":\"Latin "
      "Small Letter O With Diaeresis\",\"\xe2\x82\xac\":\"Euro "
      "Sign\",\"\xf0\x9f\x98\x80\":\"Emoji: "
      "Grinning Face\",\"\xef\xac\xb3\":\"Hebrew Letter Dalet With Dagesh\"}");
}

TEST(CanonicalJson, RefusesWhatCouldChangeAHash) {
  EXPECT_FALSE(CanonicalJson(Json(1.5)).ok());
  EXPECT_FALSE(CanonicalJson(Json(uint64_t{1} << 60)).ok());
  EXPECT_FALSE(CanonicalJson(Json(std::string("\xff"))).ok());
  EXPECT_TRUE(ParseCanonicalJson(R"({"a":1,"b":"x"})").ok());
  EXPECT_EQ(ParseCanonicalJson(R"({"b":1,"a":2})").status().code(), Code::kIntegrity);
  EXPECT_EQ(ParseCanonicalJson(R"({"a": 1})").status().code(), Code::kIntegrity);
}

// A log entry (up to 64 KiB) of nested brackets is hostile input to a verifier:
// it must be refused quickly with a clear error, not recursed into until the
// stack or memory runs out.
TEST(CanonicalJson, DeepNestingIsRefusedNotRecursedInto) {
  const size_t depth = 32767;  // the deepest array a 65,535-byte entry can hold
  std::string deep = std::string(depth, '[') + std::string(depth, ']');
  auto parsed = ParseCanonicalJson(deep);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), Code::kIntegrity);
  EXPECT_NE(parsed.status().message().find("nested"), std::string::npos)
      << parsed.status().message();
  // Objects too, and CanonicalJson of such a value built in memory.
  std::string objs;
  for (size_t i = 0; i < 5000; ++i) objs += "{\"a\":";
  objs += "1" + std::string(5000, '}');
  EXPECT_EQ(ParseCanonicalJson(objs).status().code(), Code::kIntegrity);
  Json v = Json::parse(deep);
  EXPECT_EQ(CanonicalJson(v).status().code(), Code::kInvalidArgument);
  // Ordinary nesting still works.
  std::string fine = std::string(64, '[') + std::string(64, ']');
  EXPECT_TRUE(ParseCanonicalJson(fine).ok());
}

TEST(Utf8, ValidityAndLossyDisplay) {
  EXPECT_TRUE(IsValidUtf8("زملكا Zamalka"));
  EXPECT_FALSE(IsValidUtf8("caf\xe9"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));      // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));  // surrogate
  EXPECT_EQ(LossyUtf8("caf\xe9!"), "caf\xef\xbf\xbd!");
  EXPECT_EQ(LossyUtf8("\xff\xfe"), "\xef\xbf\xbd\xef\xbf\xbd");
  EXPECT_EQ(LossyUtf8("زملكا"), "زملكا");
}

// An error message or text cut to a size limit stays valid UTF-8, so that it can go into an
// entry: a cut inside a character drops the whole character.
TEST(Utf8, PrintableEscapesTerminalControlsAndBidiOverrides) {
  EXPECT_EQ(Printable("a\x1b[2J\u202Eb\n\x7f"), "a\\x1b[2J\\u202eb\\x0a\\x7f");
  EXPECT_EQ(Printable("\u009b31m \u2066x\u2069"), "\\u009b31m \\u2066x\\u2069");
  // What is left alone: text, Arabic, the marks that are not overrides (U+200F).
  EXPECT_EQ(Printable("شاهد 1.jpg \u200F"), "شاهد 1.jpg \u200F");
  // Escaping twice changes nothing: the output holds no control.
  const std::string once = Printable("x\x1b\u202E");
  EXPECT_EQ(Printable(once), once);
}

TEST(Utf8, TruncateNeverSplitsACharacter) {
  const std::string word = "زملكا";  // 5 letters of 2 bytes
  for (size_t max = 0; max <= word.size() + 1; ++max) {
    std::string s = word;
    TruncateUtf8(s, max);
    EXPECT_TRUE(IsValidUtf8(s)) << max;
    EXPECT_EQ(s.size(), std::min(word.size(), max - max % 2)) << max;
  }
  std::string emoji = "a\U0001F600";  // 1 + 4 bytes
  TruncateUtf8(emoji, 4);
  EXPECT_EQ(emoji, "a");
}

TEST(Time, FormatUtc) {
  EXPECT_EQ(FormatUtc(Clock::time_point(std::chrono::milliseconds(1377061200123))),
            "2013-08-21T05:00:00.123Z");
}

TEST(Env, WriteFileAtomicallyReplacesWholeFile) {
  testing::TempDir dir;
  Env* env = Env::Default();
  std::string p = dir.Join("a/b/c.txt");
  ASSERT_TRUE(CreateDirs(env, DirName(p)).ok());
  ASSERT_TRUE(WriteFileAtomically(env, p, "one").ok());
  ASSERT_TRUE(WriteFileAtomically(env, p, "two").ok());
  EXPECT_EQ(*env->ReadFile(p), "two");
  auto names = env->ListDir(DirName(p));
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(names->size(), 1u) << "no temp file may be left behind";
}

TEST(Env, ReadFileUpToRefusesWhatItCannotValidlyBe) {
  testing::TempDir dir;
  Env* env = Env::Default();
  std::string p = dir.Join("f");
  ASSERT_TRUE(WriteFileAtomically(env, p, "12345").ok());
  EXPECT_EQ(*ReadFileUpTo(env, p, 5), "12345");
  EXPECT_EQ(ReadFileUpTo(env, p, 4).status().code(), Code::kResourceExhausted);
  EXPECT_EQ(ReadFileUpTo(env, dir.Join("none"), 5).status().code(), Code::kNotFound);
  EXPECT_EQ(ReadFileUpTo(env, dir.path(), 5).status().code(), Code::kFailedPrecondition);
  // Endless: a symlink to a device is followed, found out and refused unread.
  std::string link = dir.Join("zero");
  ASSERT_EQ(::symlink("/dev/zero", link.c_str()), 0);
  EXPECT_EQ(ReadFileUpTo(env, link, 1 << 20).status().code(), Code::kFailedPrecondition);
  std::string fifo = dir.Join("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  EXPECT_EQ(ReadFileUpTo(env, fifo, 5).status().code(), Code::kFailedPrecondition);
  // A symlink to a FIFO: opening it would wait for a writer forever.
  std::string fifo_link = dir.Join("fifo-link");
  ASSERT_EQ(::symlink(fifo.c_str(), fifo_link.c_str()), 0);
  EXPECT_EQ(ReadFileUpTo(env, fifo_link, 5).status().code(), Code::kFailedPrecondition);
}

TEST(Env, SequentialFilesAreRegularFilesAndOpeningNeverWaits) {
  testing::TempDir dir;
  Env* env = Env::Default();
  // A FIFO with no writer: a blocking open would wait forever (the name may have
  // been swapped for one after the caller's stat).
  std::string fifo = dir.Join("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  EXPECT_EQ(env->NewSequentialFile(fifo).status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(env->NewSequentialFile("/dev/zero").status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(env->NewSequentialFile(dir.path()).status().code(), Code::kFailedPrecondition);
  // A regular file reads normally: O_NONBLOCK is cleared once it is known to be one.
  std::string p = dir.Join("f");
  ASSERT_TRUE(WriteFileAtomically(env, p, "evidence").ok());
  auto file = env->NewSequentialFile(p);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  char buf[16];
  auto n = (*file)->Read(buf, sizeof buf);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(buf, *n), "evidence");
}

TEST(Env, WriteFileAtomicallyNeverWritesThroughAPlantedTempName) {
  testing::TempDir dir;
  Env* env = Env::Default();
  const std::string victim = dir.Join("victim");
  ASSERT_TRUE(WriteFileAtomically(env, victim, "untouched").ok());
  // Links at the temp names this process will try next (its counter is small in a test).
  const std::string path = dir.Join("checkpoint");
  std::vector<std::string> planted;
  for (int n = 0; n < 64; ++n) {
    planted.push_back(path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(n));
    ASSERT_EQ(::symlink(victim.c_str(), planted.back().c_str()), 0);
  }
  ASSERT_TRUE(WriteFileAtomically(env, path, "new").ok());
  EXPECT_EQ(*env->ReadFile(path), "new");
  EXPECT_EQ(*env->ReadFile(victim), "untouched");
  for (const std::string& p : planted) {
    struct stat st;
    EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
  }
}

TEST(Env, SecondLockIsRefusedWithAClearMessage) {
  testing::TempDir dir;
  Env* env = Env::Default();
  auto first = env->LockFile(dir.Join("lock"));
  ASSERT_TRUE(first.ok());
  auto second = env->LockFile(dir.Join("lock"));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Code::kLocked);
  EXPECT_NE(second.status().message().find("lock"), std::string::npos);
  first->reset();
  EXPECT_TRUE(env->LockFile(dir.Join("lock")).ok());
}

TEST(Env, AFolderLockSurvivesDeletingItsPidFile) {
  testing::TempDir dir;
  Env* env = Env::Default();
  auto first = env->LockFile(dir.path());
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(env->RemoveFile(dir.Join("lock")).code(), Code::kOk);
  auto second = env->LockFile(dir.path());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Code::kLocked);
  first->reset();
  EXPECT_TRUE(env->LockFile(dir.path()).ok());
}

// An archive received from elsewhere may hold a `lock` that is a symbolic
// link to one of the user's files: taking the lock must not overwrite it.
TEST(Env, AFolderLockNeverWritesThroughASymlinkedPidFile) {
  testing::TempDir dir;
  Env* env = Env::Default();
  std::string archive = dir.Join("archive");
  ASSERT_TRUE(CreateDirs(env, archive).ok());
  std::string victim = dir.Join("victim.txt");
  ASSERT_TRUE(WriteFileAtomically(env, victim, "the user's own file\n").ok());
  ASSERT_EQ(::symlink(victim.c_str(), (archive + "/lock").c_str()), 0);
  auto lock = env->LockFile(archive);
  ASSERT_TRUE(lock.ok()) << lock.status().ToString();
  EXPECT_EQ(*env->ReadFile(victim), "the user's own file\n");
}

TEST(FaultEnv, FailsTheChosenOperationAndLeavesOldContent) {
  testing::TempDir dir;
  testing::FaultInjectionEnv env(Env::Default());
  std::string p = dir.Join("f");
  ASSERT_TRUE(WriteFileAtomically(&env, p, "old").ok());
  env.fail_rename_at = env.renames + 1;
  Status s = WriteFileAtomically(&env, p, "new");
  EXPECT_EQ(s.code(), Code::kIoError);
  EXPECT_EQ(*env.ReadFile(p), "old");
  env.disk_bytes_left = 2;
  s = WriteFileAtomically(&env, p, "newer");
  EXPECT_EQ(s.code(), Code::kResourceExhausted);
  EXPECT_EQ(*env.ReadFile(p), "old");
  EXPECT_EQ(env.ListDir(dir.path())->size(), 1u);
}

// A range of a file copied into a new one: in the kernel (the POSIX Env) and
// through memory (the base Env's version, which FaultInjectionEnv keeps), the
// same bytes; a range past the end, an existing target or a full disk leave
// no target behind.
TEST(Env, CopyFileRangeCopiesExactlyTheRangeOrNothing) {
  testing::TempDir dir;
  std::string data(3 << 20, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>((i * 131 + i / 977) & 0xff);
  const std::string from = dir.Join("from");
  ASSERT_TRUE(WriteFileAtomically(Env::Default(), from, data).ok());
  testing::FaultInjectionEnv fault(Env::Default());
  int n = 0;
  for (Env* env : {Env::Default(), static_cast<Env*>(&fault)}) {
    for (auto [offset, size] : {std::pair<uint64_t, uint64_t>{0, data.size()},
                                {12345, 2000000},
                                {data.size() - 1, 1},
                                {77, 0}}) {
      const std::string to = dir.Join("to" + std::to_string(n++));
      ASSERT_TRUE(env->CopyFileRange(from, offset, size, to, 0640).ok()) << offset << "+" << size;
      EXPECT_EQ(*env->ReadFile(to), data.substr(offset, size));
      EXPECT_EQ(env->Stat(to)->mode, 0640u);
    }
    const std::string past = dir.Join("past" + std::to_string(n));
    Status s = env->CopyFileRange(from, data.size() - 10, 11, past, 0644);
    EXPECT_EQ(s.code(), Code::kIntegrity) << s.ToString();
    EXPECT_FALSE(Exists(env, past));
    EXPECT_EQ(env->CopyFileRange(from, 0, 1, from, 0644).code(), Code::kAlreadyExists);
    EXPECT_EQ(env->CopyFileRange(dir.path(), 0, 1, dir.Join("d"), 0644).code(),
              Code::kFailedPrecondition);
  }
  fault.disk_bytes_left = 1000;
  EXPECT_EQ(fault.CopyFileRange(from, 0, 5000, dir.Join("full"), 0644).code(),
            Code::kResourceExhausted);
  EXPECT_FALSE(Exists(&fault, dir.Join("full")));
  EXPECT_EQ(*Env::Default()->ReadFile(from), data);  // the source never changes
}

// WriteAt overwrites bytes already appended, where it is told, and nothing else.
TEST(Env, WriteAtOverwritesInPlace) {
  testing::TempDir dir;
  const std::string p = dir.Join("f");
  auto f = Env::Default()->NewExclusiveFile(p, 0644);
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Append("header: ????\nbody\n").ok());
  ASSERT_TRUE((*f)->WriteAt(8, "done").ok());
  ASSERT_TRUE((*f)->Append("more\n").ok());  // appends still go to the end
  ASSERT_TRUE((*f)->Close().ok());
  EXPECT_EQ(*Env::Default()->ReadFile(p), "header: done\nbody\nmore\n");
}

// Bytes fed in pieces of every size reach the consumer whole and in order,
// across many buffer hand-overs; nothing fed, nothing consumed; Finish twice
// and destruction without Finish are safe.
TEST(AsyncFeed, HandsOnEveryByteInOrder) {
  std::string data(3 * AsyncFeed::kSlotBytes * AsyncFeed::kSlots + 12345, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 13 % 251);
  std::string got;
  Sha256 direct;
  direct.Update(data);
  Sha256 fed;
  {
    AsyncFeed feed([&](std::string_view b) {
      got += b;
      fed.Update(b);
    });
    size_t at = 0, step = 1;
    while (at < data.size()) {
      size_t n = std::min(step, data.size() - at);
      feed.Feed(std::string_view(data).substr(at, n));
      at += n;
      step = step * 3 % 4000037 + 1;  // 1 byte to ~4 MB, crossing slot edges
    }
    feed.Finish();
    EXPECT_EQ(got.size(), data.size());
    feed.Finish();  // a second call does nothing
  }
  EXPECT_TRUE(got == data);
  EXPECT_EQ(fed.Finish(), direct.Finish());

  int calls = 0;
  {
    AsyncFeed idle([&](std::string_view) { ++calls; });
  }
  EXPECT_EQ(calls, 0);
  std::string tail;
  {
    AsyncFeed unfinished([&](std::string_view b) { tail += b; });
    unfinished.Feed("left for the destructor");
  }
  EXPECT_EQ(tail, "left for the destructor");
}

// Tasks run one at a time, in the order given, all on one thread that is not
// the caller's; what a task captured is freed on that thread; the destructor
// runs what is still queued before it returns.
TEST(Worker, RunsTasksInOrderOnOneThreadAndDrainsOnDestruction) {
  std::vector<int> order;
  std::set<std::thread::id> threads;
  std::thread::id freed_on;
  struct NoteWhereFreed {
    explicit NoteWhereFreed(std::thread::id* w) : where(w) {}
    ~NoteWhereFreed() { *where = std::this_thread::get_id(); }
    std::thread::id* where;
  };
  std::vector<std::future<int>> results;
  {
    Worker w;
    for (int k = 0; k < 200; ++k) {
      results.push_back(w.Run([k, &order, &threads] {
        order.push_back(k);  // no lock: the tasks never overlap
        threads.insert(std::this_thread::get_id());
        return k * k;
      }));
    }
    EXPECT_EQ(results[199].get(), 199 * 199);
    auto holder = std::make_shared<NoteWhereFreed>(&freed_on);
    w.Run([holder = std::move(holder)] { return 0; }).wait();
    // A task that throws hands the exception to its future's reader.
    auto failing = w.Run([]() -> int { throw std::runtime_error("no"); });
    EXPECT_THROW(failing.get(), std::runtime_error);
    // Queued and never waited for: the destructor still runs them.
    for (int k = 200; k < 300; ++k) {
      w.Run([k, &order] {
        order.push_back(k);
        return 0;
      });
    }
  }
  ASSERT_EQ(order.size(), 300U);
  for (int k = 0; k < 300; ++k) EXPECT_EQ(order[static_cast<size_t>(k)], k);
  ASSERT_EQ(threads.size(), 1U);
  EXPECT_NE(*threads.begin(), std::this_thread::get_id());
  EXPECT_EQ(freed_on, *threads.begin());
  EXPECT_EQ(results[7].get(), 49);
}

TEST(Spelling, ClosestIsAtMostTwoLettersOffAndNeverTheWholeWord) {
  EXPECT_EQ(EditDistance("comands", "commands"), 1u);
  EXPECT_EQ(EditDistance("", "abc"), 3u);
  EXPECT_EQ(EditDistance("warant", "warrant"), 1u);
  const std::vector<std::string> names = {"commands", "member_of", "ls", "add"};
  EXPECT_EQ(Closest("comands", names), "commands");
  EXPECT_EQ(Closest("memberof", names), "member_of");
  EXPECT_EQ(Closest("oversaw", names), "");
  EXPECT_EQ(Closest("l", names), "ls");
  EXPECT_EQ(Closest("xy", names), "") << "two letters off a two-letter name is all of it";
  EXPECT_EQ(Closest("ad", names), "add");
}

}  // namespace
}  // namespace isnad::core
