#pragma once
// The native tier: runs modules as machine code built by the system C
// compiler from the translator's output, loaded from the code cache.
#include <sys/stat.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "native/abi.h"
#include "native/cache.h"
#include "native/toolchain.h"
#include "runtime/engine.h"

namespace wasipy::native {

struct NativeLimits {
  /// The guest thread's machine stack (reserved, touched lazily). Running
  /// out of it is "call stack exhausted"; 256 MiB holds far more wasm frames
  /// than the interpreter's 200,000 (CPython's eval loop frame is ~400 bytes).
  uint64_t stack_bytes = uint64_t(256) << 20;
  /// Frames kept in a trap's backtrace, innermost first: the interpreter's
  /// deepest backtrace (its depth limit plus the entry frame), so a runaway
  /// recursion reads the same on both tiers.
  size_t max_backtrace_frames = 200001;
};

/// Which function a native code address starts, for backtraces. Filled per
/// instance by appending (10,000 functions for CPython: no node apiece) and
/// sorted when first searched after that; among equal addresses (two
/// instances of one module) the first added is found.
class CodeIndex {
 public:
  void reserve(size_t more) { entries_.reserve(entries_.size() + more); }
  void add(const void* code, const runtime::FuncInstance* f) { entries_.emplace_back(code, f); }
  /// The function whose code starts at `code`, or null.
  const runtime::FuncInstance* find(const void* code);

 private:
  std::vector<std::pair<const void*, const runtime::FuncInstance*>> entries_;
  size_t sorted_ = 0;  ///< entries_[0, sorted_) are in order
};

class NativeEngine final : public runtime::Engine {
 public:
  NativeEngine(Toolchain toolchain, ObtainOptions options = {}, NativeLimits limits = {});
  ~NativeEngine() override;

  std::expected<void, std::string> prepare(runtime::Instance& instance,
                                           std::span<const wasm::FunctionInfo> info) override;
  std::optional<runtime::Trap> call(runtime::Store& store, runtime::FuncInstance& f,
                                    std::span<runtime::RawValue> io) override;

  /// Makes sure the cache holds verified code for `module` (compiling it if
  /// not); what `wasipy compile` does.
  std::expected<Artifact, std::string> compile(const wasm::Module& module);
  /// Whether verified code for `module` is in the cache already: a module
  /// that has it was validated when it was compiled, so loading can skip
  /// validation (the key covers every byte of the module). When it does,
  /// the code is loaded already: prepare() reads nothing else of the module
  /// but its function count.
  bool has_cached_code(const std::shared_ptr<const wasm::Module>& module);
  /// Tells the engine which file `module` was read from, so that its content
  /// hash comes from the cache's memory of that file (same device, inode,
  /// size, mtime and ctime) instead of hashing every byte again.
  void note_module_file(const std::shared_ptr<const wasm::Module>& module, const struct stat& file);

  /// After a training run (ObtainOptions::instrument): writes the counts of
  /// every instrumented module run and seals them as its profile, which the
  /// next compile of that module uses. One Profile per module.
  std::expected<std::vector<Profile>, std::string> save_training();

  const Toolchain& toolchain() const { return toolchain_; }
  /// How compile messages name the module ("python.wasm").
  void set_module_label(std::string label) { options_.label = std::move(label); }

  struct Library;

 private:
  std::string hash_of(const std::shared_ptr<const wasm::Module>& module);
  std::expected<std::shared_ptr<Library>, std::string> library_for(const std::shared_ptr<const wasm::Module>& module);

  Toolchain toolchain_;
  ObtainOptions options_;
  NativeLimits limits_;
  /// Native code address -> a function with that code, for backtraces.
  CodeIndex functions_by_code_;
  /// Content hashes of modules seen (hashing python.wasm costs milliseconds).
  std::map<const wasm::Module*, std::pair<std::weak_ptr<const wasm::Module>, std::string>> hashes_;
  std::map<std::string, std::shared_ptr<Library>> libraries_;  // by cache key
};

}  // namespace wasipy::native
