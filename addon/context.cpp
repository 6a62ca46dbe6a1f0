#include "context.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "addon.h"
#include "common.h"
#include "decode-step.h"
#include "model.h"
#include "sampler.h"
#include "llama-ext.h"

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
                         InstanceMethod<&ContextWrap::MemoryBreakdown>("memoryBreakdown"),
                         InstanceMethod<&ContextWrap::Timings>("timings"),
                         InstanceMethod<&ContextWrap::DisposeMethod>("dispose"),
                     });
}

ContextWrap::ContextWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ContextWrap>(info) {
  RequireConstructToken(info, "use model.createContext()");
}

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

namespace {
using ThreadpoolNew = ggml_threadpool* (*)(ggml_threadpool_params*);
using ThreadpoolFree = void (*)(ggml_threadpool*);

// The CPU backend is a dynamically loaded module: its thread-pool functions are looked up through the registry.
template <typename Fn>
Fn CpuBackendFunction(const char* name) {
  ggml_backend_reg_t cpu = ggml_backend_reg_by_name("CPU");
  return cpu == nullptr ? nullptr : reinterpret_cast<Fn>(ggml_backend_reg_get_proc_address(cpu, name));
}

ggml_threadpool* NewThreadpool(int32_t threads) {
  static const ThreadpoolNew create = CpuBackendFunction<ThreadpoolNew>("ggml_threadpool_new");
  if (create == nullptr) return nullptr;
  ggml_threadpool_params params = ggml_threadpool_params_default(threads);
  return create(&params);
}

void FreeThreadpool(ggml_threadpool* pool) {
  static const ThreadpoolFree release = CpuBackendFunction<ThreadpoolFree>("ggml_threadpool_free");
  if (pool != nullptr && release != nullptr) release(pool);
}
}  // namespace

void ContextWrap::Attach(llama_context* context, ModelWrap* model, Napi::Object modelObject,
                         const llama_context_params& params) {
  // N-API calls (which can throw) first: `context` is owned by this object only from the assignment below.
  Napi::Env env = modelObject.Env();
  modelRef_ = Napi::Persistent(modelObject);
  decodeSignal_ = DecodeSignal::New(env, "gpt_oss.decode", 0, 1, this);
  decodeSignal_.Unref(env);
  context_ = context;
  threadpool_ = NewThreadpool(params.n_threads);
  threadpoolBatch_ = params.n_threads_batch == params.n_threads ? nullptr : NewThreadpool(params.n_threads_batch);
  if (threadpool_ != nullptr) llama_attach_threadpool(context_, threadpool_, threadpoolBatch_);
  computeThread_ = std::make_unique<ComputeThread>();
  model_ = model;
  batchCapacity_ = static_cast<int32_t>(llama_n_batch(context));
  sequences_ = static_cast<int32_t>(llama_n_seq_max(context));
  batch_ = llama_batch_init(batchCapacity_, 0, 1);
  kvBytes_ = KvBytes(llama_get_model(context), llama_n_ctx(context), params.type_k, params.type_v);
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
  computeThread_.reset();  // joins; a step still running (env teardown, see AddonData) finishes first
  decodeSignal_.Release();
  llama_batch_free(batch_);
  batch_ = {};
  llama_free(context_);
  context_ = nullptr;
  FreeThreadpool(threadpool_);
  FreeThreadpool(threadpoolBatch_);
  threadpool_ = threadpoolBatch_ = nullptr;
  if (model_ != nullptr) {
    model_->OnContextFreed(this);
    model_ = nullptr;
  }
  if (!modelRef_.IsEmpty()) modelRef_.Reset();
}

void ContextWrap::Dispose() {
  if (disposed_) return;
  disposed_ = true;
  if (!busy() || GetAddonData(Env())->tearingDown) FreeNative();
}

