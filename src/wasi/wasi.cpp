#include "wasi/wasi.h"

#include "wasi/abi.h"
#include "wasi/state.h"

namespace wasipy::wasi {

namespace {

class WasiImpl final : public Wasi {
 public:
  explicit WasiImpl(std::shared_ptr<State> state) : state_(std::move(state)) {}

  void add_to(runtime::Linker& linker, runtime::Store& store) override {
    for (auto& b : bindings(state_)) {
      auto call = b.call;
      std::string what = "wasi_snapshot_preview1." + b.name;
      runtime::HostFunction fn = [call, what](runtime::CallContext& ctx,
                                              std::span<runtime::RawValue> io)
          -> std::optional<runtime::Trap> {
        runtime::Memory* mem = ctx.memory();
        if (!mem) return runtime::Trap::host(what + " needs the caller to have a memory");
        GuestMemory guest({mem->data(), size_t(mem->size())});
        return call(guest, io);
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
  auto state = State::create(config);
  if (!state) return std::unexpected(state.error());
  return std::make_unique<WasiImpl>(std::shared_ptr<State>(std::move(*state)));
}

}  // namespace wasipy::wasi
