// Context: a llama_context with N sequence slots; decode() takes one batch for all of them.
#pragma once

#include <napi.h>

#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "compute-thread.h"
#include "llama.h"

namespace gpt_oss {

class ContextWrap;
class DecodeStep;
class ModelWrap;
class SamplerWrap;

// Runs on the JS thread when a context's decode step has finished on its compute thread (env is null when
// the env is being torn down: nothing JS is touched then). The call carries no data: the step stays on the context.
void DeliverDecodeStep(Napi::Env env, Napi::Function unused, ContextWrap* context, DecodeStep* step);
using DecodeSignal = Napi::TypedThreadSafeFunction<ContextWrap, DecodeStep, DeliverDecodeStep>;

class ContextWrap : public Napi::ObjectWrap<ContextWrap> {
 public:
  static Napi::Function Define(Napi::Env env);

  explicit ContextWrap(const Napi::CallbackInfo& info);
  ~ContextWrap() override;

  // Invariant: called on the JS thread; frees native memory now, or when the in-flight decode ends.
  void Dispose();
  bool disposed() const { return disposed_; }
  llama_context* context() const { return context_; }
  const llama_vocab* vocab() const { return llama_model_get_vocab(llama_get_model(context_)); }
  void AddSampler(SamplerWrap* sampler) { samplers_.insert(sampler); }
  void RemoveSampler(SamplerWrap* sampler) { samplers_.erase(sampler); }

  // Takes ownership of `context` created for `model` (its JS object is kept alive by this context).
  void Attach(llama_context* context, ModelWrap* model, Napi::Object modelObject, const llama_context_params& params);
  // Settles the in-flight decode's promise with its step's outcome (JS thread, from DeliverDecodeStep).
  void FinishDecode(Napi::Env env);

 private:
  Napi::Value Decode(const Napi::CallbackInfo& info);
  // Keeps the context and the step's samplers alive, posts the step to the compute thread, returns the promise.
  Napi::Value StartDecode(Napi::Object self, std::unique_ptr<DecodeStep> step, const std::vector<Napi::Object>& samplerObjects);
  Napi::Value CreateSampler(const Napi::CallbackInfo& info);
  Napi::Value KvRemove(const Napi::CallbackInfo& info);
  Napi::Value KvCopy(const Napi::CallbackInfo& info);
  Napi::Value KvKeep(const Napi::CallbackInfo& info);
  Napi::Value KvClear(const Napi::CallbackInfo& info);
  Napi::Value KvRange(const Napi::CallbackInfo& info);
  Napi::Value MemoryUsage(const Napi::CallbackInfo& info);
  Napi::Value MemoryBreakdown(const Napi::CallbackInfo& info);
  Napi::Value Timings(const Napi::CallbackInfo& info);
  Napi::Value DisposeMethod(const Napi::CallbackInfo& info);
  Napi::Value GetDisposed(const Napi::CallbackInfo& info);
  Napi::Value GetContextSize(const Napi::CallbackInfo& info);
  Napi::Value GetSequenceContextSize(const Napi::CallbackInfo& info);
  Napi::Value GetSequences(const Napi::CallbackInfo& info);
  Napi::Value GetBatchSize(const Napi::CallbackInfo& info);
  void EnsureLive(Napi::Env env, const char* op) const;
  int32_t SequenceArg(const Napi::CallbackInfo& info, size_t index, const char* op) const;
  void FreeNative();
  void RefreshCellsUsed();
  // A decode is in flight: its step is set from StartDecode until FinishDecode.
  bool busy() const { return step_ != nullptr; }

  llama_context* context_ = nullptr;
  std::unique_ptr<ComputeThread> computeThread_;
  DecodeSignal decodeSignal_;  // compute thread -> JS thread; referenced (keeps the loop alive) only while busy
  // The decode in flight (busy()): its step, its promise, and references that keep this context and the step's
  // samplers from being collected until it settles.
  std::unique_ptr<DecodeStep> step_;
  std::optional<Napi::Promise::Deferred> pending_;
  Napi::ObjectReference selfRef_;
  std::vector<Napi::ObjectReference> samplerRefs_;
  // Persistent CPU thread pools (as llama.cpp's tools attach), instead of one built per graph computation.
  ggml_threadpool* threadpool_ = nullptr;
  ggml_threadpool* threadpoolBatch_ = nullptr;
  ModelWrap* model_ = nullptr;
  Napi::ObjectReference modelRef_;
  llama_batch batch_{};
  int32_t batchCapacity_ = 0;
  int32_t sequences_ = 0;
  size_t kvBytes_ = 0;
  // Totals over the decode steps settled so far (timings()).
  double steps_ = 0;
  double computeMs_ = 0;
  double sampleMs_ = 0;
  double cellsUsed_ = 0;
  bool disposed_ = false;
  std::set<SamplerWrap*> samplers_;
};

// model.createContext(options) -> Promise<NativeContext>
Napi::Value CreateContextAsync(Napi::Env env, ModelWrap* model, Napi::Object modelObject, Napi::Object options);

}  // namespace gpt_oss
