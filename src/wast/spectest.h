#pragma once
#include "runtime/instantiate.h"

namespace wasipy::wast {

/// Defines the spec tests' `spectest` host module in `linker`: the print
/// functions (which print nothing), the globals holding 666 / 666.6, a
/// funcref table of 10..20 elements and a memory of 1..2 pages.
/// Fails only when the host refuses the two pages of memory.
std::expected<void, std::string> define_spectest(runtime::Linker& linker, runtime::Store& store);

}  // namespace wasipy::wast
