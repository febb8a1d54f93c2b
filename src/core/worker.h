// One long-lived thread that runs the tasks handed to it, in order: for work
// done a block ahead of the caller (parsing the next entries, tokenizing the
// next documents, reading the next chunk of the log) without starting and
// ending a thread per block.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>

namespace isnad::core {

// Run() queues a task and returns its future at once. Unlike std::async's,
// that future does not wait when it is destroyed: the Worker does, since its
// destructor runs every queued task and joins the thread. So declare the
// Worker after whatever its tasks use, and an early return destroys it (and
// waits) first. Each std::async of a block started a thread and ended it; a
// reindex of a million items started about 2,600 of them, and each one's end
// handed its stack back to the kernel (madvise, a TLB flush on both cores).
class Worker {
 public:
  Worker();
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // What the task captured is destroyed on the Worker's thread, before its
  // future becomes ready (a std::packaged_task would keep it in the shared
  // state, freed by whichever of the two lets go last).
  template <typename F>
  std::future<std::invoke_result_t<F&>> Run(F f) {
    using R = std::invoke_result_t<F&>;
    struct State {
      std::promise<R> promise;
      std::optional<F> fn;
    };
    auto state = std::make_shared<State>();
    state->fn.emplace(std::move(f));
    std::future<R> out = state->promise.get_future();
    Post([state] {
      try {
        if constexpr (std::is_void_v<R>) {
          (*state->fn)();
          state->fn.reset();
          state->promise.set_value();
        } else {
          R r = (*state->fn)();
          state->fn.reset();
          state->promise.set_value(std::move(r));
        }
      } catch (...) {
        state->fn.reset();
        state->promise.set_exception(std::current_exception());
      }
    });
    return out;
  }

 private:
  void Post(std::function<void()> job);
  void Loop();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool done_ = false;
  std::thread thread_;  // last: started once the rest is built
};

}  // namespace isnad::core