Napi::Value ContextWrap::StartDecode(Napi::Object self, std::unique_ptr<DecodeStep> step,
                                     const std::vector<Napi::Object>& samplerObjects) {
  Napi::Env env = self.Env();
  // N-API calls (which can throw) before any state changes.
  std::vector<Napi::ObjectReference> samplerRefs;
  for (const Napi::Object& object : samplerObjects) samplerRefs.push_back(Napi::Persistent(object));
  Napi::ObjectReference selfRef = Napi::Persistent(self);
  Napi::Promise::Deferred deferred = Napi::Promise::Deferred::New(env);

  samplerRefs_ = std::move(samplerRefs);
  selfRef_ = std::move(selfRef);
  pending_ = deferred;
  RefreshCellsUsed();  // memoryUsage() reports this figure while the cache belongs to the compute thread
  for (SamplerWrap* sampler : step->samplers()) sampler->Retain();
  step_ = std::move(step);
  decodeSignal_.Ref(env);
  computeThread_->Post([this] {
    step_->Run();
    decodeSignal_.NonBlockingCall();  // napi_closing during env teardown: nothing to deliver to
  });
  return deferred.Promise();
}

void DeliverDecodeStep(Napi::Env env, Napi::Function /*unused*/, ContextWrap* context, DecodeStep* /*step*/) {
  if (env == nullptr) return;
  // Nothing may escape a thread-safe function's callback (node-addon-api does not catch there): an N-API call
  // that fails while a worker's env is torn down throws, and an exception here would abort the process.
  try {
    context->FinishDecode(env);
  } catch (const Napi::Error&) {
  }
}

void ContextWrap::FinishDecode(Napi::Env env) {
  std::unique_ptr<DecodeStep> step = std::move(step_);
  Napi::Promise::Deferred deferred = *pending_;
  pending_.reset();
  Napi::ObjectReference self = std::move(selfRef_);  // holds this object until the promise is settled
  for (SamplerWrap* sampler : step->samplers()) sampler->Release();
  samplerRefs_.clear();
  decodeSignal_.Unref(env);
  steps_ += 1;
  computeMs_ += step->computeMs();
  sampleMs_ += step->sampleMs();
  if (disposed_) FreeNative();
  // Settling fails only when the env can no longer run JS (a worker being terminated): nobody can observe the
  // promise then, and an exception must not escape into the event loop.
  try {
    Napi::HandleScope scope(env);
    if (step->failed()) {
      deferred.Reject(step->Error(env).Value());
    } else {
      deferred.Resolve(step->Result(env));
    }
  } catch (const Napi::Error&) {
  }
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
  if (busy()) ThrowCoded(info.Env(), "ERR_INVALID_ARGUMENT", "kvRemove: a decode is in progress");
  int32_t sequence = SequenceArg(info, 0, "kvRemove");
  bool ok = llama_memory_seq_rm(llama_get_memory(context_), sequence, PosArg(info, 1), PosArg(info, 2));
  return Napi::Boolean::New(info.Env(), ok);
}

Napi::Value ContextWrap::KvCopy(const Napi::CallbackInfo& info) {
  EnsureLive(info.Env(), "kvCopy");
  if (busy()) ThrowCoded(info.Env(), "ERR_INVALID_ARGUMENT", "kvCopy: a decode is in progress");
  int32_t src = SequenceArg(info, 0, "kvCopy");
  int32_t dst = SequenceArg(info, 1, "kvCopy");
  llama_memory_seq_cp(llama_get_memory(context_), src, dst, PosArg(info, 2), PosArg(info, 3));
  return info.Env().Undefined();
}

Napi::Value ContextWrap::KvKeep(const Napi::CallbackInfo& info) {
  EnsureLive(info.Env(), "kvKeep");
  if (busy()) ThrowCoded(info.Env(), "ERR_INVALID_ARGUMENT", "kvKeep: a decode is in progress");
  llama_memory_seq_keep(llama_get_memory(context_), SequenceArg(info, 0, "kvKeep"));
  return info.Env().Undefined();
}

