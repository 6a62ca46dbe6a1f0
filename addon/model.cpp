#include "model.h"

#include <sys/stat.h>

#include <atomic>
#include <memory>
#include <vector>

#include "addon.h"
#include "common.h"
#include "context.h"

namespace gpt_oss {

Napi::Function ModelWrap::Define(Napi::Env env) {
  return DefineClass(env, "NativeModel",
                     {
                         InstanceAccessor<&ModelWrap::GetInfo>("info"),
                         InstanceAccessor<&ModelWrap::GetDisposed>("disposed"),
                         InstanceMethod<&ModelWrap::Metadata>("metadata"),
                         InstanceMethod<&ModelWrap::Tokenize>("tokenize"),
                         InstanceMethod<&ModelWrap::Detokenize>("detokenize"),
                         InstanceMethod<&ModelWrap::CreateContext>("createContext"),
                         InstanceMethod<&ModelWrap::DisposeMethod>("dispose"),
                     });
}

Napi::Object ModelWrap::NewInstance(Napi::Env env, llama_model* model, const std::string& path) {
  Napi::Object object = GetAddonData(env)->modelConstructor.New({ConstructToken(env)});
  ModelWrap* wrap = Napi::ObjectWrap<ModelWrap>::Unwrap(object);
  wrap->model_ = model;
  wrap->path_ = path;
  return object;
}

ModelWrap::ModelWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ModelWrap>(info) {
  RequireConstructToken(info, "use loadModel()");
  GetAddonData(info.Env())->models.insert(this);
}

ModelWrap::~ModelWrap() {
  // Contexts and createContext workers hold a reference to this object, so none is alive here. A model that
  // was never disposed leaves the env's registry (the env cleanup hook disposes every live model first).
  if (!disposed_) GetAddonData(Env())->models.erase(this);
  if (model_ != nullptr) llama_model_free(model_);
  model_ = nullptr;
}

void ModelWrap::EnsureLive(Napi::Env env, const char* op) const {
  if (disposed_ || model_ == nullptr) ThrowCoded(env, "ERR_DISPOSED", std::string(op) + ": model " + path_ + " was disposed");
}

void ModelWrap::EndContextCreation() {
  pendingContexts_--;
  FreeIfUnused();
}

void ModelWrap::OnContextFreed(ContextWrap* context) {
  contexts_.erase(context);
  FreeIfUnused();
}

void ModelWrap::FreeIfUnused() {
  if (disposed_ && contexts_.empty() && pendingContexts_ == 0 && model_ != nullptr) {
    llama_model_free(model_);
    model_ = nullptr;
  }
}

void ModelWrap::Dispose() {
  if (disposed_) return;
  disposed_ = true;
  GetAddonData(Env())->models.erase(this);
  std::vector<ContextWrap*> children(contexts_.begin(), contexts_.end());
  for (ContextWrap* context : children) context->Dispose();
  FreeIfUnused();
}

Napi::Value ModelWrap::DisposeMethod(const Napi::CallbackInfo& info) {
  Dispose();
  return info.Env().Undefined();
}

Napi::Value ModelWrap::GetDisposed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), disposed_);
}

static std::string MetaString(const llama_model* model, const char* key) {
  char buffer[256];
  int32_t n = llama_model_meta_val_str(model, key, buffer, sizeof(buffer));
  return n < 0 ? std::string() : std::string(buffer, std::min<size_t>(n, sizeof(buffer) - 1));
}

Napi::Value ModelWrap::GetInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EnsureLive(env, "info");
  char description[256];
  llama_model_desc(model_, description, sizeof(description));
  Napi::Object result = Napi::Object::New(env);
  result.Set("description", description);
  result.Set("architecture", MetaString(model_, "general.architecture"));
  result.Set("parameterCount", static_cast<double>(llama_model_n_params(model_)));
  result.Set("sizeBytes", static_cast<double>(llama_model_size(model_)));
  result.Set("trainContextSize", llama_model_n_ctx_train(model_));
  result.Set("embeddingSize", llama_model_n_embd(model_));
  result.Set("layerCount", llama_model_n_layer(model_));
  result.Set("vocabSize", llama_vocab_n_tokens(llama_model_get_vocab(model_)));
  result.Set("slidingWindow", llama_model_n_swa(model_));
  return result;
}

Napi::Value ModelWrap::Metadata(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EnsureLive(env, "metadata");
  Napi::Object result = Napi::Object::New(env);
  std::vector<char> key(512);
  std::vector<char> value(4096);
  int32_t count = llama_model_meta_count(model_);
  for (int32_t i = 0; i < count; i++) {
    int32_t keyLength = llama_model_meta_key_by_index(model_, i, key.data(), key.size());
    if (keyLength < 0) continue;
    int32_t valueLength = llama_model_meta_val_str_by_index(model_, i, value.data(), value.size());
    if (valueLength >= static_cast<int32_t>(value.size())) {
      value.resize(valueLength + 1);
      valueLength = llama_model_meta_val_str_by_index(model_, i, value.data(), value.size());
    }
    if (valueLength < 0) continue;
    result.Set(std::string(key.data()), std::string(value.data(), valueLength));
  }
  return result;
}

