// Module entry: versions, backend/device discovery, log level, model loading; per-env state and cleanup.
#include "addon.h"

#include <mutex>
#include <string>
#include <vector>

#ifdef _WIN32
#include <windows.h>
#else
#include <dlfcn.h>
#endif

#include "common.h"
#include "context.h"
#include "ggml-backend.h"
#include "llama.h"
#include "model.h"
#include "rpc.h"
#include "sampler.h"

namespace gpt_oss {

AddonData* GetAddonData(Napi::Env env) { return env.GetInstanceData<AddonData>(); }

namespace {
int g_construct_token = 0;
}  // namespace

Napi::Value ConstructToken(Napi::Env env) { return Napi::External<int>::New(env, &g_construct_token); }

void RequireConstructToken(const Napi::CallbackInfo& info, const char* how) {
  if (info.Length() != 1 || !info[0].IsExternal() || info[0].As<Napi::External<int>>().Data() != &g_construct_token) {
    ThrowCoded(info.Env(), "ERR_INVALID_ARGUMENT", std::string("this native object cannot be constructed directly: ") + how);
  }
}

namespace {

// The folder this addon was loaded from: the ggml backend modules are installed beside it.
std::string AddonDirectory() {
#ifdef _WIN32
  HMODULE module = nullptr;
  GetModuleHandleExA(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                     reinterpret_cast<LPCSTR>(&AddonDirectory), &module);
  char path[MAX_PATH];
  DWORD n = GetModuleFileNameA(module, path, MAX_PATH);
  std::string file(path, n);
  return file.substr(0, file.find_last_of("\\/"));
#else
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&AddonDirectory), &info) == 0 || info.dli_fname == nullptr) return ".";
  std::string file(info.dli_fname);
  size_t slash = file.find_last_of('/');
  return slash == std::string::npos ? "." : file.substr(0, slash);
#endif
}

std::once_flag g_backends_once;
std::string g_system_info;  // llama_print_system_info() fills a static buffer: read it once, here

void EnsureBackends() {
  std::call_once(g_backends_once, [] {
    InstallLogCallback();
    ggml_backend_load_all_from_path(AddonDirectory().c_str());
    llama_backend_init();
    g_system_info = llama_print_system_info();
  });
}

Napi::Value Versions(const Napi::CallbackInfo& info) {
  EnsureBackends();
  Napi::Object result = Napi::Object::New(info.Env());
  result.Set("addon", GPT_OSS_VERSION);
  result.Set("llamaCppCommit", GPT_OSS_LLAMA_COMMIT);
  result.Set("systemInfo", g_system_info);
  return result;
}

Napi::Value LoadBackends(const Napi::CallbackInfo& info) {
  EnsureBackends();
  Napi::Array names = Napi::Array::New(info.Env());
  for (size_t i = 0; i < ggml_backend_reg_count(); i++) {
    names.Set(static_cast<uint32_t>(i), ggml_backend_reg_name(ggml_backend_reg_get(i)));
  }
  return names;
}

const char* DeviceType(enum ggml_backend_dev_type type) {
  switch (type) {
    case GGML_BACKEND_DEVICE_TYPE_CPU: return "cpu";
    case GGML_BACKEND_DEVICE_TYPE_GPU: return "gpu";
    case GGML_BACKEND_DEVICE_TYPE_IGPU: return "igpu";
    default: return "accel";
  }
}

// The extra buffer types a device offers for weights (the CPU's CPU_REPACK, AMX, ...: layouts its faster kernels
// read); llama.cpp places a matrix in one when its kernels support the matrix's type and shape.
Napi::Array ExtraBufferTypes(Napi::Env env, ggml_backend_dev_t device) {
  Napi::Array names = Napi::Array::New(env);
  auto extraBufts = reinterpret_cast<ggml_backend_dev_get_extra_bufts_t>(
      ggml_backend_reg_get_proc_address(ggml_backend_dev_backend_reg(device), "ggml_backend_dev_get_extra_bufts"));
  if (extraBufts == nullptr) return names;
  uint32_t index = 0;
  for (ggml_backend_buffer_type_t* buft = extraBufts(device); buft != nullptr && *buft != nullptr; buft++) {
    names.Set(index++, ggml_backend_buft_name(*buft));
  }
  return names;
}

