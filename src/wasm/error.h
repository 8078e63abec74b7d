#pragma once
// Errors as values for every stage that reads or checks a module.
#include <cstddef>
#include <expected>
#include <string>
#include <string_view>

#include <fmt/format.h>

/// Unwraps an Expected into `var`, or returns its error from the enclosing
/// function (which returns some Expected<U>).
#define WASIPY_TRY(var, expr)                                             \
  auto var##_result = (expr);                                      \
  if (!var##_result) return std::unexpected(var##_result.error()); \
  auto var = *var##_result

/// Returns the error of an Expected from the enclosing function, if it holds one.
#define WASIPY_CHECK(expr)                                                  \
  do {                                                               \
    auto check_result = (expr);                                      \
    if (!check_result) return std::unexpected(check_result.error()); \
  } while (0)

namespace wasipy::wasm {

/// Which rule of the spec a rejection belongs to; the spec runner matches
/// assert_malformed / assert_invalid / unsupported features on this.
enum class ErrorKind { Malformed, Invalid, Unsupported };

struct Error {
  ErrorKind kind = ErrorKind::Malformed;
  std::string message;  ///< one line: "<section> at byte offset N: <rule broken>"
};

template <class T>
using Expected = std::expected<T, Error>;

/// A name taken from a module (export, import, name section), made safe for
/// a one-line message: control characters, backslashes and quotes escaped.
std::string printable(std::string_view name);

inline std::unexpected<Error> fail(ErrorKind kind, std::string message) {
  return std::unexpected(Error{kind, std::move(message)});
}

template <class... Args>
std::unexpected<Error> malformed(size_t offset, fmt::format_string<Args...> f, Args&&... args) {
  return fail(ErrorKind::Malformed,
              fmt::format("at byte offset {}: {}", offset, fmt::format(f, std::forward<Args>(args)...)));
}

template <class... Args>
std::unexpected<Error> invalid(size_t offset, fmt::format_string<Args...> f, Args&&... args) {
  return fail(ErrorKind::Invalid,
              fmt::format("at byte offset {}: {}", offset, fmt::format(f, std::forward<Args>(args)...)));
}

}  // namespace wasipy::wasm
