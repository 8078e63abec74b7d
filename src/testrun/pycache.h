#pragma once
// The bytecode caches of `wasipy test`: $WASIPY_CACHE_DIR/pycache/KEY, one per
// project folder and guest environment, kept between runs. Each holds a stamp
// saying whose it is (wasipy-pycache.txt, its mtime the last use) and a lock
// file that a run holds shared while it uses the cache; pruning removes the
// caches whose project or environment is gone or that were not used for a
// while, and never one that a run holds.
#include <chrono>
#include <expected>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace wasipy::testrun {

inline constexpr const char* kPycacheStamp = "wasipy-pycache.txt";
inline constexpr const char* kPycacheLock = "wasipy-pycache.lock";

/// A bytecode cache in use: a shared lock on its lock file until destroyed.
class PycacheLease {
 public:
  PycacheLease() = default;
  PycacheLease(std::filesystem::path dir, int fd) : dir_(std::move(dir)), fd_(fd) {}
  PycacheLease(PycacheLease&& o) noexcept : dir_(std::move(o.dir_)), fd_(std::exchange(o.fd_, -1)) {}
  PycacheLease& operator=(PycacheLease&& o) noexcept;
  PycacheLease(const PycacheLease&) = delete;
  PycacheLease& operator=(const PycacheLease&) = delete;
  ~PycacheLease();
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  int fd_ = -1;
};

/// Creates (or opens) `pycache_root/key`, locks it shared, and stamps it with
/// the project folder and the environment it belongs to, used now.
std::expected<PycacheLease, std::string> use_pycache(const std::filesystem::path& pycache_root, const std::string& key,
                                                     const std::filesystem::path& project,
                                                     const std::filesystem::path& env_root);

struct Pruned {
  std::filesystem::path dir;
  std::string reason;  ///< "project gone", "environment gone", "unused for 45 days"
};

/// Removes the caches under `pycache_root` whose project folder or
/// environment no longer exists, or that were last used more than `max_age`
/// before `now` (a cache without a stamp, from an older wasipy, by its
/// folder's mtime). A cache that a run holds is skipped, whatever its state.
std::vector<Pruned> prune_pycaches(const std::filesystem::path& pycache_root, std::chrono::hours max_age,
                                   std::filesystem::file_time_type now = std::filesystem::file_time_type::clock::now());

}  // namespace wasipy::testrun
