#include "core/async_feed.h"

#include <algorithm>
#include <utility>

namespace isnad::core {

AsyncFeed::AsyncFeed(std::function<void(std::string_view)> consume)
    : consume_(std::move(consume)), thread_([this] { Run(); }) {
  filling_.reserve(kSlotBytes);
}

AsyncFeed::~AsyncFeed() {
  if (thread_.joinable()) Finish();
}

void AsyncFeed::Feed(std::string_view data) {
  while (!data.empty()) {
    size_t n = std::min(data.size(), kSlotBytes - filling_.size());
    filling_.append(data.substr(0, n));
    data.remove_prefix(n);
    if (filling_.size() == kSlotBytes) Hand();
  }
}

void AsyncFeed::Finish() {
  if (!thread_.joinable()) return;
  if (!filling_.empty()) Hand();
  {
    std::lock_guard<std::mutex> g(mu_);
    done_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

// Queues the filled buffer; takes a free one (waits while all are queued).
void AsyncFeed::Hand() {
  std::unique_lock<std::mutex> g(mu_);
  cv_.wait(g, [this] { return full_.size() < kSlots - 1; });
  full_.push_back(std::move(filling_));
  if (!free_.empty()) {
    filling_ = std::move(free_.back());
    free_.pop_back();
  } else {
    filling_ = std::string();
    filling_.reserve(kSlotBytes);
  }
  filling_.clear();
  g.unlock();
  cv_.notify_all();
}

void AsyncFeed::Run() {
  std::unique_lock<std::mutex> g(mu_);
  while (true) {
    cv_.wait(g, [this] { return done_ || !full_.empty(); });
    if (full_.empty()) return;
    std::string buf = std::move(full_.front());
    full_.pop_front();
    g.unlock();
    consume_(buf);
    g.lock();
    free_.push_back(std::move(buf));
    cv_.notify_all();
  }
}

}  // namespace isnad::core
