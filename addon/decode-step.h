// One decode step: a batch holding tokens of many sequences, decoded and sampled on the context's compute
// thread. Plain native state only: nothing here touches N-API off the JS thread.
#pragma once

#include <napi.h>

#include <string>
#include <vector>

#include "llama.h"

namespace gpt_oss {

class SamplerWrap;

class DecodeStep {
 public:
  // `batch` is the context's batch, filled for this step; `samplers[k]` samples batch index `sampleIndices[k]`.
  DecodeStep(llama_context* context, const llama_batch& batch, int32_t nTokens, std::vector<int32_t> sampleIndices,
             std::vector<SamplerWrap*> samplers, int32_t topN);

  // On the compute thread: decodes and samples. Never throws; a failure is kept for Error().
  void Run();
  // On the JS thread, after Run(): the result object, or the coded Error the step failed with.
  bool failed() const { return errorCode_ != nullptr; }
  Napi::Object Result(Napi::Env env) const;
  Napi::Error Error(Napi::Env env) const;
  const std::vector<SamplerWrap*>& samplers() const { return samplers_; }
  // Milliseconds Run() spent inside llama_decode, and sampling after it.
  double computeMs() const { return computeMs_; }
  double sampleMs() const { return sampleMs_; }

 private:
  void Decode();
  void Sample();
  void Fail(const char* code, std::string message);
  void ComputeLogprobs(const float* logits, int32_t nVocab, size_t k);

  llama_context* context_;
  llama_batch batch_;
  std::vector<int32_t> sampleIndices_;
  std::vector<SamplerWrap*> samplers_;
  int32_t topN_;
  float logSumExp_ = 0;
  std::vector<int32_t> sampled_;
  std::vector<float> sampledLogprobs_;
  std::vector<int32_t> topTokens_;
  std::vector<float> topLogprobs_;
  double computeMs_ = 0;
  double sampleMs_ = 0;
  const char* errorCode_ = nullptr;  // one of src/errors.ts ERROR_CODES (a string literal)
  std::string errorMessage_;
};

}  // namespace gpt_oss
