#include "context.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "addon.h"
#include "common.h"
#include "model.h"
#include "sampler.h"

namespace gpt_oss {

Napi::Function ContextWrap::Define(Napi::Env env) {
  return DefineClass(env, "NativeContext",
                     {
                         InstanceAccessor<&ContextWrap::GetDisposed>("disposed"),
                         InstanceAccessor<&ContextWrap::GetContextSize>("contextSize"),
                         InstanceAccessor<&ContextWrap::GetSequenceContextSize>("sequenceContextSize"),
                         InstanceAccessor<&ContextWrap::GetSequences>("sequences"),
                         InstanceAccessor<&ContextWrap::GetBatchSize>("batchSize"),
                         InstanceMethod<&ContextWrap::Decode>("decode"),
                         InstanceMethod<&ContextWrap::CreateSampler>("createSampler"),
                         InstanceMethod<&ContextWrap::KvRemove>("kvRemove"),
                         InstanceMethod<&ContextWrap::KvCopy>("kvCopy"),
                         InstanceMethod<&ContextWrap::KvKeep>("kvKeep"),
                         InstanceMethod<&ContextWrap::KvClear>("kvClear"),
                         InstanceMethod<&ContextWrap::KvRange>("kvRange"),
                         InstanceMethod<&ContextWrap::MemoryUsage>("memoryUsage"),
                         InstanceMethod<&ContextWrap::DisposeMethod>("dispose"),
                     });
}

ContextWrap::ContextWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ContextWrap>(info) {}

ContextWrap::~ContextWrap() { FreeNative(); }

static size_t KvBytes(const llama_model* model, uint32_t nCtx, ggml_type typeK, ggml_type typeV) {
  char arch[64] = {0};
  llama_model_meta_val_str(model, "general.architecture", arch, sizeof(arch));
  auto metaInt = [&](const char* suffix, long fallback) {
    char buffer[64];
    std::string key = std::string(arch) + suffix;
    if (llama_model_meta_val_str(model, key.c_str(), buffer, sizeof(buffer)) < 0) return fallback;
    return std::strtol(buffer, nullptr, 10);
  };
  long headDim = llama_model_n_embd(model) / std::max(1, llama_model_n_head(model));
  long keyLength = metaInt(".attention.key_length", headDim);
  long valueLength = metaInt(".attention.value_length", headDim);
  double perToken = static_cast<double>(llama_model_n_head_kv(model)) *
                    (keyLength * ggml_type_size(typeK) / static_cast<double>(ggml_blck_size(typeK)) +
                     valueLength * ggml_type_size(typeV) / static_cast<double>(ggml_blck_size(typeV)));
  return static_cast<size_t>(perToken * llama_model_n_layer(model) * nCtx);
}

void ContextWrap::Attach(llama_context* context, ModelWrap* model, Napi::Object modelObject, ggml_type typeK,
                         ggml_type typeV) {
  context_ = context;
  model_ = model;
  modelRef_ = Napi::Persistent(modelObject);
  batchCapacity_ = static_cast<int32_t>(llama_n_batch(context));
  sequences_ = static_cast<int32_t>(llama_n_seq_max(context));
  batch_ = llama_batch_init(batchCapacity_, 0, 1);
  kvBytes_ = KvBytes(llama_get_model(context), llama_n_ctx(context), typeK, typeV);
  model->AddContext(this);
}

void ContextWrap::EnsureLive(Napi::Env env, const char* op) const {
  if (disposed_ || context_ == nullptr) ThrowCoded(env, "ERR_DISPOSED", std::string(op) + ": the context was disposed");
}

void ContextWrap::FreeNative() {
  if (context_ == nullptr) return;
  std::vector<SamplerWrap*> samplers(samplers_.begin(), samplers_.end());
  for (SamplerWrap* sampler : samplers) sampler->Dispose();
  samplers_.clear();
  llama_batch_free(batch_);
  batch_ = {};
  llama_free(context_);
  context_ = nullptr;
  if (model_ != nullptr) {
    model_->OnContextFreed(this);
    model_ = nullptr;
  }
  if (!modelRef_.IsEmpty()) modelRef_.Reset();
}

void ContextWrap::Dispose() {
  if (disposed_) return;
  disposed_ = true;
  if (!busy_) FreeNative();
}

void ContextWrap::OnDecodeDone() {
  busy_ = false;
  if (disposed_) FreeNative();
}

Napi::Value ContextWrap::DisposeMethod(const Napi::CallbackInfo& info) {
  Dispose();
  return info.Env().Undefined();
}

Napi::Value ContextWrap::GetDisposed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), disposed_); }
Napi::Value ContextWrap::GetContextSize(const Napi::CallbackInfo& info) {
  EnsureLive(info.Env(), "contextSize");
  return Napi::Number::New(info.Env(), llama_n_ctx(context_));
}
Napi::Value ContextWrap::GetSequenceContextSize(const Napi::CallbackInfo& info) {
  EnsureLive(info.Env(), "sequenceContextSize");
  return Napi::Number::New(info.Env(), llama_n_ctx_seq(context_));
}
Napi::Value ContextWrap::GetSequences(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), sequences_); }
Napi::Value ContextWrap::GetBatchSize(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), batchCapacity_); }

