#pragma once
// Texts compiled into wasipy from files of this folder (see embed.cmake):
// the C that heads every generated unit, and the translator's identity.
#include <string_view>

namespace wasipy::native::texts {

std::string_view abi_h();
std::string_view prelude_h();
/// SHA-256 of abi.h, prelude.h and translate.cpp: changes whenever what the
/// translator emits may change, so it keys the code cache.
std::string_view translator_hash();

}  // namespace wasipy::native::texts
