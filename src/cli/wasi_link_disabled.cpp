#include "cli/wasi_link.h"

namespace wasipy::cli {

bool wasi_available() { return false; }

std::expected<std::unique_ptr<WasiHandle>, std::string> link_wasi(const GuestConfig&, runtime::Linker&,
                                                                  runtime::Store&) {
  return std::unexpected(std::string("this wasipy was built without WASI (src/wasi); use --invoke FUNC to call an export"));
}

}  // namespace wasipy::cli
