#include "wasi/wasi.h"

#include <csignal>
#include <cstdio>
#include <cstdlib>

#include "wasi/abi.h"
#include "wasi/state.h"

namespace wasipy::wasi {

namespace {

class WasiImpl final : public Wasi {
 public:
  explicit WasiImpl(std::shared_ptr<State> state) : state_(std::move(state)) {}

  void add_to(runtime::Linker& linker, runtime::Store& store) override {
    // WASIPY_WASI_TRACE=1 prints every call and its errno on stderr.
    const bool trace = std::getenv("WASIPY_WASI_TRACE") != nullptr;
    for (auto& b : bindings(state_)) {
      auto call = b.call;
      std::string what = "wasi_snapshot_preview1." + b.name;
      size_t nparams = b.type.params.size();
      bool returns = !b.type.results.empty();
      runtime::HostFunction fn = [call, what, trace, nparams, returns](
                                     runtime::CallContext& ctx,
                                     std::span<runtime::RawValue> io) -> std::optional<runtime::Trap> {
        runtime::Memory* mem = ctx.memory();
        if (!mem) return runtime::Trap::host(what + " needs the caller to have a memory");
        GuestMemory guest({mem->data(), size_t(mem->size())});
        if (!trace) return call(guest, io);
        std::string line = what.substr(what.find('.') + 1) + "(";
        for (size_t i = 0; i < nparams; ++i) line += (i ? ", " : "") + std::to_string(io[i]);
        auto trap = call(guest, io);
        line += ")";
        if (returns && !trap) line += std::string(" -> ") + std::string(name_of(Errno(uint16_t(io[0]))));
        std::fprintf(stderr, "wasi: %s\n", line.c_str());
        return trap;
      };
      runtime::FuncInstance* f = store.add_host_function(b.type, std::move(fn), what);
      linker.define("wasi_snapshot_preview1", b.name, runtime::Extern{f});
    }
  }

 private:
  std::shared_ptr<State> state_;
};

}  // namespace

std::expected<std::unique_ptr<Wasi>, std::string> Wasi::create(Config config) {
  // A guest writing to a closed pipe (`wasipy run ... | head -1`) must get
  // EPIPE, as native CPython does with its BrokenPipeError, instead of the
  // whole runtime dying of SIGPIPE. Only the default disposition is replaced.
  struct sigaction old {};
  if (::sigaction(SIGPIPE, nullptr, &old) == 0 && old.sa_handler == SIG_DFL) ::signal(SIGPIPE, SIG_IGN);
  auto state = State::create(config);
  if (!state) return std::unexpected(state.error());
  return std::make_unique<WasiImpl>(std::shared_ptr<State>(std::move(*state)));
}

}  // namespace wasipy::wasi
