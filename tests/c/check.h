/* A tiny test harness for the C tests: a case is a function run by RUN();
 * it passes when none of its checks failed. Failed checks are reported with
 * the library's last error; the program ends with "NAME: N passed, M failed
 * (K checks)", N and M counting cases. */
#ifndef SIOH_TEST_CHECK_H
#define SIOH_TEST_CHECK_H

#include <stdio.h>
#include <string.h>

#include "socketio_history.h"

static int checks_passed;
static int checks_failed;
static int cases_passed;
static int cases_failed;

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

#define RUN(test)                                                 \
    do {                                                          \
        int failed_before_ = checks_failed;                       \
        test();                                                   \
        if (checks_failed == failed_before_) {                    \
            cases_passed++;                                       \
        } else {                                                  \
            cases_failed++;                                       \
            fprintf(stderr, "case %s failed\n", #test);           \
        }                                                         \
    } while (0)

static int finish(const char *name) {
    printf("%s: %d passed, %d failed (%d checks)\n", name, cases_passed, cases_failed,
           checks_passed + checks_failed);
    return checks_failed == 0 && cases_failed == 0 ? 0 : 1;
}

#endif
