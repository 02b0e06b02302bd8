/* A tiny test harness for the C tests: counts checks, reports failures with
 * the library's last error, and ends with "NAME: N passed, M failed". */
#ifndef SIOH_TEST_CHECK_H
#define SIOH_TEST_CHECK_H

#include <stdio.h>
#include <string.h>

#include "socketio_history.h"

static int checks_passed;
static int checks_failed;

#define S(literal) (literal), strlen(literal)

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (cond) {                                                                  \
            checks_passed++;                                                         \
        } else {                                                                     \
            checks_failed++;                                                         \
            fprintf(stderr, "%s:%d: CHECK(%s) failed (last error: %s)\n", __FILE__, \
                    __LINE__, #cond, sioh_last_error_message());                     \
        }                                                                            \
    } while (0)

#define CHECK_STATUS(call, want)                                                      \
    do {                                                                              \
        sioh_status got_ = (call);                                                    \
        if (got_ == (sioh_status)(want)) {                                            \
            checks_passed++;                                                          \
        } else {                                                                      \
            checks_failed++;                                                          \
            fprintf(stderr, "%s:%d: %s returned %u (%s), want %u (last error: %s)\n", \
                    __FILE__, __LINE__, #call, (unsigned)got_,                        \
                    sioh_status_message(got_), (unsigned)(want),                      \
                    sioh_last_error_message());                                       \
        }                                                                             \
    } while (0)

#define CHECK_OK(call) CHECK_STATUS(call, SIOH_STATUS_OK)

static int finish(const char *name) {
    printf("%s: %d passed, %d failed\n", name, checks_passed, checks_failed);
    return checks_failed == 0 ? 0 : 1;
}

#endif
