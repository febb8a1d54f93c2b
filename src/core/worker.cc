#include "core/worker.h"

namespace isnad::core {

Worker::Worker() : thread_([this] { Loop(); }) {}

Worker::~Worker() {
  {
    std::lock_guard<std::mutex> g(mu_);
    done_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Worker::Post(std::function<void()> job) {
  {
    std::lock_guard<std::mutex> g(mu_);
    jobs_.push_back(std::move(job));
  }
  cv_.notify_all();
}

void Worker::Loop() {
  std::unique_lock<std::mutex> g(mu_);
  while (true) {
    cv_.wait(g, [this] { return done_ || !jobs_.empty(); });
    if (jobs_.empty()) return;  // done, and nothing left queued
    std::function<void()> job = std::move(jobs_.front());
    jobs_.pop_front();
    g.unlock();
    job();
    job = nullptr;  // the job's hold on its state, also let go on this thread
    g.lock();
  }
}

}  // namespace isnad::core
