// ContextWrap::Decode: one batch holding tokens of many sequences, decoded and sampled on the context's compute
// thread; the step's outcome comes back to the JS thread through the context's thread-safe function.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>
#include <vector>

#include "addon.h"
#include "common.h"
#include "context.h"
#include "decode-step.h"
#include "rpc.h"
#include "sampler.h"

namespace gpt_oss {

DecodeStep::DecodeStep(llama_context* context, const llama_batch& batch, int32_t nTokens,
                       std::vector<int32_t> sampleIndices, std::vector<SamplerWrap*> samplers, int32_t topN)
    : context_(context), batch_(batch), sampleIndices_(std::move(sampleIndices)), samplers_(std::move(samplers)), topN_(topN) {
  batch_.n_tokens = nTokens;
}

void DecodeStep::Run() {
  try {
    Decode();
  } catch (const std::exception& error) {
    Fail("ERR_DECODE_FAILED", std::string("decode: ") + error.what());
  } catch (...) {
    Fail("ERR_DECODE_FAILED", "decode: unknown native exception");
  }
}

void DecodeStep::Fail(const char* code, std::string message) {
  errorCode_ = code;
  errorMessage_ = std::move(message);
}

namespace {
double MillisecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}
}  // namespace

void DecodeStep::Decode() {
  TakeLastLlamaError();
  const auto computeStart = std::chrono::steady_clock::now();
  int32_t status = llama_decode(context_, batch_);
  computeMs_ = MillisecondsSince(computeStart);
  // A lost RPC server makes its part of the graph a no-op with zeroed results: never sample from them.
  if (std::string lost = LostRpcServer(llama_get_model(context_)); !lost.empty()) {
    Fail("ERR_DECODE_FAILED", "decode: RPC server " + lost + " stopped answering; the model must be loaded again");
    return;
  }
  if (status == 1) {
    Fail("ERR_KV_CACHE_FULL", "decode: no room in the KV cache for a batch of " + std::to_string(batch_.n_tokens) + " tokens");
    return;
  }
  if (status != 0) {
    std::string reason = TakeLastLlamaError();
    Fail("ERR_DECODE_FAILED", "llama_decode failed with status " + std::to_string(status) +
                                  (reason.empty() ? std::string() : ": " + reason));
    return;
  }
  const auto sampleStart = std::chrono::steady_clock::now();
  Sample();
  sampleMs_ = MillisecondsSince(sampleStart);
}

void DecodeStep::Sample() {
  const int32_t nVocab = llama_vocab_n_tokens(llama_model_get_vocab(llama_get_model(context_)));
  sampled_.resize(sampleIndices_.size());
  if (topN_ > 0) {
    sampledLogprobs_.resize(sampleIndices_.size());
    topTokens_.assign(sampleIndices_.size() * topN_, -1);
    topLogprobs_.assign(sampleIndices_.size() * topN_, -INFINITY);
  }
  for (size_t k = 0; k < sampleIndices_.size(); k++) {
    const float* logits = llama_get_logits_ith(context_, sampleIndices_[k]);
    if (logits == nullptr) {
      Fail("ERR_DECODE_FAILED", "decode: no logits for batch index " + std::to_string(sampleIndices_[k]));
      return;
    }
    if (topN_ > 0) ComputeLogprobs(logits, nVocab, k);  // before sampling: raw model distribution
    try {
      sampled_[k] = samplers_[k]->SampleAndAccept(logits);
    } catch (const std::exception& error) {
      Fail("ERR_GRAMMAR_REJECTED", std::string("decode: sampling for batch index ") +
                                       std::to_string(sampleIndices_[k]) + " failed: " + error.what());
      return;
    }
    if (topN_ > 0) sampledLogprobs_[k] = logits[sampled_[k]] - logSumExp_;
  }
}

void DecodeStep::ComputeLogprobs(const float* logits, int32_t nVocab, size_t k) {
  float max = -INFINITY;
  for (int32_t i = 0; i < nVocab; i++) max = std::max(max, logits[i]);
  double sum = 0;
  for (int32_t i = 0; i < nVocab; i++) sum += std::exp(static_cast<double>(logits[i] - max));
  logSumExp_ = max + static_cast<float>(std::log(sum));
  // Partial selection of the top N by a bounded insertion (N is small).
  int32_t* ids = &topTokens_[k * topN_];
  float* values = &topLogprobs_[k * topN_];
  for (int32_t i = 0; i < nVocab; i++) {
    float value = logits[i] - logSumExp_;
    if (value <= values[topN_ - 1]) continue;
    int32_t j = topN_ - 1;
    while (j > 0 && values[j - 1] < value) {
      values[j] = values[j - 1];
      ids[j] = ids[j - 1];
      j--;
    }
    values[j] = value;
    ids[j] = i;
  }
}

namespace {
template <typename TypedArray, typename T>
TypedArray CopyToJs(Napi::Env env, const std::vector<T>& values) {
  TypedArray array = TypedArray::New(env, values.size());
  std::copy(values.begin(), values.end(), array.Data());
  return array;
}
}  // namespace

Napi::Object DecodeStep::Result(Napi::Env env) const {
  Napi::Object result = Napi::Object::New(env);
  result.Set("sampled", CopyToJs<Napi::Int32Array>(env, sampled_));
  if (topN_ > 0) {
    result.Set("sampledLogprobs", CopyToJs<Napi::Float32Array>(env, sampledLogprobs_));
    result.Set("topTokens", CopyToJs<Napi::Int32Array>(env, topTokens_));
    result.Set("topLogprobs", CopyToJs<Napi::Float32Array>(env, topLogprobs_));
  }
  return result;
}

