#include "sampler.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "addon.h"
#include "common.h"
#include "context.h"

namespace gpt_oss {

namespace {
// Index of the first largest logit, as llama.cpp's greedy sampler picks. std::max_element cannot be vectorized
// (its index bookkeeping is sequential: ~165 us over 201k logits, 0.5% of a 20b-geometry decode step); here the
// maximum of each block is taken in lanes the compiler vectorizes, and only the winning block is scanned for the
// index (~10-40 us). NaN logits are never picked (every comparison with NaN is false); all-NaN gives 0.
llama_token ArgMax(const float* logits, int32_t n) {
  constexpr int32_t kBlock = 4096;
  constexpr int32_t kLanes = 16;
  float best = -INFINITY;
  int32_t bestBlock = 0;
  for (int32_t start = 0; start < n; start += kBlock) {
    const int32_t end = std::min(n, start + kBlock);
    float lanes[kLanes];
    std::fill(lanes, lanes + kLanes, -INFINITY);
    int32_t i = start;
    for (; i + kLanes <= end; i += kLanes) {
      for (int32_t j = 0; j < kLanes; j++) lanes[j] = logits[i + j] > lanes[j] ? logits[i + j] : lanes[j];
    }
    float blockMax = -INFINITY;
    for (float lane : lanes) blockMax = lane > blockMax ? lane : blockMax;
    for (; i < end; i++) blockMax = logits[i] > blockMax ? logits[i] : blockMax;
    if (blockMax > best) {  // strictly: an earlier block keeps a tie
      best = blockMax;
      bestBlock = start;
    }
  }
  const int32_t end = std::min(n, bestBlock + kBlock);
  for (int32_t i = bestBlock; i < end; i++) {
    if (logits[i] == best) return i;
  }
  return 0;
}
}  // namespace

Napi::Function SamplerWrap::Define(Napi::Env env) {
  return DefineClass(env, "NativeSampler",
                     {
                         InstanceAccessor<&SamplerWrap::GetDisposed>("disposed"),
                         InstanceMethod<&SamplerWrap::Accept>("accept"),
                         InstanceMethod<&SamplerWrap::Reset>("reset"),
                         InstanceMethod<&SamplerWrap::DisposeMethod>("dispose"),
                     });
}

SamplerWrap::SamplerWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<SamplerWrap>(info) {
  RequireConstructToken(info, "use context.createSampler()");
}

SamplerWrap::~SamplerWrap() { FreeNative(); }

Napi::Object SamplerWrap::Create(Napi::Env env, ContextWrap* context, Napi::Object contextObject, Napi::Object options) {
  const llama_vocab* vocab = context->vocab();
  const int32_t nVocab = llama_vocab_n_tokens(vocab);

  const double temperature = RequireNumber(options, "temperature");
  const int32_t topK = static_cast<int32_t>(RequireInt(options, "topK", 0, INT32_MAX));
  const double topP = RequireNumber(options, "topP");
  const double minP = RequireNumber(options, "minP");
  const uint32_t seed = static_cast<uint32_t>(RequireInt(options, "seed", 0, UINT32_MAX));
  const double repeatPenalty = RequireNumber(options, "repeatPenalty");
  const double frequencyPenalty = RequireNumber(options, "frequencyPenalty");
  const double presencePenalty = RequireNumber(options, "presencePenalty");
  const int32_t penaltyLastN = static_cast<int32_t>(RequireInt(options, "penaltyLastN", -1, INT32_MAX));
  const std::string grammarText = GetString(options, "grammar", "");
  const std::string grammarRoot = GetString(options, "grammarRoot", "root");

  std::vector<llama_logit_bias> biases;
  Napi::Value biasValue = options.Get("logitBias");
  if (biasValue.IsArray()) {
    Napi::Array entries = biasValue.As<Napi::Array>();
    for (uint32_t i = 0; i < entries.Length(); i++) {
      Napi::Value entry = entries.Get(i);
      if (!entry.IsArray() || entry.As<Napi::Array>().Length() != 2) {
        ThrowCoded(env, "ERR_INVALID_ARGUMENT", "createSampler: logitBias entries must be [token, bias] pairs");
      }
      Napi::Value tokenValue = entry.As<Napi::Array>().Get(0u);
      Napi::Value biasValue = entry.As<Napi::Array>().Get(1u);
      if (!tokenValue.IsNumber() || !biasValue.IsNumber()) {
        ThrowCoded(env, "ERR_INVALID_ARGUMENT", "createSampler: logitBias entries must be [token, bias] numbers");
      }
      double tokenNumber = tokenValue.As<Napi::Number>().DoubleValue();
      int32_t token = static_cast<int32_t>(tokenNumber);
      float bias = biasValue.As<Napi::Number>().FloatValue();
      if (std::trunc(tokenNumber) != tokenNumber || token < 0 || token >= nVocab) {
        ThrowCoded(env, "ERR_INVALID_ARGUMENT", "createSampler: logitBias token " + std::to_string(token) + " is out of range");
      }
      biases.push_back({token, bias});
    }
  }

  // The JS object first: a throw from here on leaves no native memory behind.
  Napi::Object object = GetAddonData(env)->samplerConstructor.New({ConstructToken(env)});
  SamplerWrap* wrap = Napi::ObjectWrap<SamplerWrap>::Unwrap(object);

  llama_sampler* grammar = nullptr;
  if (!grammarText.empty()) {
    TakeLastLlamaError();
    grammar = llama_sampler_init_grammar(vocab, grammarText.c_str(), grammarRoot.c_str());
    if (grammar == nullptr) {
      std::string reason = TakeLastLlamaError();
      ThrowCoded(env, "ERR_GRAMMAR_INVALID", "createSampler: the GBNF grammar does not parse" +
                                                 (reason.empty() ? std::string() : ": " + reason));
    }
  }

  llama_sampler_chain_params chainParams = llama_sampler_chain_default_params();
  chainParams.no_perf = true;
  llama_sampler* chain = llama_sampler_chain_init(chainParams);
  if (!biases.empty()) llama_sampler_chain_add(chain, llama_sampler_init_logit_bias(nVocab, biases.size(), biases.data()));
  if (repeatPenalty != 1.0 || frequencyPenalty != 0.0 || presencePenalty != 0.0) {
    llama_sampler_chain_add(chain, llama_sampler_init_penalties(nVocab, penaltyLastN, static_cast<float>(repeatPenalty),
                                                                static_cast<float>(frequencyPenalty),
                                                                static_cast<float>(presencePenalty)));
  }
  if (temperature <= 0.0) {
    llama_sampler_chain_add(chain, llama_sampler_init_greedy());
  } else {
    if (topK > 0) llama_sampler_chain_add(chain, llama_sampler_init_top_k(topK));
    if (topP < 1.0) llama_sampler_chain_add(chain, llama_sampler_init_top_p(static_cast<float>(topP), 1));
    if (minP > 0.0) llama_sampler_chain_add(chain, llama_sampler_init_min_p(static_cast<float>(minP), 1));
    llama_sampler_chain_add(chain, llama_sampler_init_temp(static_cast<float>(temperature)));
    llama_sampler_chain_add(chain, llama_sampler_init_dist(seed));
  }

  wrap->owner_ = context;
  wrap->ownerRef_ = Napi::Persistent(contextObject);
  wrap->chain_ = chain;
  wrap->grammar_ = grammar;
  wrap->nVocab_ = nVocab;
  wrap->greedy_ = temperature <= 0.0;
  wrap->plainGreedy_ = wrap->greedy_ && llama_sampler_chain_n(chain) == 1;  // the greedy pick alone
  context->AddSampler(wrap);
  return object;
}

void SamplerWrap::FillCandidates(const float* logits) {
  candidates_.resize(nVocab_);
  for (int32_t i = 0; i < nVocab_; i++) candidates_[i] = llama_token_data{i, logits[i], 0.0f};
}

bool SamplerWrap::GrammarAllows(llama_token token) {
  llama_token_data single{token, 1.0f, 0.0f};
  llama_token_data_array one{&single, 1, -1, false};
  llama_sampler_apply(grammar_, &one);
  return !std::isinf(single.logit);
}

llama_token SamplerWrap::GreedyUnderGrammar(llama_token_data_array& adjusted) {
  // The best token the grammar allows, by the logits after bias and penalties: walk candidates best-first,
  // checking each alone, which is far cheaper than running the grammar over the whole vocabulary.
  auto better = [](const llama_token_data& a, const llama_token_data& b) {
    return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
  };
  size_t checked = 0;
  for (size_t window : {size_t(64), size_t(1024)}) {
    window = std::min(window, adjusted.size);
    std::partial_sort(adjusted.data + checked, adjusted.data + window, adjusted.data + adjusted.size, better);
    for (; checked < window; checked++) {
      if (std::isinf(adjusted.data[checked].logit) && adjusted.data[checked].logit < 0) break;
      if (GrammarAllows(adjusted.data[checked].id)) return adjusted.data[checked].id;
    }
  }
  llama_sampler_apply(grammar_, &adjusted);
  const llama_token_data* best = nullptr;
  for (size_t i = 0; i < adjusted.size; i++) {
    if (!std::isinf(adjusted.data[i].logit) && (best == nullptr || better(adjusted.data[i], *best))) best = &adjusted.data[i];
  }
  if (best == nullptr) throw std::runtime_error("the grammar allows no further token");
  return best->id;
}

llama_token SamplerWrap::SampleUnderGrammar(const float* logits) {
  // Same as llama.cpp's common sampler: grammar over all candidates first, then the chain picks.
  FillCandidates(logits);
  llama_token_data_array all{candidates_.data(), candidates_.size(), -1, false};
  llama_sampler_apply(grammar_, &all);
  bool any = false;
  for (size_t i = 0; i < all.size && !any; i++) any = !std::isinf(all.data[i].logit);
  if (!any) throw std::runtime_error("the grammar allows no further token");
  llama_sampler_apply(chain_, &all);
  return all.data[all.selected].id;
}

llama_token SamplerWrap::SampleAndAccept(const float* logits) {
  llama_token token;
  llama_token_data_array all{candidates_.data(), 0, -1, false};
  if (plainGreedy_) {
    // Nothing reshapes the logits: a direct argmax instead of building the 201k-entry candidate array.
    token = ArgMax(logits, nVocab_);
  } else {
    FillCandidates(logits);
    all = llama_token_data_array{candidates_.data(), candidates_.size(), -1, false};
    llama_sampler_apply(chain_, &all);
    token = all.data[all.selected].id;
  }
  // Most picks of a trained model already satisfy the grammar: check the one token first.
  if (grammar_ != nullptr && !GrammarAllows(token)) {
    if (greedy_) {
      if (all.size == 0) {
        FillCandidates(logits);
        all = llama_token_data_array{candidates_.data(), candidates_.size(), -1, false};
      }
      token = GreedyUnderGrammar(all);
    } else {
      token = SampleUnderGrammar(logits);
    }
  }
  if (grammar_ != nullptr) llama_sampler_accept(grammar_, token);
  llama_sampler_accept(chain_, token);
  return token;
}

void SamplerWrap::Release() {
  inUse_--;
  if (inUse_ == 0 && disposed_) FreeNative();
}

void SamplerWrap::FreeNative() {
  if (chain_ != nullptr) llama_sampler_free(chain_);
  if (grammar_ != nullptr) llama_sampler_free(grammar_);
  chain_ = nullptr;
  grammar_ = nullptr;
  candidates_.clear();
  candidates_.shrink_to_fit();
  if (owner_ != nullptr) {
    owner_->RemoveSampler(this);
    owner_ = nullptr;
  }
  if (!ownerRef_.IsEmpty()) ownerRef_.Reset();
}

void SamplerWrap::Dispose() {
  if (disposed_) return;
  disposed_ = true;
  if (inUse_ == 0) FreeNative();
}

Napi::Value SamplerWrap::Accept(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (disposed_) ThrowCoded(env, "ERR_DISPOSED", "sampler.accept: the sampler was disposed");
  if (inUse_ > 0) ThrowCoded(env, "ERR_INVALID_ARGUMENT", "sampler.accept: a decode using this sampler is in progress");
  if (info.Length() < 1 || !info[0].IsNumber()) ThrowCoded(env, "ERR_INVALID_ARGUMENT", "sampler.accept: expected a token id");
  int32_t token = info[0].As<Napi::Number>().Int32Value();
  if (token < 0 || token >= nVocab_) ThrowCoded(env, "ERR_INVALID_ARGUMENT", "sampler.accept: token id out of range");
  try {
    if (grammar_ != nullptr) llama_sampler_accept(grammar_, token);
  } catch (const std::exception& error) {
    ThrowCoded(env, "ERR_GRAMMAR_REJECTED", std::string("sampler.accept: the grammar rejects token ") +
                                                std::to_string(token) + ": " + error.what());
  }
  llama_sampler_accept(chain_, token);
  return env.Undefined();
}

Napi::Value SamplerWrap::Reset(const Napi::CallbackInfo& info) {
  if (disposed_) ThrowCoded(info.Env(), "ERR_DISPOSED", "sampler.reset: the sampler was disposed");
  if (inUse_ > 0) ThrowCoded(info.Env(), "ERR_INVALID_ARGUMENT", "sampler.reset: a decode using this sampler is in progress");
  llama_sampler_reset(chain_);
  if (grammar_ != nullptr) llama_sampler_reset(grammar_);
  return info.Env().Undefined();
}

Napi::Value SamplerWrap::DisposeMethod(const Napi::CallbackInfo& info) {
  Dispose();
  return info.Env().Undefined();
}

Napi::Value SamplerWrap::GetDisposed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), disposed_); }

}  // namespace gpt_oss
