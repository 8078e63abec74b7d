#include "cli/wasi_link.h"

#include "wasi/wasi.h"

namespace wasipy::cli {
namespace {

class Handle final : public WasiHandle {
 public:
  explicit Handle(std::unique_ptr<wasi::Wasi> w) : wasi_(std::move(w)) {}

 private:
  std::unique_ptr<wasi::Wasi> wasi_;
};

}  // namespace

bool wasi_available() { return true; }

std::expected<std::unique_ptr<WasiHandle>, std::string> link_wasi(const GuestConfig& config, runtime::Linker& linker,
                                                                  runtime::Store& store) {
  wasi::Config c;
  c.args = config.args;
  c.env = config.env;
  for (const DirMapping& d : config.dirs) c.mounts.push_back(wasi::Mount{d.host, d.guest, false});
  auto w = wasi::Wasi::create(std::move(c));
  if (!w) return std::unexpected(w.error());
  (*w)->add_to(linker, store);
  return std::make_unique<Handle>(std::move(*w));
}

}  // namespace wasipy::cli