Napi::Error DecodeStep::Error(Napi::Env env) const { return CodedError(env, errorCode_, errorMessage_); }

namespace {

Napi::Int32Array Int32Field(const Napi::Object& batch, const char* key) {
  Napi::Value value = batch.Get(key);
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    ThrowCoded(batch.Env(), "ERR_INVALID_ARGUMENT", std::string("decode: expected an Int32Array for ") + key);
  }
  return value.As<Napi::Int32Array>();
}

}  // namespace

Napi::Value ContextWrap::Decode(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EnsureLive(env, "decode");
  if (busy()) ThrowCoded(env, "ERR_INVALID_ARGUMENT", "decode: another decode is still in progress on this context");
  if (info.Length() < 1 || !info[0].IsObject()) ThrowCoded(env, "ERR_INVALID_ARGUMENT", "decode: expected a batch");
  Napi::Object batch = info[0].As<Napi::Object>();
  Napi::Int32Array tokens = Int32Field(batch, "tokens");
  Napi::Int32Array positions = Int32Field(batch, "positions");
  Napi::Int32Array sequenceIds = Int32Field(batch, "sequenceIds");
  Napi::Int32Array sampleIndices = Int32Field(batch, "sampleIndices");
  Napi::Value samplersValue = batch.Get("samplers");
  if (!samplersValue.IsArray()) ThrowCoded(env, "ERR_INVALID_ARGUMENT", "decode: expected an array for samplers");
  Napi::Array samplerArray = samplersValue.As<Napi::Array>();
  const int32_t n = static_cast<int32_t>(tokens.ElementLength());
  if (n == 0) ThrowCoded(env, "ERR_INVALID_ARGUMENT", "decode: the batch is empty");
  if (n > batchCapacity_) {
    ThrowCoded(env, "ERR_INVALID_ARGUMENT",
               "decode: " + std::to_string(n) + " tokens exceed the batch size " + std::to_string(batchCapacity_));
  }
  if (positions.ElementLength() != static_cast<size_t>(n) || sequenceIds.ElementLength() != static_cast<size_t>(n)) {
    ThrowCoded(env, "ERR_INVALID_ARGUMENT", "decode: tokens, positions and sequenceIds must have the same length");
  }
  if (samplerArray.Length() != sampleIndices.ElementLength()) {
    ThrowCoded(env, "ERR_INVALID_ARGUMENT", "decode: samplers and sampleIndices must have the same length");
  }
  int32_t topN = static_cast<int32_t>(GetInt(batch, "topLogprobs", 0, 0, 64));

  const int32_t nVocab = llama_vocab_n_tokens(vocab());
  for (int32_t i = 0; i < n; i++) {
    if (tokens[i] < 0 || tokens[i] >= nVocab) {
      ThrowCoded(env, "ERR_INVALID_ARGUMENT", "decode: token id " + std::to_string(tokens[i]) + " is out of range");
    }
    if (sequenceIds[i] < 0 || sequenceIds[i] >= sequences_) {
      ThrowCoded(env, "ERR_INVALID_ARGUMENT", "decode: sequence id " + std::to_string(sequenceIds[i]) + " is out of range");
    }
    if (positions[i] < 0) ThrowCoded(env, "ERR_INVALID_ARGUMENT", "decode: negative position");
  }
  std::vector<int32_t> indices(sampleIndices.ElementLength());
  std::vector<SamplerWrap*> samplers(indices.size());
  std::vector<Napi::Object> samplerObjects(indices.size());
  for (size_t k = 0; k < indices.size(); k++) {
    indices[k] = sampleIndices[k];
    if (indices[k] < 0 || indices[k] >= n) ThrowCoded(env, "ERR_INVALID_ARGUMENT", "decode: sample index out of range");
    Napi::Value value = samplerArray.Get(static_cast<uint32_t>(k));
    if (!value.IsObject() || !value.As<Napi::Object>().InstanceOf(GetAddonData(env)->samplerConstructor.Value())) {
      ThrowCoded(env, "ERR_INVALID_ARGUMENT", "decode: samplers must be created by this context's createSampler()");
    }
    samplerObjects[k] = value.As<Napi::Object>();
    samplers[k] = Napi::ObjectWrap<SamplerWrap>::Unwrap(samplerObjects[k]);
    if (samplers[k]->disposed()) ThrowCoded(env, "ERR_DISPOSED", "decode: a sampler in the batch was disposed");
    if (samplers[k]->owner() != this) ThrowCoded(env, "ERR_INVALID_ARGUMENT", "decode: a sampler belongs to another context");
    // A sampler may come more than once (speculative decoding verifies a sequence's drafts with its one sampler):
    // the compute thread samples in index order, each pick accepted before the next.
  }

  for (int32_t i = 0; i < n; i++) {
    batch_.token[i] = tokens[i];
    batch_.pos[i] = positions[i];
    batch_.n_seq_id[i] = 1;
    batch_.seq_id[i][0] = sequenceIds[i];
    batch_.logits[i] = 0;
  }
  for (int32_t index : indices) batch_.logits[index] = 1;

  return StartDecode(info.This().As<Napi::Object>(), std::make_unique<DecodeStep>(context_, batch_, n, std::move(indices),
                                                                               std::move(samplers), topN),
                     samplerObjects);
}

}  // namespace gpt_oss
