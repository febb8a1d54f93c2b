// WARC interoperability with other tools: files written by isnad's writer are
// read by webrecorder's warcio.js (npm) with every digest checked, and files
// written by `wget --warc-file` are read by isnad's reader with every digest
// passing. Each test is skipped, by name, when its tool is not installed.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <thread>

#include "core/testing/temp_dir.h"
#include "subprocess.h"
#include "warc/reader.h"
#include "warc/writer.h"

namespace isnad::warc {
namespace {

using core::testing::ReadTestFile;
using core::testing::TempDir;
using core::testing::WriteTestFile;

// The full path of `program` on $PATH, or "" (RunProcess needs a path).
std::string Which(const std::string& program) {
  testing::RunResult r = testing::RunProcess({"/bin/sh", "-c", "command -v " + program});
  std::string path = r.out.substr(0, r.out.find('\n'));
  return r.exit_code == 0 && !path.empty() && path[0] == '/' ? path : "";
}

// Writes a WARC like a capture: warcinfo, request, response (in memory and
// streamed, one chunked), metadata and resource.
void WriteSample(const std::string& path, bool gzip) {
  auto file = core::Env::Default()->NewWritableFile(path);
  ASSERT_TRUE(file.ok());
  Writer w(file->get(), gzip);
  const std::string date = "2026-11-29T16:13:44.123456Z";
  ASSERT_TRUE(w.Write({"warcinfo", "", date, "application/warc-fields", {}},
                      "software: isnad\r\nformat: WARC File Format 1.1\r\n")
                  .ok());
  std::string req = "GET /a.png HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  auto req_id =
      w.Write({"request", "http://127.0.0.1/a.png", date, "application/http;msgtype=request", {}},
              req, req.size());
  ASSERT_TRUE(req_id.ok());
  std::string body(70000, '\0');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>((i * 31) % 256);
  std::string head = "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: 70000\r\n\r\n";
  ASSERT_TRUE(w.Write({"response",
                       "http://127.0.0.1/a.png",
                       date,
                       "application/http;msgtype=response",
                       {{"WARC-Concurrent-To", *req_id}, {"WARC-IP-Address", "127.0.0.1"}}},
                      head + body, head.size())
                  .ok());
  // Streamed, as `isnad capture` writes large bodies.
  std::string spool_path = path + ".body";
  WriteTestFile(spool_path, body);
  auto spool = core::Env::Default()->NewSequentialFile(spool_path);
  ASSERT_TRUE(spool.ok());
  ASSERT_TRUE(
      w.WriteStreamed(
           {"response", "http://127.0.0.1/b.png", date, "application/http;msgtype=response", {}},
           head, spool->get(), body.size(), core::Sha256Of(head + body), core::Sha256Of(body))
          .ok());
  ASSERT_TRUE(core::Env::Default()->RemoveFile(spool_path).ok());
  ASSERT_TRUE(w.Write({"metadata", "http://127.0.0.1/a.png", date, "application/warc-fields", {}},
                      "ip: 127.0.0.1\r\n")
                  .ok());
  ASSERT_TRUE(w.Write({"resource", "file:///notes.txt", date, "text/plain", {}}, "a note", 0).ok());
  ASSERT_TRUE((*file)->Close().ok());
}

TEST(WarcInterop, WarcioReadsIsnadWarcsWithEveryDigestPassing) {
  const std::string warcio = ISNAD_WARCIO_DIR;
  const std::string node = Which("node");
  if (node.empty() || !core::Exists(core::Env::Default(), warcio + "/dist/index.cjs"))
    GTEST_SKIP() << "warcio.js absent: install with `npm install warcio` into " << warcio
                 << "/../.. (scripts/deps.sh does, when npm is present)";
  TempDir tmp;
  for (bool gzip : {false, true}) {
    SCOPED_TRACE(gzip);
    std::string path = tmp.Join(gzip ? "s.warc.gz" : "s.warc");
    WriteSample(path, gzip);
    testing::RunResult r = testing::RunProcess(
        {node, std::string(ISNAD_WARC_SRC_DIR) + "/warcio_check.cjs", warcio, path});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    std::vector<core::Json> lines = testing::JsonLines(r.out);
    ASSERT_EQ(lines.size(), 6u) << r.out;
    int payload_pass = 0;
    for (const core::Json& j : lines) {
      EXPECT_EQ(j["block"], "pass") << j.dump();
      EXPECT_NE(j["payload"], "fail") << j.dump();
      payload_pass += j["payload"] == "pass";
    }
    EXPECT_EQ(payload_pass, 4);  // request, 2 responses, resource
    EXPECT_EQ(lines[2]["payload_bytes"], 70000);
    EXPECT_EQ(lines[3]["payload_bytes"], 70000);
  }
}

// A tiny HTTP server on 127.0.0.1 (python3 -m http.server on a free port).
class HttpServer {
 public:
  HttpServer(const std::string& python, const std::string& root) {
    std::string port_file = root + "/.port";
    std::string script =
        "import http.server,functools,sys\n"
        "h=functools.partial(http.server.SimpleHTTPRequestHandler,directory=sys.argv[1])\n"
        "s=http.server.ThreadingHTTPServer(('127.0.0.1',0),h)\n"
        "open(sys.argv[2]+'.tmp','w').write(str(s.server_address[1]))\n"
        "import os; os.rename(sys.argv[2]+'.tmp',sys.argv[2])\n"
        "s.serve_forever()\n";
    pid_ = testing::StartProcess({python, "-c", script, root, port_file}, root + "/.out",
                                 root + "/.err");
    for (int i = 0; i < 200 && port_.empty(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
      port_ = ReadTestFile(port_file);
    }
  }
  ~HttpServer() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      testing::WaitProcess(pid_);
    }
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + port_ + "/" + path;
  }
  bool ok() const { return !port_.empty(); }

