// printf-style formatting of one value, for the simulator's ngspice-compatible listings and for
// `String(printf:)` (module Platform).
//
// Why a shim: Swift reaches vsnprintf only through `CVarArg` (`withVaList`, `String(format:)`), whose
// first use casts the argument to internal protocols at run time, and in the static `miller` binary that
// first cast scans every protocol conformance (~0.2 ms of a 4 ms small-deck run). Foundation's
// `String(format:)` is not used at all: linking Foundation costs every `miller` process ~2 ms.
#ifndef MILLER_CFORMAT_H
#define MILLER_CFORMAT_H

/// Writes `value` with the printf `format` (one double conversion, e.g. "%.6e") into `buffer`; returns
/// what snprintf returns (the untruncated length, or a negative value on error).
int cformat_double(char *buffer, int size, const char *format, double value);

/// As `cformat_double` for one `long long` conversion (e.g. "%5lld", "%llx").
int cformat_long(char *buffer, int size, const char *format, long long value);

/// As `cformat_double` for one `unsigned long long` conversion (e.g. "%llu").
int cformat_unsigned(char *buffer, int size, const char *format, unsigned long long value);

/// As `cformat_double` for one C-string conversion (e.g. "%-12s").
int cformat_string(char *buffer, int size, const char *format, const char *value);

#endif
