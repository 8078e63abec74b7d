#pragma once
// A guest's WASI state: arguments, environment, and the fd table with its
// preopens, rights and read-only marks. Knows nothing of guest memory.
#include <cstdint>
#include <expected>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "wasi/host.h"
#include "wasi/wasi.h"

namespace wasipy::wasi {

/// Files the runtime serves itself, so guests need no host /dev.
enum class Device : uint8_t { Null, Zero, Urandom };

struct FdEntry {
  enum class Kind : uint8_t {
    Host,    ///< a host file, directory, pipe or terminal
    Device,  ///< /dev/null, /dev/zero, /dev/urandom
    DevDir,  ///< the virtual /dev preopen holding the devices
  };
  Kind kind = Kind::Host;
  host::UniqueFd fd;  ///< Kind::Host
  Device device = Device::Null;
  Filetype type = Filetype::Unknown;
  uint64_t rights_base = 0;
  uint64_t rights_inheriting = 0;
  uint16_t device_flags = 0;  ///< fdflags remembered for devices (no host fd to hold them)
  bool read_only = false;     ///< lives under a read-only mount: no writes, creates, unlinks
  std::optional<std::string> preopen;  ///< the guest path, for preopened directories
  /// fd_readdir's snapshot: cookie N is the position after entry N-1. Taken
  /// again when a listing starts over (cookie 0), so cookies stay stable
  /// while a guest walks the directory in several calls.
  std::vector<host::DirEntry> listing;
  bool listing_valid = false;

  bool is_dir() const { return type == Filetype::Directory; }
};

class FdTable {
 public:
  FdEntry* get(uint32_t fd);
  /// Puts `e` at the lowest free number.
  std::expected<uint32_t, Errno> insert(FdEntry e);
  Errno close(uint32_t fd);
  Errno renumber(uint32_t from, uint32_t to);
  size_t size() const { return fds_.size(); }

 private:
  static constexpr uint32_t kMaxFds = 1u << 16;
  std::map<uint32_t, FdEntry> fds_;
};

struct State {
  std::vector<std::string> args;
  std::vector<std::string> env;
  FdTable fds;

  /// Sets up stdio (0, 1, 2, duplicated from the config's host fds), one
  /// preopen per mount from fd 3 in order, then the virtual /dev unless a
  /// mount already provides "/dev".
  static std::expected<std::unique_ptr<State>, std::string> create(const Config& config);
};

}  // namespace wasipy::wasi