int32_t ContextWrap::SequenceArg(const Napi::CallbackInfo& info, size_t index, const char* op) const {
  if (info.Length() <= index || !info[index].IsNumber()) {
    ThrowCoded(info.Env(), "ERR_INVALID_ARGUMENT", std::string(op) + ": expected a sequence id");
  }
  int32_t sequence = info[index].As<Napi::Number>().Int32Value();
  if (sequence < 0 || sequence >= sequences_) {
    ThrowCoded(info.Env(), "ERR_INVALID_ARGUMENT",
               std::string(op) + ": sequence " + std::to_string(sequence) + " is outside 0.." + std::to_string(sequences_ - 1));
  }
  return sequence;
}

static int32_t PosArg(const Napi::CallbackInfo& info, size_t index) {
  return info.Length() > index && info[index].IsNumber() ? info[index].As<Napi::Number>().Int32Value() : -1;
}

Napi::Value ContextWrap::KvRemove(const Napi::CallbackInfo& info) {
  EnsureLive(info.Env(), "kvRemove");
  if (busy_) ThrowCoded(info.Env(), "ERR_INVALID_ARGUMENT", "kvRemove: a decode is in progress");
  int32_t sequence = SequenceArg(info, 0, "kvRemove");
  bool ok = llama_memory_seq_rm(llama_get_memory(context_), sequence, PosArg(info, 1), PosArg(info, 2));
  return Napi::Boolean::New(info.Env(), ok);
}

Napi::Value ContextWrap::KvCopy(const Napi::CallbackInfo& info) {
  EnsureLive(info.Env(), "kvCopy");
  if (busy_) ThrowCoded(info.Env(), "ERR_INVALID_ARGUMENT", "kvCopy: a decode is in progress");
  int32_t src = SequenceArg(info, 0, "kvCopy");
  int32_t dst = SequenceArg(info, 1, "kvCopy");
  llama_memory_seq_cp(llama_get_memory(context_), src, dst, PosArg(info, 2), PosArg(info, 3));
  return info.Env().Undefined();
}

Napi::Value ContextWrap::KvKeep(const Napi::CallbackInfo& info) {
  EnsureLive(info.Env(), "kvKeep");
  if (busy_) ThrowCoded(info.Env(), "ERR_INVALID_ARGUMENT", "kvKeep: a decode is in progress");
  llama_memory_seq_keep(llama_get_memory(context_), SequenceArg(info, 0, "kvKeep"));
  return info.Env().Undefined();
}

Napi::Value ContextWrap::KvClear(const Napi::CallbackInfo& info) {
  EnsureLive(info.Env(), "kvClear");
  if (busy_) ThrowCoded(info.Env(), "ERR_INVALID_ARGUMENT", "kvClear: a decode is in progress");
  llama_memory_clear(llama_get_memory(context_), true);
  return info.Env().Undefined();
}

