// printf-style formatting of one double, for the simulator's ngspice-compatible listings.
//
// Why a shim: Swift reaches vsnprintf only through `CVarArg` (`withVaList`, `String(format:)`), whose
// first use casts the argument to internal protocols at run time, and in the static `miller` binary that
// first cast scans every protocol conformance (~0.2 ms of a 4 ms small-deck run).
#ifndef MILLER_CFORMAT_H
#define MILLER_CFORMAT_H

/// Writes `value` with the printf `format` (one double conversion, e.g. "%.6e") into `buffer`; returns
/// what snprintf returns (the untruncated length, or a negative value on error).
int cformat_double(char *buffer, int size, const char *format, double value);

#endif
