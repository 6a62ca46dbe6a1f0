// Sampler: one sequence's llama.cpp sampler chain (+ optional GBNF grammar), sampled natively.
#pragma once

#include <napi.h>

#include <vector>

#include "llama.h"

namespace gpt_oss {

class ContextWrap;

class SamplerWrap : public Napi::ObjectWrap<SamplerWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  // Builds a sampler for `context` from a NativeSamplerOptions object (throws coded errors).
  static Napi::Object Create(Napi::Env env, ContextWrap* context, Napi::Object contextObject, Napi::Object options);

  explicit SamplerWrap(const Napi::CallbackInfo& info);
  ~SamplerWrap() override;

  bool disposed() const { return disposed_; }
  ContextWrap* owner() const { return owner_; }
  // Marks the sampler as used by an in-flight decode (dispose is deferred until Release).
  void Retain() { inUse_++; }
  void Release();
  // Samples from `logits` (n_vocab floats) and accepts the token. Runs on the decode worker thread;
  // the sampler is retained for the whole decode, so no JS-thread call touches it meanwhile.
  llama_token SampleAndAccept(const float* logits);
  // Frees native state now, or after the in-flight decode when retained.
  void Dispose();

 private:
  Napi::Value Accept(const Napi::CallbackInfo& info);
  Napi::Value Reset(const Napi::CallbackInfo& info);
  Napi::Value DisposeMethod(const Napi::CallbackInfo& info);
  Napi::Value GetDisposed(const Napi::CallbackInfo& info);
  void FillCandidates(const float* logits);
  bool GrammarAllows(llama_token token);
  llama_token GreedyUnderGrammar(llama_token_data_array& adjusted);
  llama_token SampleUnderGrammar(const float* logits);
  void FreeNative();

  ContextWrap* owner_ = nullptr;
  Napi::ObjectReference ownerRef_;
  llama_sampler* chain_ = nullptr;    // logit bias, penalties, truncation, temperature, final pick
  llama_sampler* grammar_ = nullptr;  // checked after the pick; applied to all candidates only on rejection
  int32_t nVocab_ = 0;
  bool greedy_ = false;
  bool plainGreedy_ = false;  // the chain is the greedy pick alone (no bias, no penalties)
  std::vector<llama_token_data> candidates_;
  int inUse_ = 0;
  bool disposed_ = false;
};

}  // namespace gpt_oss