Napi::Value ContextWrap::KvRange(const Napi::CallbackInfo& info) {
  EnsureLive(info.Env(), "kvRange");
  int32_t sequence = SequenceArg(info, 0, "kvRange");
  llama_memory_t memory = llama_get_memory(context_);
  Napi::Array result = Napi::Array::New(info.Env(), 2);
  result.Set(0u, Napi::Number::New(info.Env(), llama_memory_seq_pos_min(memory, sequence)));
  result.Set(1u, Napi::Number::New(info.Env(), llama_memory_seq_pos_max(memory, sequence)));
  return result;
}

Napi::Value ContextWrap::MemoryUsage(const Napi::CallbackInfo& info) {
  EnsureLive(info.Env(), "memoryUsage");
  llama_memory_t memory = llama_get_memory(context_);
  double used = 0;
  for (int32_t s = 0; s < sequences_; s++) {
    llama_pos max = llama_memory_seq_pos_max(memory, s);
    if (max >= 0) used += max - llama_memory_seq_pos_min(memory, s) + 1;
  }
  Napi::Object result = Napi::Object::New(info.Env());
  result.Set("kvCacheBytes", static_cast<double>(kvBytes_));
  result.Set("kvCellsUsed", used);
  result.Set("contextSize", llama_n_ctx(context_));
  return result;
}

Napi::Value ContextWrap::CreateSampler(const Napi::CallbackInfo& info) {
  EnsureLive(info.Env(), "createSampler");
  if (info.Length() < 1 || !info[0].IsObject()) ThrowCoded(info.Env(), "ERR_INVALID_ARGUMENT", "createSampler: expected options");
  return SamplerWrap::Create(info.Env(), this, info.This().As<Napi::Object>(), info[0].As<Napi::Object>());
}

// ---------------------------------------------------------------------------------------------------------
// Decoding

namespace {

class DecodeWorker : public PromiseWorker {
 public:
  DecodeWorker(Napi::Env env, ContextWrap* context, Napi::Object contextObject, int32_t nTokens,
               std::vector<int32_t> sampleIndices, std::vector<SamplerWrap*> samplers, int32_t topN,
               const std::vector<Napi::Object>& samplerObjects)
      : PromiseWorker(env, "gpt_oss.decode"),
        context_(context),
        llamaContext_(context->context()),
        nTokens_(nTokens),
        sampleIndices_(std::move(sampleIndices)),
        samplers_(std::move(samplers)),
        topN_(topN) {
    contextRef_ = Napi::Persistent(contextObject);
    for (const Napi::Object& object : samplerObjects) samplerRefs_.push_back(Napi::Persistent(object));
    for (SamplerWrap* sampler : samplers_) sampler->Retain();
  }

  void SetBatch(const llama_batch& batch) { batch_ = batch; }

