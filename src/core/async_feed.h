// A byte stream fed to a function on a thread of its own, in order: for a
// digest of many megabytes that should run beside other work (a second digest
// of the same bytes, receiving, writing) instead of after it.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace isnad::core {

// Feed() copies the bytes into one of a few fixed buffers and returns at once
// (it waits only while every buffer is queued); the thread hands the buffers
// to `consume` in the order fed. Memory is bounded (at most kSlots + 1
// buffers of kSlotBytes, 10 MiB) whatever the stream's length. One feeding
// thread; `consume` runs on the feed's own thread only, so it needs no locking
// of its own, and whatever it writes is the caller's to read once Finish()
// has returned.
class AsyncFeed {
 public:
  static constexpr size_t kSlotBytes = size_t{2} << 20;
  static constexpr size_t kSlots = 4;

  explicit AsyncFeed(std::function<void(std::string_view)> consume);
  // Finishes (see Finish) when that was not done.
  ~AsyncFeed();
  AsyncFeed(const AsyncFeed&) = delete;
  AsyncFeed& operator=(const AsyncFeed&) = delete;

  void Feed(std::string_view data);
  // Hands on what is left and waits until `consume` has had every byte. A
  // second call does nothing; Feed() is not called after it.
  void Finish();

 private:
  void Hand();
  void Run();

  std::function<void(std::string_view)> consume_;
  std::string filling_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> full_;
  std::vector<std::string> free_;
  bool done_ = false;
  std::thread thread_;  // last: started once the rest is built
};

}  // namespace isnad::core
