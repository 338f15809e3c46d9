// One double through snprintf (see CFormat.h for why).
#include "CFormat.h"

#include <stdio.h>

int cformat_double(char *buffer, int size, const char *format, double value) {
    return snprintf(buffer, (size_t)size, format, value);
}
