// Shared helpers of the addon: coded errors, the promise worker base, and llama.cpp log capture.
#pragma once

#include <napi.h>

#include <string>
#include <vector>

#include "ggml-backend.h"

namespace gpt_oss {

// Creates a JS Error whose `code` is one of src/errors.ts ERROR_CODES.
Napi::Error CodedError(Napi::Env env, const char* code, const std::string& message);

// Throws a coded error as a C++ exception (NAPI_CPP_EXCEPTIONS), turned into a JS throw by node-addon-api.
[[noreturn]] void ThrowCoded(Napi::Env env, const char* code, const std::string& message);

// The last error-level message llama.cpp/ggml logged on the calling thread (cleared by take).
std::string TakeLastLlamaError();

// Log threshold: 0=debug 1=info 2=warn 3=error 4=none (messages below it are dropped).
void SetLogThreshold(int level);
void InstallLogCallback();

// Base of every asynchronous operation: runs Run() off the JS thread and settles a Promise.
// Run() reports failure through Fail(code, message); OnOK() must resolve deferred_. No C++ exception
// escapes into the thread pool (that would terminate the process): Execute() turns it into a rejection.
// Nor out of the completion: when the env can no longer run JS (its worker thread is being terminated),
// settling fails and the worker is simply destroyed, so a subclass must hand a native result over only
// once the JS object that owns it exists, and free anything it still holds in its destructor.
class PromiseWorker : public Napi::AsyncWorker {
 public:
  explicit PromiseWorker(Napi::Env env, const char* resourceName, const char* failureCode)
      : Napi::AsyncWorker(env, resourceName), deferred_(Napi::Promise::Deferred::New(env)), code_(failureCode) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
  void OnWorkComplete(Napi::Env env, napi_status status) final;

 protected:
  virtual void Run() = 0;
  void Execute() final;
  void Fail(const char* code, const std::string& message) {
    code_ = code;
    SetError(message);
  }
  void OnError(const Napi::Error& error) override;
  Napi::Promise::Deferred deferred_;

 private:
  std::string code_;
};

// Argument readers that throw ERR_INVALID_ARGUMENT naming the option. The TS layer validates first and owns
// every default; these only keep a wrong call from crashing the process. Require* are for the options the typed
// surface (src/native/types.ts) marks required; Get* (with a fallback) only for its optional ones, where the
// fallback means "absent" (no grammar, no logprobs), never a tuning default. Ints must be finite in [min, max].
int64_t RequireInt(const Napi::Object& obj, const char* key, int64_t min, int64_t max);
double RequireNumber(const Napi::Object& obj, const char* key);
bool RequireBool(const Napi::Object& obj, const char* key);
std::string RequireString(const Napi::Object& obj, const char* key);
int64_t GetInt(const Napi::Object& obj, const char* key, int64_t fallback, int64_t min, int64_t max);
double GetNumber(const Napi::Object& obj, const char* key, double fallback);
bool GetBool(const Napi::Object& obj, const char* key, bool fallback);
std::string GetString(const Napi::Object& obj, const char* key, const std::string& fallback);

// The ggml devices of a JS array of device names, in order; ERR_BACKEND_UNAVAILABLE naming one that does not exist.
std::vector<ggml_backend_dev_t> DevicesNamed(Napi::Env env, const Napi::Array& names);

}  // namespace gpt_oss
