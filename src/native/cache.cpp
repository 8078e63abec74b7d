#include "native/cache.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>
#include <sstream>

#include <fmt/format.h>
#include <xxhash.h>

#include "native/translate.h"

namespace wasipy::native {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kSumMagic = "wasipy-native-artifact 1";

std::string hex64(uint64_t v) { return fmt::format("{:016x}", v); }

struct FileHash {
  uint64_t size = 0;
  uint64_t xxh3 = 0;
  struct stat identity {};  ///< fstat of the file hashed, taken before hashing
  bool settled = false;     ///< see settled() below, as of that fstat
};

// A file's identity (size, mtime and ctime in nanoseconds) vouches for its
// content only if the file was last changed a while before the identity was
// taken: timestamps come from a coarse clock (and some file systems keep
// whole seconds), so a write within the same tick as the one before it can
// leave all three unchanged. Git calls such entries "racily clean".
bool settled(const struct stat& st, const struct timespec& now) {
  constexpr int64_t kSettleNs = 2'000'000'000;
  int64_t changed = int64_t(st.st_ctim.tv_sec) * 1'000'000'000 + st.st_ctim.tv_nsec;
  int64_t at = int64_t(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
  return at - changed >= kSettleNs;
}

// Hash of a file's bytes, read through a private mapping.
std::expected<FileHash, std::string> hash_file(const fs::path& p) {
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::unexpected(fmt::format("cannot open {}: {}", p.string(), std::strerror(errno)));
  FileHash r;
  fstat(fd, &r.identity);
  struct timespec now {};
  clock_gettime(CLOCK_REALTIME, &now);
  r.settled = settled(r.identity, now);
  r.size = uint64_t(r.identity.st_size);
  r.xxh3 = XXH3_64bits(nullptr, 0);
  if (r.size > 0) {
    void* m = mmap(nullptr, r.size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) {
      ::close(fd);
      return std::unexpected(fmt::format("cannot map {}: {}", p.string(), std::strerror(errno)));
    }
    r.xxh3 = XXH3_64bits(m, r.size);
    munmap(m, r.size);
  }
  ::close(fd);
  return r;
}

// Records in DIR/hashes/, one per file (device and inode): the file's
// identity when it was read, and what was learnt from reading it (a module's
// hash, or that a cache entry matched its checksum). A record holds while
// the identity does; a file that is rewritten, truncated or replaced has a
// new ctime (which cannot be set back) or inode.
fs::path record_path(const fs::path& dir, const struct stat& st) {
  return dir / "hashes" / fmt::format("{:x}-{:x}", uint64_t(st.st_dev), uint64_t(st.st_ino));
}
std::string file_stamp(const struct stat& st) {
  return fmt::format("{} {}.{:09} {}.{:09}", uint64_t(st.st_size), st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
                     st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
}
std::optional<std::string> recalled(const fs::path& dir, const struct stat& st) {
  std::ifstream in(record_path(dir, st));
  std::string stamp, what;
  if (!std::getline(in, stamp) || !std::getline(in, what) || stamp != file_stamp(st)) return std::nullopt;
  return what;
}
std::expected<void, std::string> write_atomically(const fs::path& target, const std::string& text);
// Best effort: without the record the file is read again next time.
void record(const fs::path& dir, const struct stat& st, std::string_view what) {
  std::error_code ec;
  fs::create_directories(dir / "hashes", ec);
  (void)write_atomically(record_path(dir, st), fmt::format("{}\n{}\n", file_stamp(st), what));
}

fs::path sum_path(const fs::path& so) {
  fs::path s = so;
  return s.replace_extension(".sum");
}

// An exclusive lock on a file, held for the object's lifetime.
class FileLock {
 public:
  explicit FileLock(const fs::path& p) : fd_(::open(p.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)) {
    if (fd_ >= 0) {
      while (flock(fd_, LOCK_EX) != 0 && errno == EINTR) {
      }
    }
  }
  ~FileLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool ok() const { return fd_ >= 0; }

 private:
  int fd_;
};

std::expected<void, std::string> write_atomically(const fs::path& target, const std::string& text) {
  fs::path tmp = target;
  tmp += fmt::format(".tmp{}", getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) return std::unexpected(fmt::format("cannot write {}", tmp.string()));
  }
  std::error_code ec;
  fs::rename(tmp, target, ec);
  if (ec) return std::unexpected(fmt::format("cannot rename {}: {}", tmp.string(), ec.message()));
  return {};
}

constexpr std::string_view kProfileMagic = "wasipy-profile 1";

// How a build uses training (see cache.h, "Training").
struct ProfileUse {
  enum { None, Instrument, Use } mode = None;
  fs::path dir;                   ///< profile_dir(cache, key)
  std::optional<Profile> profile;  ///< with Use
};

// Compiles into a fresh folder inside `parent`, named after `stem` (the
// cache entry's name); the shared object stays there.
std::expected<fs::path, std::string> compile_into(const wasm::Module& module, const std::string& key,
                                                  const std::string& stem, const Toolchain& tc,
                                                  const ObtainOptions& opts, const fs::path& parent,
                                                  const ProfileUse& training) {
  if (module.deferred_code) return std::unexpected("internal error: the module's function bodies were never decoded");
  std::error_code ec;
  fs::create_directories(parent, ec);
  // Named by the entry, so that clear_cache can tell (by the entry's lock)
  // whether a process is still compiling here.
  std::string templ = (parent / (stem + ".build-XXXXXX")).string();
  if (!mkdtemp(templ.data())) {
    return std::unexpected(fmt::format("cannot create a build folder in {}: {}", parent.string(), std::strerror(errno)));
  }
  fs::path work = fs::canonical(templ, ec);
  if (ec) work = templ;
  unsigned jobs = opts.jobs ? opts.jobs : unsigned(std::max(1L, sysconf(_SC_NPROCESSORS_ONLN)));
  uint64_t code_bytes = 0;
  for (const auto& f : module.functions) code_bytes += f.body_end - f.body_start;
  // Small modules make one unit (one compiler start); large ones about
  // 24 KiB of wasm per unit, but at least two per core for balance.
  unsigned units = code_bytes < 64 * 1024 ? 1 : std::max<unsigned>(2 * jobs, unsigned(code_bytes / (24 * 1024)));
  units = std::min(units, 256u);
  // Counts are per unit: a training run and the builds that use its counts
  // split the module alike, whatever the core count says.
  if (training.mode == ProfileUse::Use) units = training.profile->units;
  if (training.mode == ProfileUse::Instrument) {
    fs::create_directories(training.dir, ec);
    std::ifstream in(training.dir / "units");
    unsigned before = 0;
    if (in >> before && before > 0) units = before;
    auto wrote = write_atomically(training.dir / "units", fmt::format("{}\n", units));
    if (!wrote) {
      fs::remove_all(work, ec);
      return std::unexpected(wrote.error());
    }
  }
  auto translation = translate(module, key, units);
  if (!translation) {
    fs::remove_all(work, ec);
    return std::unexpected(translation.error());
  }
  bool show = opts.progress && code_bytes >= 256 * 1024 && isatty(2);
  auto start = std::chrono::steady_clock::now();
  if (opts.progress && code_bytes >= 256 * 1024) {
    fmt::print(stderr, "wasipy: compiling {} to native code ({} units, {} jobs{})...\n", opts.label,
               translation->units.size(), jobs,
               training.mode == ProfileUse::Instrument ? ", instrumented for training"
               : training.mode == ProfileUse::Use      ? ", guided by its training profile"
                                                       : "");
  }
  BuildOptions bo;
  bo.jobs = jobs;
  bo.optimize = code_bytes >= tc.large_code_bytes ? tc.optimize_large : tc.optimize_small;
  const std::string prefix = "-fprofile-prefix-path=" + work.string();
  if (training.mode == ProfileUse::Instrument) {
    // One guest thread: plain counter updates suffice.
    bo.unit_flags = {"-fprofile-generate=" + training.dir.string(), prefix, "-fprofile-update=single"};
    // The engine writes the counts itself (NativeEngine::save_training):
    // link gcc's functions for that even though no unit calls them.
    bo.link_flags = {"-fprofile-generate", "-Wl,-u,__gcov_dump", "-Wl,-u,__gcov_reset"};
  } else if (training.mode == ProfileUse::Use) {
    // A guest that exits from deep inside (proc_exit, a trap) leaves counts
    // that do not add up along every path: -fprofile-correction smooths
    // them. Code the training never ran is optimized as without a profile
    // (-fprofile-partial-training), not for size.
    bo.unit_flags = {"-fprofile-use=" + training.dir.string(), prefix, "-fprofile-correction",
                     "-fprofile-partial-training", "-Wno-missing-profile", "-Wno-coverage-mismatch"};
  }
  if (show) {
    bo.progress = [&](size_t done, size_t total) {
      fmt::print(stderr, "\r  {}/{} units compiled", done, total);
      if (done == total) fmt::print(stderr, "\n");
    };
  }
  fs::path so = work / "module.so";
  auto built = build_shared_object(tc, translation->units, work, so, bo);
  if (!built) {
    fs::remove_all(work, ec);
    return std::unexpected(built.error());
  }
  if (opts.progress && code_bytes >= 256 * 1024) {
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    fmt::print(stderr, "wasipy: compiled {} in {:.1f} s\n", opts.label, secs);
  }
  return so;
}

}  // namespace

fs::path default_cache_dir() {
  if (const char* dir = std::getenv("WASIPY_CACHE_DIR"); dir && *dir) return fs::path(dir) / "native";
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return fs::path(xdg) / "wasipy" / "native";
  const char* home = std::getenv("HOME");
  return fs::path(home && *home ? home : "/tmp") / ".cache" / "wasipy" / "native";
}

std::string module_hash(std::span<const uint8_t> bytes) {
  XXH128_hash_t h = XXH3_128bits(bytes.data(), bytes.size());
  return hex64(h.high64) + hex64(h.low64);
}

fs::path profile_dir(const fs::path& cache_dir, std::string_view key) {
  return cache_dir / "profiles" / std::string(key);
}

std::optional<Profile> stored_profile(const fs::path& cache_dir, std::string_view key) {
  std::ifstream in(profile_dir(cache_dir, key) / "profile");
  std::string magic, units_word, id_word;
  Profile p;
  if (!std::getline(in, magic) || magic != kProfileMagic) return std::nullopt;
  if (!(in >> units_word >> p.units >> id_word >> p.id) || units_word != "units" || id_word != "id" || p.units == 0) {
    return std::nullopt;
  }
  return p;
}

std::expected<Profile, std::string> seal_profile(const fs::path& cache_dir, std::string_view key) {
  fs::path dir = profile_dir(cache_dir, key);
  Profile p;
  {
    std::ifstream in(dir / "units");
    if (!(in >> p.units) || p.units == 0) return std::unexpected(fmt::format("no training counts in {}", dir.string()));
  }
  std::vector<fs::path> counts;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".gcda") counts.push_back(e.path());
  }
  if (counts.empty()) return std::unexpected(fmt::format("the training run left no counts in {}", dir.string()));
  std::sort(counts.begin(), counts.end());
  XXH3_state_t* state = XXH3_createState();
  XXH3_64bits_reset(state);
  for (const auto& c : counts) {
    std::ifstream in(c, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::string name = c.filename().string();
    XXH3_64bits_update(state, name.data(), name.size() + 1);
    XXH3_64bits_update(state, bytes.data(), bytes.size());
  }
  p.id = hex64(XXH3_64bits_digest(state));
  XXH3_freeState(state);
  auto wrote = write_atomically(dir / "profile", fmt::format("{}\nunits {}\nid {}\n", kProfileMagic, p.units, p.id));
  if (!wrote) return std::unexpected(wrote.error());
  return p;
}

