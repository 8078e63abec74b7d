#pragma once
// The on-disk code cache: one shared object per (module bytes, translator,
// compiler and flags), verified before it is ever loaded.
//
// An entry is KEY.so plus KEY.sum (its size and content hash). Both are
// written under a temporary name and renamed into place, .so first, so a
// reader never sees a half-written entry; an exclusive lock on KEY.lock makes
// two processes that miss at once compile only once. An entry whose .sum does
// not match its .so (truncated, corrupted, written by another version) is
// refused, said so, and rebuilt. A .so that matched is not hashed again while
// its identity (device, inode, size, mtime, ctime) stays the same: see
// verify_entry.
#include <sys/stat.h>

#include <cstdint>
#include <optional>
#include <expected>
#include <filesystem>
#include <span>
#include <string>

#include "native/toolchain.h"
#include "wasm/module.h"

namespace wasipy::native {

/// ${WASIPY_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/wasipy}/native
std::filesystem::path default_cache_dir();

/// Hex of the module's 128-bit content hash.
std::string module_hash(std::span<const uint8_t> bytes);

/// The cache key: the module's hash, and a hash of the translator's identity
/// and the toolchain's (compiler, its flags, the architecture).
std::string cache_key(std::string_view module_hash, const Toolchain& tc);

/// Training: profile-guided optimization, with gcc. A training run executes
/// an instrumented build of the module (never cached), whose counts land in
/// CACHE/profiles/KEY/, one .gcda file per unit, added up over runs; sealing
/// them then writes CACHE/profiles/KEY/profile (the unit count and a hash of
/// the counts). From then on the module's cache entry is built with those
/// counts (gcc -fprofile-use: hot paths laid out and allocated first) and
/// named KEY-pgoID, so that more training makes a new entry. The counts hold
/// only for the translator and compiler in KEY; another KEY starts without.
struct Profile {
  unsigned units = 0;  ///< the translation's unit count (the counts are per unit)
  std::string id;      ///< hash of the counts
};
std::filesystem::path profile_dir(const std::filesystem::path& cache_dir, std::string_view key);
/// The sealed profile for KEY, if any.
std::optional<Profile> stored_profile(const std::filesystem::path& cache_dir, std::string_view key);
/// Hashes the counts a training run left for KEY and records them as its
/// profile (atomically: a reader sees the old profile or the new one).
std::expected<Profile, std::string> seal_profile(const std::filesystem::path& cache_dir, std::string_view key);

struct ObtainOptions {
  std::filesystem::path cache_dir = default_cache_dir();
  bool use_cache = true;     ///< false: compile into a private temp folder, keep nothing
  unsigned jobs = 0;         ///< 0: one compiler per core
  std::string label;         ///< how messages name the module ("python.wasm")
  bool progress = true;      ///< show progress on stderr for long compiles
  bool use_profile = true;   ///< build with the module's stored profile, if any (gcc)
  bool instrument = false;   ///< a private instrumented build for training (gcc only)
};

/// The profile a build of KEY follows with these options and compiler, if any.
std::optional<Profile> profile_to_use(const ObtainOptions& opts, const Toolchain& tc, std::string_view key);
/// The cache entry's name: KEY, or KEY-pgoID when built with that profile.
std::string entry_stem(std::string_view key, const std::optional<Profile>& profile);

struct Artifact {
  std::filesystem::path shared_object;
  std::string key;
  bool compiled_now = false;   ///< false when it came from the cache
  bool temporary = false;      ///< delete after loading (use_cache == false)
  bool instrumented = false;   ///< counts a training run (ObtainOptions::instrument)
  std::optional<Profile> profile;  ///< the profile it was built with
};

/// A verified shared object for `module`, from the cache or compiled now.
std::expected<Artifact, std::string> obtain(const wasm::Module& module, std::string_view module_hash,
                                            const Toolchain& tc, const ObtainOptions& opts);

/// Checks a cache entry's .so against its .sum; the error says what differs.
/// A match is remembered in the cache's hashes/ folder by the .so's identity
/// (as for remembered_hash), and the .so is hashed again only when that
/// changes: every write, truncation or replacement does. Damage that keeps
/// the identity (bit rot on the disk) goes unnoticed after the first match.
std::expected<void, std::string> verify_entry(const std::filesystem::path& shared_object);

/// The content hash remembered for the file `st` describes, if that file
/// (device and inode) was hashed before and its size, mtime and ctime (in
/// nanoseconds; ctime changes on every write and cannot be set back) are
/// unchanged since. Kept in DIR/hashes/. A file changed less than two
/// seconds before is not remembered: a second write within the same tick of
/// the file system's clock could leave all of that unchanged.
std::optional<std::string> remembered_hash(const std::filesystem::path& dir, const struct stat& st);
void remember_hash(const std::filesystem::path& dir, const struct stat& st, std::string_view hash);

/// Removes every entry (and leftovers of interrupted compiles) that no
/// process is filling right now. Returns how many bytes were freed.
std::expected<uint64_t, std::string> clear_cache(const std::filesystem::path& dir);

}  // namespace wasipy::native
