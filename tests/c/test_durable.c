/* Durable stores through the C API (docs/CONTRACT.md, "Durable stores"):
 * sioh_store_open on a directory, what a reopened store holds, a second
 * opener, closing, and the options' checks. */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"

static char dir[] = "/tmp/sioh-test-durable-XXXXXX";

static sioh_store *open_at(const char *path, sioh_status want) {
    sioh_store_options o;
    sioh_store_options_init(&o);
    o.path = path;
    o.path_len = strlen(path);
    o.sync = SIOH_SYNC_ALWAYS;
    sioh_store *store = NULL;
    CHECK_STATUS(sioh_store_open(&o, &store), want);
    return store;
}

static void record(sioh_store *s, const char *json) {
    uint64_t seq;
    CHECK_OK(sioh_room_record(s, NULL, 0, S("r"), S("chat"), SIOH_PAYLOAD_KIND_JSON,
                              (const uint8_t *)json, strlen(json), NULL, &seq));
}

static void test_options_defaults(void) {
    sioh_store_options o;
    memset(&o, 0xab, sizeof o);
    sioh_store_options_init(&o);
    CHECK(o.max_total_bytes == 0 && o.clock == SIOH_CLOCK_PRECISE);
    CHECK(o.path == NULL && o.path_len == 0);
    CHECK(o.sync == SIOH_SYNC_INTERVAL && o.sync_interval == 1.0);
    sioh_store_options_init(NULL); /* no-op */
    /* No path: an in-memory store; sync and close do nothing. */
    sioh_store *s = NULL;
    CHECK_OK(sioh_store_open(&o, &s));
    CHECK_OK(sioh_store_sync(s));
    CHECK_OK(sioh_store_close(s));
    CHECK(sioh_store_journal_failures(s) == 0);
    sioh_store_free(s);
}

static void test_a_reopened_store_has_everything_back(void) {
    sioh_store *s = open_at(dir, SIOH_STATUS_OK);
    CHECK_OK(sioh_room_enable(s, NULL, 0, S("r"), NULL));
    record(s, "{\"n\":1}");
    record(s, "[2,\"two\"]");
    record(s, "\"three\"");
    sioh_stats before;
    CHECK_OK(sioh_room_stats(s, NULL, 0, S("r"), &before));
    sioh_store_free(s);

    s = open_at(dir, SIOH_STATUS_OK);
    sioh_stats after;
    CHECK_OK(sioh_room_stats(s, NULL, 0, S("r"), &after));
    CHECK(after.enabled && after.entries_count == 3 && after.last_seq == 3);
    CHECK(strcmp(after.epoch, before.epoch) == 0 && strlen(after.epoch) == 12);
    sioh_entries *entries = NULL;
    CHECK_OK(sioh_room_fetch(s, NULL, 0, S("r"), NULL, &entries));
    CHECK(sioh_entries_len(entries) == 3);
    sioh_entry e;
    CHECK_OK(sioh_entries_get(entries, 1, &e));
    CHECK(e.seq == 2 && e.payload_len == strlen("[2,\"two\"]"));
    CHECK(memcmp(e.payload, "[2,\"two\"]", e.payload_len) == 0);
    sioh_entries_free(entries);
    /* The seq goes on where it was. */
    record(s, "4");
    CHECK_OK(sioh_room_stats(s, NULL, 0, S("r"), &after));
    CHECK(after.last_seq == 4);
    sioh_store_free(s);
}

static void test_one_opener_at_a_time(void) {
    sioh_store *first = open_at(dir, SIOH_STATUS_OK);
    sioh_store *second = open_at(dir, SIOH_STATUS_STORAGE);
    CHECK(second == NULL);
    CHECK(strstr(sioh_last_error_message(), "already open in another process") != NULL);
    CHECK(strcmp(sioh_status_message(SIOH_STATUS_STORAGE), "the store's directory cannot be used") == 0);
    /* Closed: the directory is free, the store serves from memory. */
    CHECK_OK(sioh_store_close(first));
    CHECK_OK(sioh_store_close(first));
    second = open_at(dir, SIOH_STATUS_OK);
    record(first, "\"memory only\"");
    sioh_stats st;
    CHECK_OK(sioh_room_stats(first, NULL, 0, S("r"), &st));
    CHECK(st.last_seq == 5);
    CHECK_OK(sioh_room_stats(second, NULL, 0, S("r"), &st));
    CHECK(st.last_seq == 4);
    sioh_store_free(second);
    sioh_store_free(first);
}

static void test_bad_options(void) {
    sioh_store *s = NULL;
    CHECK_STATUS(sioh_store_open(NULL, &s), SIOH_STATUS_NULL_POINTER);
    sioh_store_options o;
    sioh_store_options_init(&o);
    CHECK_STATUS(sioh_store_open(&o, NULL), SIOH_STATUS_NULL_POINTER);
    o.sync = 7;
    CHECK_STATUS(sioh_store_open(&o, &s), SIOH_STATUS_INVALID_ARGUMENT);
    sioh_store_options_init(&o);
    o.sync_interval = 0.0;
    o.path = dir;
    o.path_len = strlen(dir);
    CHECK_STATUS(sioh_store_open(&o, &s), SIOH_STATUS_INVALID_ARGUMENT);
    o.sync_interval = -1.0;
    CHECK_STATUS(sioh_store_open(&o, &s), SIOH_STATUS_INVALID_ARGUMENT);
    sioh_store_options_init(&o);
    o.clock = 9;
    CHECK_STATUS(sioh_store_open(&o, &s), SIOH_STATUS_INVALID_ARGUMENT);
    /* A file where the directory should be, and a path that is no UTF-8. */
    char file[128];
    snprintf(file, sizeof file, "%s/a-file", dir);
    FILE *f = fopen(file, "w");
    CHECK(f != NULL);
    if (f) fclose(f);
    sioh_store_free(open_at(file, SIOH_STATUS_STORAGE));
    CHECK(strstr(sioh_last_error_message(), "is not a directory") != NULL);
    sioh_store_options_init(&o);
    o.path = "\xff\xfe";
    o.path_len = 2;
    CHECK_STATUS(sioh_store_open(&o, &s), SIOH_STATUS_INVALID_UTF8);
    CHECK_STATUS(sioh_store_sync(NULL), SIOH_STATUS_NULL_POINTER);
    CHECK_STATUS(sioh_store_close(NULL), SIOH_STATUS_NULL_POINTER);
    CHECK(sioh_store_journal_failures(NULL) == 0);
    CHECK(s == NULL);
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

int main(void) {
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_options_defaults);
    RUN(test_a_reopened_store_has_everything_back);
    RUN(test_one_opener_at_a_time);
    RUN(test_bad_options);
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    return finish("test_durable");
}