 private:
  pid_t pid_ = -1;
  std::string port_;
};

TEST(WarcInterop, WgetWarcsReadWithEveryDigestPassing) {
  const std::string wget = Which("wget"), python = Which("python3");
  if (wget.empty() || python.empty())
    GTEST_SKIP() << "wget or python3 absent (Debian packages wget, python3)";
  TempDir site, work;
  std::string page = "<html><body>Zamalka, 21 August 2013</body></html>\n";
  std::string image(50000, '\0');
  for (size_t i = 0; i < image.size(); ++i) image[i] = static_cast<char>(i % 253);
  WriteTestFile(site.Join("index.html"), page);
  WriteTestFile(site.Join("photo.jpg"), image);
  HttpServer server(python, site.path());
  ASSERT_TRUE(server.ok()) << ReadTestFile(site.Join(".err"));
  testing::RunResult r = testing::RunProcess(
      {wget, "-nv", "--no-config", "--no-proxy", "-P", work.Join("dl"), "--tries=3", "--timeout=60",
       "--warc-file=" + work.Join("capture"), server.url("index.html"), server.url("photo.jpg")});
  ASSERT_EQ(r.exit_code, 0) << "wget: " << r.err << "\nserver: " << ReadTestFile(site.Join(".err"));
  auto f = core::Env::Default()->NewSequentialFile(work.Join("capture.warc.gz"));
  ASSERT_TRUE(f.ok());
  Reader reader(f->get());
  struct Sink : PayloadSink {
    bool Begin(const Record& r) override {
      current = r.type == "response" ? r.target_uri : "";
      return true;
    }
    core::Status Data(std::string_view b) override {
      if (!current.empty()) payloads[current] += b;
      return core::Status::Ok();
    }
    std::string current;
    std::map<std::string, std::string> payloads;
  } sink;
  int records = 0, passes = 0;
  std::vector<std::string> types;
  while (true) {
    Record rec;
    auto more = reader.Next(&rec, &sink);
    ASSERT_TRUE(more.ok()) << more.status().ToString();
    if (!*more) break;
    ++records;
    types.push_back(rec.type);
    EXPECT_TRUE(rec.ok()) << rec.type << " " << rec.target_uri << " "
                          << (rec.problems.empty() ? "" : rec.problems[0]);
    passes += rec.block_digest.result == DigestResult::kPass;
    passes += rec.payload_digest.result == DigestResult::kPass;
  }
  EXPECT_TRUE(reader.gzip());
  EXPECT_GE(records, 5);  // warcinfo, 2 x (request, response), metadata/resource of the log
  EXPECT_GE(passes, 8);
  EXPECT_EQ(sink.payloads[server.url("index.html")], page);
  EXPECT_EQ(sink.payloads[server.url("photo.jpg")], image);

  // And `isnad add` imports it cleanly: valid, the payloads items.
  std::map<std::string, std::string> env{{"ISNAD_ARCHIVE", work.Join("ar")}};
  const std::string isnad = testing::IsnadBinary();
  ASSERT_EQ(testing::RunProcess({isnad, "init"}, env).exit_code, 0);
  testing::RunResult add =
      testing::RunProcess({isnad, "--json", "add", work.Join("capture.warc.gz")}, env);
  EXPECT_EQ(add.exit_code, 0) << add.out << add.err;
  std::vector<core::Json> lines = testing::JsonLines(add.out);
  ASSERT_EQ(lines.size(), 2u) << add.out;
  EXPECT_EQ(lines[1]["result"], "valid") << add.out;
  // The two files served, and wget's own log (a resource record).
  EXPECT_GE(lines[1]["payloads"].size(), 2u) << add.out;
  EXPECT_EQ(lines[1]["digests_failed"], 0) << add.out;
}

}  // namespace
}  // namespace isnad::warc