std::optional<Profile> profile_to_use(const ObtainOptions& opts, const Toolchain& tc, std::string_view key) {
  if (!opts.use_profile || !tc.profile_guided) return std::nullopt;
  return stored_profile(opts.cache_dir, key);
}

std::string entry_stem(std::string_view key, const std::optional<Profile>& profile) {
  return profile ? fmt::format("{}-pgo{}", key, profile->id) : std::string(key);
}

std::string cache_key(std::string_view module_hash, const Toolchain& tc) {
  std::string tool = std::string(translator_id()) + "\n" + tc.identity;
  return fmt::format("{}-{}", module_hash, hex64(XXH3_64bits(tool.data(), tool.size())));
}

std::expected<void, std::string> verify_entry(const fs::path& so) {
  std::ifstream in(sum_path(so));
  if (!in) return std::unexpected("its checksum file is missing");
  std::string magic, size_word, hash_word;
  uint64_t want_size = 0;
  std::getline(in, magic);
  in >> size_word >> want_size >> hash_word;
  std::string want_hash;
  in >> want_hash;
  if (magic != kSumMagic || size_word != "size" || hash_word != "xxh3") {
    return std::unexpected("its checksum file is not one this wasipy writes");
  }
  // Hashing the whole shared object (8.7 MB for python.wasm) is a tenth of
  // a small program's start: once it matched, a record of the file's
  // identity stands for it until the file changes (see record()). What
  // keeps the identity (a disk's bit rot) goes unnoticed from then on.
  const std::string verified = fmt::format("shared object matches xxh3 {}", want_hash);
  struct stat st {};
  if (::stat(so.c_str(), &st) == 0 && uint64_t(st.st_size) == want_size && recalled(so.parent_path(), st) == verified) {
    return {};
  }
  auto got = hash_file(so);
  if (!got) return std::unexpected(got.error());
  if (got->size != want_size) {
    return std::unexpected(fmt::format("it has {} bytes, {} expected (truncated or replaced)", got->size, want_size));
  }
  if (hex64(got->xxh3) != want_hash) return std::unexpected("its content does not match its checksum (corrupted)");
  if (got->settled) record(so.parent_path(), got->identity, verified);
  return {};
}