  void Execute() override {
    llama_batch view = batch_;
    view.n_tokens = nTokens_;
    TakeLastLlamaError();
    int32_t status = llama_decode(llamaContext_, view);
    if (status == 1) {
      Fail("ERR_KV_CACHE_FULL", "decode: no room in the KV cache for a batch of " + std::to_string(nTokens_) + " tokens");
      return;
    }
    if (status != 0) {
      std::string reason = TakeLastLlamaError();
      Fail("ERR_DECODE_FAILED", "llama_decode failed with status " + std::to_string(status) +
                                    (reason.empty() ? std::string() : ": " + reason));
      return;
    }
    const int32_t nVocab = llama_vocab_n_tokens(llama_model_get_vocab(llama_get_model(llamaContext_)));
    sampled_.resize(sampleIndices_.size());
    if (topN_ > 0) {
      sampledLogprobs_.resize(sampleIndices_.size());
      topTokens_.assign(sampleIndices_.size() * topN_, -1);
      topLogprobs_.assign(sampleIndices_.size() * topN_, -INFINITY);
    }
    for (size_t k = 0; k < sampleIndices_.size(); k++) {
      const float* logits = llama_get_logits_ith(llamaContext_, sampleIndices_[k]);
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

  void OnOK() override {
    Napi::Env env = Env();
    Finish();
    Napi::Object result = Napi::Object::New(env);
    Napi::Int32Array sampled = Napi::Int32Array::New(env, sampled_.size());
    std::copy(sampled_.begin(), sampled_.end(), sampled.Data());
    result.Set("sampled", sampled);
    if (topN_ > 0) {
      Napi::Float32Array sampledLogprobs = Napi::Float32Array::New(env, sampledLogprobs_.size());
      std::copy(sampledLogprobs_.begin(), sampledLogprobs_.end(), sampledLogprobs.Data());
      Napi::Int32Array topTokens = Napi::Int32Array::New(env, topTokens_.size());
      std::copy(topTokens_.begin(), topTokens_.end(), topTokens.Data());
      Napi::Float32Array topLogprobs = Napi::Float32Array::New(env, topLogprobs_.size());
      std::copy(topLogprobs_.begin(), topLogprobs_.end(), topLogprobs.Data());
      result.Set("sampledLogprobs", sampledLogprobs);
      result.Set("topTokens", topTokens);
      result.Set("topLogprobs", topLogprobs);
    }
    deferred_.Resolve(result);
  }

  void OnError(const Napi::Error& error) override {
    Finish();
    PromiseWorker::OnError(error);
  }

 private:
  void Finish() {
    for (SamplerWrap* sampler : samplers_) sampler->Release();
    context_->OnDecodeDone();
  }

  void ComputeLogprobs(const float* logits, int32_t nVocab, size_t k) {
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

  ContextWrap* context_;
  llama_context* llamaContext_;
  Napi::ObjectReference contextRef_;
  std::vector<Napi::ObjectReference> samplerRefs_;
  llama_batch batch_{};
  int32_t nTokens_;
  std::vector<int32_t> sampleIndices_;
  std::vector<SamplerWrap*> samplers_;
  int32_t topN_;
  float logSumExp_ = 0;
  std::vector<int32_t> sampled_;
  std::vector<float> sampledLogprobs_;
  std::vector<int32_t> topTokens_;
  std::vector<float> topLogprobs_;
};

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
  if (busy_) ThrowCoded(env, "ERR_INVALID_ARGUMENT", "decode: another decode is still in progress on this context");
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
  int32_t topN = static_cast<int32_t>(GetInt(batch, "topLogprobs", 0));
  if (topN < 0 || topN > 64) ThrowCoded(env, "ERR_INVALID_ARGUMENT", "decode: topLogprobs must be between 0 and 64");

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
    for (size_t j = 0; j < k; j++) {
      if (samplers[j] == samplers[k]) ThrowCoded(env, "ERR_INVALID_ARGUMENT", "decode: a sampler appears twice in one batch");
    }
  }

  for (int32_t i = 0; i < n; i++) {
    batch_.token[i] = tokens[i];
    batch_.pos[i] = positions[i];
    batch_.n_seq_id[i] = 1;
    batch_.seq_id[i][0] = sequenceIds[i];
    batch_.logits[i] = 0;
  }
  for (int32_t index : indices) batch_.logits[index] = 1;

  busy_ = true;
  auto* worker = new DecodeWorker(env, this, info.This().As<Napi::Object>(), n, std::move(indices), std::move(samplers),
                                  topN, samplerObjects);
  worker->SetBatch(batch_);
  worker->Queue();
  return worker->Promise();
}

// ---------------------------------------------------------------------------------------------------------
// Creation

namespace {

ggml_type CacheType(Napi::Env env, const std::string& name) {
  static const std::pair<const char*, ggml_type> kTypes[] = {
      {"f32", GGML_TYPE_F32},   {"f16", GGML_TYPE_F16},   {"bf16", GGML_TYPE_BF16}, {"q8_0", GGML_TYPE_Q8_0},
      {"q4_0", GGML_TYPE_Q4_0}, {"q4_1", GGML_TYPE_Q4_1}, {"q5_0", GGML_TYPE_Q5_0}, {"q5_1", GGML_TYPE_Q5_1},
  };
  for (const auto& [typeName, type] : kTypes) {
    if (name == typeName) return type;
  }
  ThrowCoded(env, "ERR_INVALID_ARGUMENT", "unknown KV cache type " + name);
}

class CreateContextWorker : public PromiseWorker {
 public:
  CreateContextWorker(Napi::Env env, ModelWrap* model, Napi::Object modelObject, llama_context_params params)
      : PromiseWorker(env, "gpt_oss.createContext"), model_(model), params_(params) {
    modelRef_ = Napi::Persistent(modelObject);
    llamaModel_ = model->model();
  }