Napi::Value ModelWrap::Tokenize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EnsureLive(env, "tokenize");
  if (info.Length() < 1 || !info[0].IsString()) ThrowCoded(env, "ERR_INVALID_ARGUMENT", "tokenize: expected a string");
  std::string text = info[0].As<Napi::String>().Utf8Value();
  bool parseSpecial = info.Length() > 1 && info[1].ToBoolean().Value();
  const llama_vocab* vocab = llama_model_get_vocab(model_);
  std::vector<llama_token> tokens(text.size() + 8);
  int32_t n = llama_tokenize(vocab, text.data(), static_cast<int32_t>(text.size()), tokens.data(),
                             static_cast<int32_t>(tokens.size()), false, parseSpecial);
  if (n < 0) {
    tokens.resize(-n);
    n = llama_tokenize(vocab, text.data(), static_cast<int32_t>(text.size()), tokens.data(),
                       static_cast<int32_t>(tokens.size()), false, parseSpecial);
  }
  if (n < 0) ThrowCoded(env, "ERR_INVALID_ARGUMENT", "tokenize: text too long");
  Napi::Int32Array result = Napi::Int32Array::New(env, n);
  std::copy(tokens.begin(), tokens.begin() + n, result.Data());
  return result;
}

Napi::Value ModelWrap::Detokenize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EnsureLive(env, "detokenize");
  if (info.Length() < 1 || !info[0].IsTypedArray() ||
      info[0].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    ThrowCoded(env, "ERR_INVALID_ARGUMENT", "detokenize: expected an Int32Array of token ids");
  }
  Napi::Int32Array tokens = info[0].As<Napi::Int32Array>();
  bool renderSpecial = info.Length() > 1 && info[1].ToBoolean().Value();
  const llama_vocab* vocab = llama_model_get_vocab(model_);
  int32_t nVocab = llama_vocab_n_tokens(vocab);
  for (size_t i = 0; i < tokens.ElementLength(); i++) {
    if (tokens[i] < 0 || tokens[i] >= nVocab) {
      ThrowCoded(env, "ERR_INVALID_ARGUMENT", "detokenize: token id " + std::to_string(tokens[i]) + " is out of range");
    }
  }
  std::string text(tokens.ElementLength() * 8 + 16, '\0');
  int32_t n = llama_detokenize(vocab, tokens.Data(), static_cast<int32_t>(tokens.ElementLength()), text.data(),
                               static_cast<int32_t>(text.size()), false, renderSpecial);
  if (n < 0) {
    text.resize(-n);
    n = llama_detokenize(vocab, tokens.Data(), static_cast<int32_t>(tokens.ElementLength()), text.data(),
                         static_cast<int32_t>(text.size()), false, renderSpecial);
  }
  text.resize(std::max(n, 0));
  return Napi::String::New(env, text);
}

Napi::Value ModelWrap::CreateContext(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EnsureLive(env, "createContext");
  if (info.Length() < 1 || !info[0].IsObject()) ThrowCoded(env, "ERR_INVALID_ARGUMENT", "createContext: expected options");
  return CreateContextAsync(env, this, info.This().As<Napi::Object>(), info[0].As<Napi::Object>());
}

// ---------------------------------------------------------------------------------------------------------
// Loading

namespace {

struct LoadState {
  std::atomic<bool> aborted{false};
};

class LoadWorker : public PromiseWorker {
 public:
  LoadWorker(Napi::Env env, std::string path, llama_model_params params, std::vector<ggml_backend_dev_t> devices,
             int32_t cpuMoeLayers, std::shared_ptr<LoadState> state, Napi::Function onProgress)
      : PromiseWorker(env, "gpt_oss.loadModel", "ERR_MODEL_LOAD_FAILED"),
        path_(std::move(path)),
        params_(params),
        devices_(std::move(devices)),
        state_(std::move(state)) {
    // Expert offload: the MoE expert tensors (weights and biases) of layers 0..cpuMoeLayers-1 stay in host memory
    // while the rest of those layers sits on the GPU; the CPU backend computes them. llama.cpp matches each
    // pattern against tensor names with std::regex_search.
    ggml_backend_dev_t cpu = ggml_backend_dev_by_type(GGML_BACKEND_DEVICE_TYPE_CPU);
    if (cpuMoeLayers > 0 && cpu != nullptr) {
      for (int32_t layer = 0; layer < cpuMoeLayers; layer++) {
        overridePatterns_.push_back("^blk\\." + std::to_string(layer) + "\\.ffn_(gate|up|down)_exps\\.");
      }
      for (const std::string& pattern : overridePatterns_) {
        overrides_.push_back({pattern.c_str(), ggml_backend_dev_buffer_type(cpu)});
      }
      overrides_.push_back({nullptr, nullptr});
    }
    if (!onProgress.IsEmpty()) {
      progress_ = Napi::ThreadSafeFunction::New(env, onProgress, "gpt_oss.loadProgress", 0, 1);
      hasProgress_ = true;
    }
  }

