// Context creation: the options read (every one required: the TypeScript layer owns the defaults) and the worker
// that builds the llama_context off the JS thread, then hands it to a ContextWrap (context.cpp).
#include <cstdint>
#include <string>
#include <utility>

#include "addon.h"
#include "common.h"
#include "context.h"
#include "model.h"

namespace gpt_oss {

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
      : PromiseWorker(env, "gpt_oss.createContext", "ERR_CONTEXT_CREATE_FAILED"), model_(model), params_(params) {
    modelRef_ = Napi::Persistent(modelObject);
    llamaModel_ = model->model();
    model_->BeginContextCreation();
  }

  void Run() override {
    TakeLastLlamaError();
    context_ = llama_init_from_model(llamaModel_, params_);
    if (context_ == nullptr) {
      std::string reason = TakeLastLlamaError();
      Fail("ERR_CONTEXT_CREATE_FAILED", "could not create a context of " + std::to_string(params_.n_ctx) +
                                            " tokens for " + model_->path() +
                                            (reason.empty() ? " (not enough memory?)" : ": " + reason));
    }
  }

  ~CreateContextWorker() override {
    if (context_ != nullptr) llama_free(context_);  // never handed to a JS object (disposed model, or env torn down)
    model_->EndContextCreation();
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (model_->disposed()) {  // disposed while the context was being created
      deferred_.Reject(CodedError(env, "ERR_DISPOSED", "createContext: the model was disposed").Value());
      return;
    }
    Napi::Object object = GetAddonData(env)->contextConstructor.New({ConstructToken(env)});
    Napi::ObjectWrap<ContextWrap>::Unwrap(object)->Attach(context_, model_, modelRef_.Value(), params_);
    context_ = nullptr;
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
  constexpr int64_t kMaxTokens = int64_t(1) << 30;
  constexpr int64_t kMaxSequences = 256;  // llama.cpp's LLAMA_MAX_SEQ (internal header)
  params.n_ctx = static_cast<uint32_t>(RequireInt(options, "contextSize", 16, kMaxTokens));
  params.n_batch = static_cast<uint32_t>(RequireInt(options, "batchSize", 1, 1 << 20));
  params.n_ubatch = static_cast<uint32_t>(RequireInt(options, "ubatchSize", 1, params.n_batch));
  params.n_seq_max = static_cast<uint32_t>(RequireInt(options, "sequences", 1, kMaxSequences));
  params.n_threads = static_cast<int32_t>(RequireInt(options, "threads", 1, 1024));
  params.n_threads_batch = static_cast<int32_t>(RequireInt(options, "threadsBatch", 1, 1024));
  std::string flash = RequireString(options, "flashAttention");
  params.flash_attn_type = flash == "on" ? LLAMA_FLASH_ATTN_TYPE_ENABLED
                           : flash == "off" ? LLAMA_FLASH_ATTN_TYPE_DISABLED
                                            : LLAMA_FLASH_ATTN_TYPE_AUTO;
  params.type_k = CacheType(env, RequireString(options, "cacheTypeK"));
  params.type_v = CacheType(env, RequireString(options, "cacheTypeV"));
  params.swa_full = RequireBool(options, "swaFull");
  params.kv_unified = RequireBool(options, "kvUnified");
  params.no_perf = true;
  auto* worker = new CreateContextWorker(env, model, modelObject, params);
  worker->Queue();
  return worker->Promise();
}

}  // namespace gpt_oss