  void Execute() override {
    TakeLastLlamaError();
    context_ = llama_init_from_model(llamaModel_, params_);
    if (context_ == nullptr) {
      std::string reason = TakeLastLlamaError();
      Fail("ERR_CONTEXT_CREATE_FAILED", "could not create a context of " + std::to_string(params_.n_ctx) +
                                            " tokens for " + model_->path() +
                                            (reason.empty() ? " (not enough memory?)" : ": " + reason));
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (model_->disposed()) {  // disposed while the context was being created
      llama_free(context_);
      deferred_.Reject(CodedError(env, "ERR_DISPOSED", "createContext: the model was disposed").Value());
      return;
    }
    Napi::Object object = GetAddonData(env)->contextConstructor.New({});
    ContextWrap* wrap = Napi::ObjectWrap<ContextWrap>::Unwrap(object);
    wrap->Attach(context_, model_, modelRef_.Value(), params_.type_k, params_.type_v);
    deferred_.Resolve(object);
  }

 private:
  ModelWrap* model_;
  llama_model* llamaModel_;
  Napi::ObjectReference modelRef_;
  llama_context_params params_;
  llama_context* context_ = nullptr;
};

}  // namespace

Napi::Value CreateContextAsync(Napi::Env env, ModelWrap* model, Napi::Object modelObject, Napi::Object options) {
  llama_context_params params = llama_context_default_params();
  params.n_ctx = static_cast<uint32_t>(GetInt(options, "contextSize", 4096));
  params.n_batch = static_cast<uint32_t>(GetInt(options, "batchSize", 512));
  params.n_ubatch = static_cast<uint32_t>(GetInt(options, "ubatchSize", std::min<int64_t>(params.n_batch, 512)));
  params.n_seq_max = static_cast<uint32_t>(GetInt(options, "sequences", 1));
  params.n_threads = static_cast<int32_t>(GetInt(options, "threads", 4));
  params.n_threads_batch = static_cast<int32_t>(GetInt(options, "threadsBatch", params.n_threads));
  std::string flash = GetString(options, "flashAttention", "auto");
  params.flash_attn_type = flash == "on" ? LLAMA_FLASH_ATTN_TYPE_ENABLED
                           : flash == "off" ? LLAMA_FLASH_ATTN_TYPE_DISABLED
                                            : LLAMA_FLASH_ATTN_TYPE_AUTO;
  params.type_k = CacheType(env, GetString(options, "cacheTypeK", "f16"));
  params.type_v = CacheType(env, GetString(options, "cacheTypeV", "f16"));
  params.swa_full = GetBool(options, "swaFull", true);
  params.kv_unified = GetBool(options, "kvUnified", false);
  params.no_perf = true;
  if (params.n_ctx < 16 || params.n_batch < 1 || params.n_ubatch < 1 || params.n_seq_max < 1 || params.n_threads < 1) {
    ThrowCoded(env, "ERR_INVALID_ARGUMENT", "createContext: contextSize, batch sizes, sequences and threads must be positive");
  }
  constexpr uint32_t kMaxSequences = 256;  // llama.cpp's LLAMA_MAX_SEQ (internal header)
  if (params.n_seq_max > kMaxSequences) {
    ThrowCoded(env, "ERR_INVALID_ARGUMENT", "createContext: at most " + std::to_string(kMaxSequences) + " sequences");
  }
  auto* worker = new CreateContextWorker(env, model, modelObject, params);
  worker->Queue();
  return worker->Promise();
}

}  // namespace gpt_oss
