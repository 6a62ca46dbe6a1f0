// ggml's RPC backend: attach remote devices (`rpc` option) and serve this machine's devices (`gpt-oss rpc-server`).
// The backend is a loadable module (libggml-rpc) like the others, reached through its registry's proc addresses.
#include "rpc.h"

#include <string>
#include <thread>
#include <vector>

#include "common.h"
#include "ggml-backend.h"
#include "ggml-rpc.h"
#include "llama-ext.h"

namespace gpt_oss {

namespace {

ggml_backend_reg_t RpcRegistry(Napi::Env env) {
  ggml_backend_reg_t reg = ggml_backend_reg_by_name("RPC");
  if (reg == nullptr) ThrowCoded(env, "ERR_BACKEND_UNAVAILABLE", "this build has no RPC backend (libggml-rpc is not beside the addon)");
  return reg;
}

template <typename Fn>
Fn* RpcFunction(Napi::Env env, const char* name) {
  auto* fn = reinterpret_cast<Fn*>(ggml_backend_reg_get_proc_address(RpcRegistry(env), name));
  if (fn == nullptr) ThrowCoded(env, "ERR_BACKEND_UNAVAILABLE", std::string("the RPC backend does not export ") + name);
  return fn;
}

}  // namespace

std::string LostRpcServer(const llama_model* model) {
  using ServerLostFn = bool(const char*);
  static ServerLostFn* serverLost = [] {
    ggml_backend_reg_t reg = ggml_backend_reg_by_name("RPC");
    return reg == nullptr ? nullptr : reinterpret_cast<ServerLostFn*>(ggml_backend_reg_get_proc_address(reg, "ggml_backend_rpc_server_lost"));
  }();
  if (serverLost == nullptr) return {};
  for (int32_t i = 0; i < llama_model_n_devices(model); i++) {
    ggml_backend_dev_t device = llama_model_get_device(model, i);
    // An RPC device's description is its server's endpoint.
    if (std::string(ggml_backend_reg_name(ggml_backend_dev_backend_reg(device))).rfind("RPC", 0) != 0) continue;
    const char* endpoint = ggml_backend_dev_description(device);
    if (serverLost(endpoint)) return endpoint;
  }
  return {};
}

// addRpcServer("host:port") -> device names. The caller checks that the server answers first: ggml's RPC client
// aborts the process when a connection fails.
Napi::Value AddRpcServer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 1 || !info[0].IsString()) ThrowCoded(env, "ERR_INVALID_ARGUMENT", "addRpcServer(endpoint): expected \"host:port\"");
  std::string endpoint = info[0].As<Napi::String>().Utf8Value();
  auto* addServer = RpcFunction<decltype(ggml_backend_rpc_add_server)>(env, "ggml_backend_rpc_add_server");
  ggml_backend_reg_t reg = addServer(endpoint.c_str());
  if (reg == nullptr) ThrowCoded(env, "ERR_BACKEND_UNAVAILABLE", "RPC server " + endpoint + " reports no devices");
  bool registered = false;  // add_server returns the same registry for an endpoint it already knows
  for (size_t i = 0; i < ggml_backend_reg_count(); i++) registered = registered || ggml_backend_reg_get(i) == reg;
  if (!registered) ggml_backend_register(reg);
  Napi::Array names = Napi::Array::New(env);
  for (size_t i = 0; i < ggml_backend_reg_dev_count(reg); i++) {
    names.Set(static_cast<uint32_t>(i), ggml_backend_dev_name(ggml_backend_reg_dev_get(reg, i)));
  }
  return names;
}

// startRpcServer({ endpoint, threads, devices, cacheDir }): serves the named local devices on a thread of its own
// for the rest of the process (ggml's server loop never returns).
Napi::Value StartRpcServer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 1 || !info[0].IsObject()) ThrowCoded(env, "ERR_INVALID_ARGUMENT", "startRpcServer(options): expected options");
  Napi::Object options = info[0].As<Napi::Object>();
  std::string endpoint = RequireString(options, "endpoint");
  size_t threads = static_cast<size_t>(RequireInt(options, "threads", 1, 1024));
  std::string cacheDir = RequireString(options, "cacheDir");
  Napi::Value names = options.Get("devices");
  if (!names.IsArray()) ThrowCoded(env, "ERR_INVALID_ARGUMENT", "startRpcServer: devices must be an array of device names");
  std::vector<ggml_backend_dev_t> devices = DevicesNamed(env, names.As<Napi::Array>());
  if (devices.empty()) ThrowCoded(env, "ERR_INVALID_ARGUMENT", "startRpcServer: no devices to serve");
  auto* startServer = RpcFunction<decltype(ggml_backend_rpc_start_server)>(env, "ggml_backend_rpc_start_server");
  std::thread([=]() {
    startServer(endpoint.c_str(), cacheDir.empty() ? nullptr : cacheDir.c_str(), threads, devices.size(),
                const_cast<ggml_backend_dev_t*>(devices.data()));
  }).detach();
  return env.Undefined();
}

}  // namespace gpt_oss
