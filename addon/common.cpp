#include "common.h"

#include <cmath>
#include <cstdio>
#include <atomic>

#include "addon.h"
#include "llama.h"

namespace gpt_oss {

namespace {
std::atomic<int> g_log_threshold{3};
thread_local std::string t_last_error;
thread_local std::string t_pending_line;  // ggml logs a line in pieces; GGML_LOG_LEVEL_CONT continues it

void LogCallback(ggml_log_level level, const char* text, void* /*user*/) {
  static thread_local ggml_log_level last_level = GGML_LOG_LEVEL_INFO;
  if (level == GGML_LOG_LEVEL_CONT) {
    level = last_level;
  } else {
    last_level = level;
  }
  int severity = 1;
  switch (level) {
    case GGML_LOG_LEVEL_DEBUG: severity = 0; break;
    case GGML_LOG_LEVEL_INFO: severity = 1; break;
    case GGML_LOG_LEVEL_WARN: severity = 2; break;
    case GGML_LOG_LEVEL_ERROR: severity = 3; break;
    default: severity = 1; break;
  }
  if (severity >= 3) {
    std::string message(text);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
    if (!message.empty()) t_last_error = message;
  }
  if (severity >= g_log_threshold.load(std::memory_order_relaxed)) {
    fputs(text, stderr);
  }
}
}  // namespace

Napi::Error CodedError(Napi::Env env, const char* code, const std::string& message) {
  AddonData* data = GetAddonData(env);
  if (data != nullptr && !data->errorClass.IsEmpty()) {
    Napi::Object error = data->errorClass.New({Napi::String::New(env, code), Napi::String::New(env, message)});
    return Napi::Error(env, error);
  }
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  return error;
}

void ThrowCoded(Napi::Env env, const char* code, const std::string& message) {
  throw CodedError(env, code, message);
}

std::string TakeLastLlamaError() {
  std::string message;
  message.swap(t_last_error);
  return message;
}

void SetLogThreshold(int level) { g_log_threshold.store(level, std::memory_order_relaxed); }

void InstallLogCallback() { llama_log_set(LogCallback, nullptr); }

void PromiseWorker::Execute() {
  try {
    Run();
  } catch (const std::exception& error) {
    Fail(code_.c_str(), error.what());
  } catch (...) {
    Fail(code_.c_str(), "unknown native exception");
  }
}

void PromiseWorker::OnWorkComplete(Napi::Env env, napi_status status) {
  try {
    Napi::AsyncWorker::OnWorkComplete(env, status);  // OnOK or OnError, then deletes this worker
  } catch (const Napi::Error&) {
    Destroy();  // the env can no longer run JS: nobody is left to observe the promise
  }
}

void PromiseWorker::OnError(const Napi::Error& error) {
  Napi::HandleScope scope(Env());
  deferred_.Reject(CodedError(Env(), code_.c_str(), error.Message()).Value());
}

namespace {
Napi::Value Field(const Napi::Object& obj, const char* key) { return obj.Get(key); }
[[noreturn]] void WrongType(const Napi::Object& obj, const char* key, const char* expected) {
  ThrowCoded(obj.Env(), "ERR_INVALID_ARGUMENT", std::string("Expected ") + expected + " for " + key);
}
}  // namespace

namespace {
[[noreturn]] void Missing(const Napi::Object& obj, const char* key) {
  ThrowCoded(obj.Env(), "ERR_INVALID_ARGUMENT", std::string("Missing required option ") + key);
}
}  // namespace

int64_t RequireInt(const Napi::Object& obj, const char* key, int64_t min, int64_t max) {
  if (Field(obj, key).IsUndefined()) Missing(obj, key);
  return GetInt(obj, key, 0, min, max);
}

double RequireNumber(const Napi::Object& obj, const char* key) {
  if (Field(obj, key).IsUndefined()) Missing(obj, key);
  return GetNumber(obj, key, 0.0);
}

bool RequireBool(const Napi::Object& obj, const char* key) {
  if (Field(obj, key).IsUndefined()) Missing(obj, key);
  return GetBool(obj, key, false);
}

std::string RequireString(const Napi::Object& obj, const char* key) {
  if (Field(obj, key).IsUndefined()) Missing(obj, key);
  return GetString(obj, key, "");
}

int64_t GetInt(const Napi::Object& obj, const char* key, int64_t fallback, int64_t min, int64_t max) {
  Napi::Value value = Field(obj, key);
  if (value.IsUndefined()) return fallback;
  if (!value.IsNumber()) WrongType(obj, key, "an integer");
  double number = value.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(number) || std::trunc(number) != number || number < static_cast<double>(min) ||
      number > static_cast<double>(max)) {
    ThrowCoded(obj.Env(), "ERR_INVALID_ARGUMENT", std::string("Expected an integer between ") + std::to_string(min) +
                                                      " and " + std::to_string(max) + " for " + key);
  }
  return static_cast<int64_t>(number);
}

double GetNumber(const Napi::Object& obj, const char* key, double fallback) {
  Napi::Value value = Field(obj, key);
  if (value.IsUndefined()) return fallback;
  if (!value.IsNumber()) WrongType(obj, key, "a number");
  double number = value.As<Napi::Number>().DoubleValue();
  if (std::isnan(number)) WrongType(obj, key, "a number (not NaN)");
  return number;
}

bool GetBool(const Napi::Object& obj, const char* key, bool fallback) {
  Napi::Value value = Field(obj, key);
  if (value.IsUndefined()) return fallback;
  if (!value.IsBoolean()) WrongType(obj, key, "a boolean");
  return value.As<Napi::Boolean>().Value();
}

std::vector<ggml_backend_dev_t> DevicesNamed(Napi::Env env, const Napi::Array& names) {
  std::vector<ggml_backend_dev_t> devices;
  for (uint32_t i = 0; i < names.Length(); i++) {
    std::string name = names.Get(i).ToString().Utf8Value();
    ggml_backend_dev_t device = ggml_backend_dev_by_name(name.c_str());
    if (device == nullptr) ThrowCoded(env, "ERR_BACKEND_UNAVAILABLE", "no ggml device named " + name);
    devices.push_back(device);
  }
  return devices;
}

std::string GetString(const Napi::Object& obj, const char* key, const std::string& fallback) {
  Napi::Value value = Field(obj, key);
  if (value.IsUndefined()) return fallback;
  if (!value.IsString()) WrongType(obj, key, "a string");
  return value.As<Napi::String>().Utf8Value();
}

}  // namespace gpt_oss
