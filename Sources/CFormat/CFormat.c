// One value through snprintf (see CFormat.h for why).
#include "CFormat.h"

#include <stdio.h>

int cformat_double(char *buffer, int size, const char *format, double value) {
    return snprintf(buffer, (size_t)size, format, value);
}

int cformat_long(char *buffer, int size, const char *format, long long value) {
    return snprintf(buffer, (size_t)size, format, value);
}

int cformat_unsigned(char *buffer, int size, const char *format, unsigned long long value) {
    return snprintf(buffer, (size_t)size, format, value);
}

int cformat_string(char *buffer, int size, const char *format, const char *value) {
    return snprintf(buffer, (size_t)size, format, value);
}