Napi::Value ListDevices(const Napi::CallbackInfo& info) {
  EnsureBackends();
  Napi::Env env = info.Env();
  Napi::Array devices = Napi::Array::New(env);
  for (size_t i = 0; i < ggml_backend_dev_count(); i++) {
    ggml_backend_dev_t device = ggml_backend_dev_get(i);
    size_t free = 0;
    size_t total = 0;
    ggml_backend_dev_memory(device, &free, &total);
    Napi::Object entry = Napi::Object::New(env);
    entry.Set("name", ggml_backend_dev_name(device));
    entry.Set("description", ggml_backend_dev_description(device));
    entry.Set("backend", ggml_backend_reg_name(ggml_backend_dev_backend_reg(device)));
    entry.Set("type", DeviceType(ggml_backend_dev_type(device)));
    entry.Set("memoryFreeBytes", static_cast<double>(free));
    entry.Set("memoryTotalBytes", static_cast<double>(total));
    entry.Set("extraBufferTypes", ExtraBufferTypes(env, device));
    devices.Set(static_cast<uint32_t>(i), entry);
  }
  return devices;
}

Napi::Value SetLogLevel(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsNumber()) ThrowCoded(info.Env(), "ERR_INVALID_ARGUMENT", "setLogLevel: expected 0..4");
  SetLogThreshold(info[0].As<Napi::Number>().Int32Value());
  return info.Env().Undefined();
}

// The library hands over its error class once per env (src/native/index.ts): every later native error is built
// as `new ErrorClass(code, message)`, so `instanceof GptOssError` holds for them too.
Napi::Value SetErrorClass(const Napi::CallbackInfo& info) {
  if (info.Length() != 1 || !info[0].IsFunction()) ThrowCoded(info.Env(), "ERR_INVALID_ARGUMENT", "setErrorClass expects a class");
  GetAddonData(info.Env())->errorClass = Napi::Persistent(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

Napi::Value LoadModelEntry(const Napi::CallbackInfo& info) {
  EnsureBackends();
  return LoadModel(info);
}

// Worker-thread exit or Electron context teardown: free every model (and its contexts) of this env.
void CleanupEnv(void* data) {
  auto* addon = static_cast<AddonData*>(data);
  addon->tearingDown = true;
  std::vector<ModelWrap*> models(addon->models.begin(), addon->models.end());
  for (ModelWrap* model : models) model->Dispose();
}

Napi::Object DefineExports(Napi::Env env, Napi::Object exports) {
  auto* data = new AddonData();
  data->modelConstructor = Napi::Persistent(ModelWrap::Define(env));
  data->contextConstructor = Napi::Persistent(ContextWrap::Define(env));
  data->samplerConstructor = Napi::Persistent(SamplerWrap::Define(env));
  env.SetInstanceData(data);
  napi_add_env_cleanup_hook(env, CleanupEnv, data);

  exports.Set("versions", Napi::Function::New(env, Versions, "versions"));
  exports.Set("loadBackends", Napi::Function::New(env, LoadBackends, "loadBackends"));
  exports.Set("listDevices", Napi::Function::New(env, ListDevices, "listDevices"));
  exports.Set("setLogLevel", Napi::Function::New(env, SetLogLevel, "setLogLevel"));
  exports.Set("loadModel", Napi::Function::New(env, LoadModelEntry, "loadModel"));
  exports.Set("setErrorClass", Napi::Function::New(env, SetErrorClass, "setErrorClass"));
  exports.Set("addRpcServer", Napi::Function::New(env, [](const Napi::CallbackInfo& info) {
    EnsureBackends();
    return AddRpcServer(info);
  }, "addRpcServer"));
  exports.Set("startRpcServer", Napi::Function::New(env, [](const Napi::CallbackInfo& info) {
    EnsureBackends();
    return StartRpcServer(info);
  }, "startRpcServer"));
  return exports;
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  try {
    return DefineExports(env, exports);
  } catch (const Napi::Error& error) {
    // Rethrown into JS (require() fails with it), unless the env can no longer run JS at all: a worker
    // terminated while it loads the addon must not take the process down.
    try {
      error.ThrowAsJavaScriptException();
    } catch (const Napi::Error&) {
    }
    return exports;
  }
}

NODE_API_MODULE(gpt_oss_node, Init)

}  // namespace gpt_oss
