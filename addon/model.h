// Model: a loaded llama_model with its vocabulary, metadata and child contexts.
#pragma once

#include <napi.h>

#include <set>
#include <string>

#include "llama.h"

namespace gpt_oss {

class ContextWrap;

class ModelWrap : public Napi::ObjectWrap<ModelWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  // Wraps an already loaded model (takes ownership).
  static Napi::Object NewInstance(Napi::Env env, llama_model* model, const std::string& path);

  explicit ModelWrap(const Napi::CallbackInfo& info);
  ~ModelWrap() override;

  llama_model* model() const { return model_; }
  const std::string& path() const { return path_; }
  bool disposed() const { return disposed_; }

  void AddContext(ContextWrap* context) { contexts_.insert(context); }
  // A createContext worker is using the llama model off-thread: the model is not freed until it ends.
  void BeginContextCreation() { pendingContexts_++; }
  void EndContextCreation();
  // Called by a context once its native memory is gone; frees the model if it was disposed meanwhile.
  void OnContextFreed(ContextWrap* context);
  // Disposes every context, then frees the model once none is still decoding.
  void Dispose();

 private:
  Napi::Value GetInfo(const Napi::CallbackInfo& info);
  Napi::Value GetDisposed(const Napi::CallbackInfo& info);
  Napi::Value Metadata(const Napi::CallbackInfo& info);
  Napi::Value Tokenize(const Napi::CallbackInfo& info);
  Napi::Value Detokenize(const Napi::CallbackInfo& info);
  Napi::Value CreateContext(const Napi::CallbackInfo& info);
  Napi::Value DisposeMethod(const Napi::CallbackInfo& info);
  void EnsureLive(Napi::Env env, const char* op) const;
  void FreeIfUnused();

  llama_model* model_ = nullptr;
  std::string path_;
  bool disposed_ = false;
  std::set<ContextWrap*> contexts_;
  int pendingContexts_ = 0;
};

// loadModel(path, options, onProgress?) -> { promise, abort() }
Napi::Value LoadModel(const Napi::CallbackInfo& info);

}  // namespace gpt_oss