Napi::Value ContextWrap::KvClear(const Napi::CallbackInfo& info) {
  EnsureLive(info.Env(), "kvClear");
  if (busy()) ThrowCoded(info.Env(), "ERR_INVALID_ARGUMENT", "kvClear: a decode is in progress");
  llama_memory_clear(llama_get_memory(context_), true);
  return info.Env().Undefined();
}

Napi::Value ContextWrap::KvRange(const Napi::CallbackInfo& info) {
  EnsureLive(info.Env(), "kvRange");
  if (busy()) ThrowCoded(info.Env(), "ERR_INVALID_ARGUMENT", "kvRange: a decode is in progress");
  int32_t sequence = SequenceArg(info, 0, "kvRange");
  llama_memory_t memory = llama_get_memory(context_);
  Napi::Array result = Napi::Array::New(info.Env(), 2);
  result.Set(0u, Napi::Number::New(info.Env(), llama_memory_seq_pos_min(memory, sequence)));
  result.Set(1u, Napi::Number::New(info.Env(), llama_memory_seq_pos_max(memory, sequence)));
  return result;
}

void ContextWrap::RefreshCellsUsed() {
  llama_memory_t memory = llama_get_memory(context_);
  double used = 0;
  for (int32_t s = 0; s < sequences_; s++) {
    llama_pos max = llama_memory_seq_pos_max(memory, s);
    if (max >= 0) used += max - llama_memory_seq_pos_min(memory, s) + 1;
  }
  cellsUsed_ = used;
}

Napi::Value ContextWrap::MemoryUsage(const Napi::CallbackInfo& info) {
  EnsureLive(info.Env(), "memoryUsage");
  // While a decode runs the cache belongs to the worker thread: report the figure from before it started.
  if (!busy()) RefreshCellsUsed();
  Napi::Object result = Napi::Object::New(info.Env());
  result.Set("kvCacheBytes", static_cast<double>(kvBytes_));
  result.Set("kvCellsUsed", cellsUsed_);
  result.Set("contextSize", llama_n_ctx(context_));
  return result;
}

// Where the model, the KV cache and the compute buffers live: bytes per buffer type, with the device that owns it.
Napi::Value ContextWrap::MemoryBreakdown(const Napi::CallbackInfo& info) {
  EnsureLive(info.Env(), "memoryBreakdown");
  Napi::Env env = info.Env();
  Napi::Array result = Napi::Array::New(env);
  uint32_t index = 0;
  for (const auto& [bufferType, bytes] : llama_get_memory_breakdown(context_)) {
    ggml_backend_dev_t device = ggml_backend_buft_get_device(bufferType);
    Napi::Object entry = Napi::Object::New(env);
    entry.Set("bufferType", ggml_backend_buft_name(bufferType));
    entry.Set("device", device != nullptr ? ggml_backend_dev_name(device) : "CPU");
    entry.Set("host", ggml_backend_buft_is_host(bufferType));
    entry.Set("modelBytes", static_cast<double>(bytes.model));
    entry.Set("contextBytes", static_cast<double>(bytes.context));
    entry.Set("computeBytes", static_cast<double>(bytes.compute));
    result.Set(index++, entry);
  }
  return result;
}

Napi::Value ContextWrap::Timings(const Napi::CallbackInfo& info) {
  Napi::Object result = Napi::Object::New(info.Env());
  result.Set("steps", steps_);
  result.Set("computeMs", computeMs_);
  result.Set("sampleMs", sampleMs_);
  return result;
}

Napi::Value ContextWrap::CreateSampler(const Napi::CallbackInfo& info) {
  EnsureLive(info.Env(), "createSampler");
  if (info.Length() < 1 || !info[0].IsObject()) ThrowCoded(info.Env(), "ERR_INVALID_ARGUMENT", "createSampler: expected options");
  return SamplerWrap::Create(info.Env(), this, info.This().As<Napi::Object>(), info[0].As<Napi::Object>());
}

}  // namespace gpt_oss
