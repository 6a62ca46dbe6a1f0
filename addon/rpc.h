// ggml's RPC backend from JS: remote devices in, local devices out.
#pragma once

#include <napi.h>

#include <string>

#include "llama.h"

namespace gpt_oss {

Napi::Value AddRpcServer(const Napi::CallbackInfo& info);
Napi::Value StartRpcServer(const Napi::CallbackInfo& info);
// The endpoint of one of the model's RPC servers that stopped answering (vendor patch 0003), or "". Any thread.
std::string LostRpcServer(const llama_model* model);

}  // namespace gpt_oss
