/*
 * host.h - forced include for hypervisor sources compiled on the host (unit
 * tests, host tools).  The hypervisor's string functions get their own names
 * so that the tests exercise them rather than the C library's.
 */
#ifndef TERN_SHIM_HOST_H
#define TERN_SHIM_HOST_H

#define TERN_HOST 1
#include "compiler.h"

#define strlen      tern_strlen
#define strnlen     tern_strnlen
#define strcmp      tern_strcmp
#define strncmp     tern_strncmp
#define strchr      tern_strchr
#define strlcpy     tern_strlcpy
#define vsnprintf   tern_vsnprintf
#define snprintf    tern_snprintf

#endif