std::expected<Artifact, std::string> obtain(const wasm::Module& module, std::string_view mhash, const Toolchain& tc,
                                            const ObtainOptions& opts) {
  std::string key = cache_key(mhash, tc);
  ProfileUse training;
  training.dir = profile_dir(opts.cache_dir, key);
  if (opts.instrument) {
    if (!tc.profile_guided) {
      return std::unexpected(fmt::format("training needs gcc as the C compiler, and {} is not gcc", tc.compiler));
    }
    training.mode = ProfileUse::Instrument;
    fs::path tmp_parent = fs::temp_directory_path() / "wasipy-native";
    auto so = compile_into(module, key, key + "-train", tc, opts, tmp_parent, training);
    if (!so) return std::unexpected(so.error());
    Artifact a;
    a.shared_object = *so;
    a.key = key;
    a.compiled_now = a.temporary = a.instrumented = true;
    return a;
  }
  training.profile = profile_to_use(opts, tc, key);
  if (training.profile) training.mode = ProfileUse::Use;
  const std::string stem = entry_stem(key, training.profile);
  if (!opts.use_cache) {
    fs::path tmp_parent = fs::temp_directory_path() / "wasipy-native";
    auto so = compile_into(module, key, stem, tc, opts, tmp_parent, training);
    if (!so) return std::unexpected(so.error());
    Artifact a;
    a.shared_object = *so;
    a.key = key;
    a.compiled_now = a.temporary = true;
    a.profile = training.profile;
    return a;
  }

  std::error_code ec;
  fs::create_directories(opts.cache_dir, ec);
  if (ec) return std::unexpected(fmt::format("cannot create the code cache {}: {}", opts.cache_dir.string(), ec.message()));
  fs::path so = opts.cache_dir / (stem + ".so");
  Artifact found;
  found.shared_object = so;
  found.key = key;
  found.profile = training.profile;

  // The common case: a complete entry, checked without taking the lock.
  std::string refused;
  if (fs::exists(so, ec) || fs::exists(sum_path(so), ec)) {
    auto ok = verify_entry(so);
    if (ok) return found;
    refused = ok.error();
  }

  FileLock lock(opts.cache_dir / (stem + ".lock"));
  if (!lock.ok()) return std::unexpected(fmt::format("cannot lock the code cache in {}", opts.cache_dir.string()));
  // Another process may have filled the entry while this one waited.
  if (fs::exists(sum_path(so), ec)) {
    auto ok = verify_entry(so);
    if (ok) return found;
    refused = ok.error();
  }
  if (!refused.empty()) {
    fmt::print(stderr, "wasipy: refusing cached native code {}: {}; recompiling\n", so.string(), refused);
  }
  auto built = compile_into(module, key, stem, tc, opts, opts.cache_dir / "tmp", training);
  if (!built) return std::unexpected(built.error());
  auto hashed = hash_file(*built);
  if (!hashed) return std::unexpected(hashed.error());
  fs::rename(*built, so, ec);
  if (ec) return std::unexpected(fmt::format("cannot move the compiled module into {}: {}", so.string(), ec.message()));
  fs::remove_all(built->parent_path(), ec);
  auto wrote = write_atomically(sum_path(so), fmt::format("{}\nsize {}\nxxh3 {}\n", kSumMagic, hashed->size,
                                                          hex64(hashed->xxh3)));
  if (!wrote) return std::unexpected(wrote.error());
  found.compiled_now = true;
  return found;
}

