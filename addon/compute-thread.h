// One long-lived thread that runs a context's decode steps.
//
// ggml's CPU backend (built with OpenMP here) keeps a worker team per calling thread. Running each decode on
// whichever libuv pool thread is free spins up competing teams and costs ~20% of decode speed; pinning every
// step of a context to one thread keeps a single warm team, as llama.cpp's own tools do.
#pragma once

#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

namespace gpt_oss {

class ComputeThread {
 public:
  ComputeThread() : thread_([this] { Loop(); }) {}
  ~ComputeThread() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  ComputeThread(const ComputeThread&) = delete;
  ComputeThread& operator=(const ComputeThread&) = delete;

  // Runs `job` on the compute thread and waits for it; an exception thrown by the job is rethrown here.
  // Invariant: one caller at a time (the context allows one decode in flight).
  void Run(const std::function<void()>& job) {
    std::unique_lock<std::mutex> lock(mutex_);
    job_ = &job;
    error_ = nullptr;
    wake_.notify_all();
    done_.wait(lock, [this] { return job_ == nullptr; });
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void Loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (true) {
      wake_.wait(lock, [this] { return stopping_ || job_ != nullptr; });
      if (job_ == nullptr) return;  // stopping with nothing queued
      const std::function<void()>* job = job_;
      lock.unlock();
      std::exception_ptr error;
      try {
        (*job)();
      } catch (...) {
        error = std::current_exception();
      }
      lock.lock();
      error_ = error;
      job_ = nullptr;
      done_.notify_all();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const std::function<void()>* job_ = nullptr;
  std::exception_ptr error_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts after the state above is initialized
};

}  // namespace gpt_oss