  void Run() override {
    devices_.push_back(nullptr);
    params_.devices = devices_.data();
    if (!overrides_.empty()) params_.tensor_buft_overrides = overrides_.data();
    params_.progress_callback = &LoadWorker::Progress;
    params_.progress_callback_user_data = this;
    TakeLastLlamaError();
    model_ = llama_model_load_from_file(path_.c_str(), params_);
    if (model_ == nullptr) {
      if (state_->aborted.load()) {
        Fail("ERR_MODEL_LOAD_ABORTED", "loading " + path_ + " was aborted");
      } else {
        std::string reason = TakeLastLlamaError();
        Fail("ERR_MODEL_LOAD_FAILED",
             "llama.cpp could not load " + path_ + (reason.empty() ? std::string() : ": " + reason));
      }
    }
  }

  ~LoadWorker() override {
    if (model_ != nullptr) llama_model_free(model_);  // never handed to JS (env torn down, or wrap failed)
  }

  void OnOK() override {
    ReleaseProgress();
    Napi::Object model = ModelWrap::NewInstance(Env(), model_, path_);  // owns model_ once it returns
    model_ = nullptr;
    deferred_.Resolve(model);
  }

  void OnError(const Napi::Error& error) override {
    ReleaseProgress();
    PromiseWorker::OnError(error);
  }

 private:
  static bool Progress(float fraction, void* user) {
    auto* self = static_cast<LoadWorker*>(user);
    if (self->hasProgress_) {
      auto* value = new float(fraction);
      napi_status status = self->progress_.NonBlockingCall(value, [](Napi::Env env, Napi::Function fn, float* v) {
        float copy = *v;
        delete v;
        if (env == nullptr || fn.IsEmpty()) return;
        try {  // a throwing callback, or an env being torn down, must not escape into the event loop
          fn.Call({Napi::Number::New(env, copy)});
        } catch (const Napi::Error&) {
        }
      });
      if (status != napi_ok) delete value;
    }
    return !self->state_->aborted.load();
  }

  void ReleaseProgress() {
    if (hasProgress_) {
      progress_.Release();
      hasProgress_ = false;
    }
  }

  std::string path_;
  llama_model_params params_;
  std::vector<ggml_backend_dev_t> devices_;
  std::vector<std::string> overridePatterns_;  // owns the strings overrides_ points at
  std::vector<llama_model_tensor_buft_override> overrides_;
  std::shared_ptr<LoadState> state_;
  Napi::ThreadSafeFunction progress_;
  bool hasProgress_ = false;
  llama_model* model_ = nullptr;
};

}  // namespace

Napi::Value LoadModel(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsObject()) {
    ThrowCoded(env, "ERR_INVALID_ARGUMENT", "loadModel(path, options, onProgress?): expected a path and options");
  }
  std::string path = info[0].As<Napi::String>().Utf8Value();
  Napi::Object options = info[1].As<Napi::Object>();

  struct stat st{};
  if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    ThrowCoded(env, "ERR_MODEL_NOT_FOUND", "model file not found: " + path);
  }

  llama_model_params params = llama_model_default_params();
  std::vector<ggml_backend_dev_t> devices;
  Napi::Value deviceNames = options.Get("devices");
  if (deviceNames.IsArray()) devices = DevicesNamed(env, deviceNames.As<Napi::Array>());
  const int32_t gpuLayers = static_cast<int32_t>(RequireInt(options, "gpuLayers", -1, 100000));
  params.n_gpu_layers = devices.empty() ? 0 : gpuLayers;
  const int32_t cpuMoeLayers = static_cast<int32_t>(RequireInt(options, "cpuMoeLayers", 0, 100000));
  bool useMmap = RequireBool(options, "useMmap");
  bool useMlock = RequireBool(options, "useMlock");
  params.load_mode = useMmap ? (useMlock ? LLAMA_LOAD_MODE_MMAP_MLOCK : LLAMA_LOAD_MODE_MMAP)
                             : (useMlock ? LLAMA_LOAD_MODE_MLOCK : LLAMA_LOAD_MODE_NONE);

  Napi::Function onProgress;
  if (info.Length() > 2 && info[2].IsFunction()) onProgress = info[2].As<Napi::Function>();

  auto state = std::make_shared<LoadState>();
  auto* worker = new LoadWorker(env, path, params, std::move(devices), cpuMoeLayers, state, onProgress);
  Napi::Object task = Napi::Object::New(env);
  task.Set("promise", worker->Promise());
  task.Set("abort", Napi::Function::New(env, [state](const Napi::CallbackInfo& call) {
             state->aborted.store(true);
             return call.Env().Undefined();
           }));
  worker->Queue();
  return task;
}

}  // namespace gpt_oss
