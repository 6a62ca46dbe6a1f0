// Per-environment state of the addon (context-aware: one per main thread, worker thread or Electron context).
#pragma once

#include <napi.h>

#include <set>

namespace gpt_oss {

class ModelWrap;

struct AddonData {
  Napi::FunctionReference modelConstructor;
  Napi::FunctionReference contextConstructor;
  Napi::FunctionReference samplerConstructor;
  // The library's error class (GptOssError), handed over by setErrorClass(): native errors are instances of it.
  Napi::FunctionReference errorClass;
  // Models alive in this environment; disposed by the env cleanup hook (worker exit, Electron teardown).
  std::set<ModelWrap*> models;
  // Set by the env cleanup hook: a context disposed then frees at once, waiting for a decode still running on its
  // compute thread, because the thread-safe function that would report the decode's end is being closed.
  bool tearingDown = false;
};

AddonData* GetAddonData(Napi::Env env);

// Native objects are created only by this addon: their constructors demand this private token, so
// `new model.constructor()` from JS throws instead of producing an object with no native state.
Napi::Value ConstructToken(Napi::Env env);
void RequireConstructToken(const Napi::CallbackInfo& info, const char* how);

}  // namespace gpt_oss
