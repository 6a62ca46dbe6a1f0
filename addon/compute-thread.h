// One long-lived thread that runs a context's decode steps.
//
// ggml's CPU backend (built with OpenMP here) keeps a worker team per calling thread. Running each decode on
// whichever libuv pool thread is free spins up competing teams and costs ~20% of decode speed; pinning every
// step of a context to one thread keeps a single warm team, as llama.cpp's own tools do. Jobs are posted
// straight from the JS thread (no libuv pool thread in between: one thread wake-up fewer each way per step).
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>

namespace gpt_oss {

class ComputeThread {
 public:
  ComputeThread() : thread_([this] { Loop(); }) {}
  // Runs a job still queued or running to its end, then joins.
  ~ComputeThread() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }
  ComputeThread(const ComputeThread&) = delete;
  ComputeThread& operator=(const ComputeThread&) = delete;

  // Queues `job` and returns at once. The job must not throw and reports its own outcome.
  // Invariant: one job at a time (the context allows one decode in flight).
  void Post(std::function<void()> job) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job_ = std::move(job);
    }
    wake_.notify_one();
  }

 private:
  void Loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (true) {
      wake_.wait(lock, [this] { return stopping_ || job_ != nullptr; });
      if (job_ == nullptr) return;  // stopping with nothing queued
      std::function<void()> job = std::move(job_);
      job_ = nullptr;
      lock.unlock();
      job();
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::function<void()> job_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts after the state above is initialized
};

}  // namespace gpt_oss