std::optional<std::string> remembered_hash(const fs::path& dir, const struct stat& st) {
  auto hash = recalled(dir, st);
  if (!hash || hash->size() != 32) return std::nullopt;
  return hash;
}

void remember_hash(const fs::path& dir, const struct stat& st, std::string_view hash) {
  struct timespec now {};
  clock_gettime(CLOCK_REALTIME, &now);
  if (settled(st, now)) record(dir, st, hash);
}

std::expected<uint64_t, std::string> clear_cache(const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return uint64_t(0);
  uint64_t freed = 0;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    fs::path p = e.path();
    if (p.extension() != ".so") continue;
    // Hold the entry's lock so a process filling it is not cut short.
    fs::path lock_path = p;
    lock_path.replace_extension(".lock");
    FileLock lock(lock_path);
    freed += fs::file_size(p, ec);
    fs::remove(p, ec);
    fs::remove(sum_path(p), ec);
    fs::remove(lock_path, ec);
  }
  // Leftovers of interrupted compiles (a crash or Ctrl-C mid-build), unless
  // the compile is still running: its process holds the key's lock.
  for (const auto& e : fs::directory_iterator(dir / "tmp", ec)) {
    std::string name = e.path().filename().string();
    std::string key = name.substr(0, name.find(".build-"));
    int fd = ::open((dir / (key + ".lock")).c_str(), O_RDWR | O_CLOEXEC);
    bool busy = fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) != 0;
    if (fd >= 0) ::close(fd);
    if (!busy) fs::remove_all(e.path(), ec);
  }
  ec.clear();
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    // Training counts go too: they are only as good as the code they
    // were counted on, which is gone.
    if (e.path().extension() == ".sum" || e.path().filename() == "hashes" || e.path().filename() == "profiles") {
      freed += e.is_regular_file() ? e.file_size() : 0;
      fs::remove_all(e.path(), ec);
    }
  }
  if (ec) return std::unexpected(fmt::format("cannot clear {}: {}", dir.string(), ec.message()));
  return freed;
}

}  // namespace wasipy::native
