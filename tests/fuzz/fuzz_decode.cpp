// Fuzz target: any bytes through decode and validate. Malformed or invalid
// input must come back as an error value, never as a crash, a hang or a
// sanitizer report. libFuzzer's entry point, so any libFuzzer-compatible
// driver can run it (AFL++'s libAFLDriver here, replay.cpp in the tests).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "wasm/decoder.h"
#include "wasm/validator.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto module = wasipy::wasm::decode(std::span(data, size));
  // Deferring the bodies (launch::load on a native cache hit) and decoding
  // them afterwards reports exactly what decoding at once does.
  {
    auto deferred = wasipy::wasm::decode(wasipy::wasm::Bytes(std::vector<uint8_t>(data, data + size)),
                                         wasipy::wasm::Bodies::Later);
    std::string later;
    if (!deferred) {
      later = deferred.error().message;
    } else if (auto ok = wasipy::wasm::decode_bodies(*deferred); !ok) {
      later = ok.error().message;
    }
    if (later != (module ? std::string() : module.error().message)) __builtin_trap();
  }
  if (!module) {
    // Every rejection is one line.
    if (module.error().message.find('\n') != std::string::npos) __builtin_trap();
    return 0;
  }
  auto info = wasipy::wasm::validate(*module);
  if (!info) {
    if (info.error().message.find('\n') != std::string::npos) __builtin_trap();
    return 0;
  }
  // A valid module has one FunctionInfo per defined function.
  if (info->size() != module->functions.size()) __builtin_trap();
  return 0;
}
