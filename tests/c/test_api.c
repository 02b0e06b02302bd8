/* Every function of the C API, every status code, and the core's rules in
 * docs/CONTRACT.md, against the real libsocketio_history. */
#define _POSIX_C_SOURCE 199309L
#include <math.h>
#include <stdlib.h>
#include <time.h>

#include "check.h"

static sioh_store *new_store(size_t budget) {
    sioh_store *store = NULL;
    CHECK_OK(sioh_store_new(budget, &store));
    CHECK(store != NULL);
    return store;
}

static void enable(sioh_store *store, const char *room, const sioh_room_config *cfg) {
    CHECK_OK(sioh_room_enable(store, NULL, 0, room, strlen(room), cfg));
}

static sioh_status record_text(sioh_store *store, const char *room, const char *event,
                               const char *text, uint64_t *seq) {
    return sioh_room_record(store, NULL, 0, room, strlen(room), event, strlen(event),
                            SIOH_PAYLOAD_KIND_TEXT, (const uint8_t *)text, strlen(text), NULL,
                            seq);
}

static sioh_entries *fetch(sioh_store *store, const char *room, const sioh_query *q) {
    sioh_entries *entries = NULL;
    CHECK_OK(sioh_room_fetch(store, NULL, 0, room, strlen(room), q, &entries));
    return entries;
}

static sioh_entry entry_at(const sioh_entries *entries, size_t i) {
    sioh_entry e;
    memset(&e, 0, sizeof e);
    CHECK_OK(sioh_entries_get(entries, i, &e));
    return e;
}

/* The seqs of a result as "1,2,3" for compact comparisons. */
static const char *seqs(const sioh_entries *entries) {
    static char buf[512];
    size_t n = sioh_entries_len(entries), used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used < sizeof buf - 24; i++) {
        sioh_entry e = entry_at(entries, i);
        used += (size_t)snprintf(buf + used, sizeof buf - used, i ? ",%llu" : "%llu",
                                 (unsigned long long)e.seq);
    }
    return buf;
}

static sioh_stats stats_of(sioh_store *store, const char *room) {
    sioh_stats st;
    memset(&st, 0, sizeof st);
    CHECK_OK(sioh_room_stats(store, NULL, 0, room, strlen(room), &st));
    return st;
}

static void test_version_and_messages(void) {
    CHECK(strcmp(sioh_version(), SIOH_VERSION_STRING) == 0);
    CHECK(strcmp(sioh_status_message(SIOH_STATUS_OK), "ok") == 0);
    for (unsigned code = 0; code <= SIOH_STATUS_STORAGE; code++) {
        CHECK(strlen(sioh_status_message(code)) > 0);
        CHECK(strcmp(sioh_status_message(code), "unknown status code") != 0);
    }
    CHECK(strcmp(sioh_status_message(9999), "unknown status code") == 0);
}

static void test_defaults_and_opt_in(void) {
    sioh_store *store = new_store(0);
    sioh_room_config cfg;
    sioh_room_config_init(&cfg);
    CHECK(cfg.max_entries == 100 && cfg.retention_seconds == 0.0 && cfg.max_bytes == 0);
    CHECK(!cfg.has_payload_size_cap);

    /* Disabled: records are refused, reads are empty, stats are zero. */
    CHECK_STATUS(record_text(store, "r", "e", "x", NULL), SIOH_STATUS_NOT_ENABLED);
    sioh_entries *e = fetch(store, "r", NULL);
    CHECK(sioh_entries_len(e) == 0);
    sioh_entries_free(e);
    sioh_stats st = stats_of(store, "r");
    CHECK(!st.enabled && st.entries_count == 0 && st.last_seq == 0 && st.epoch[0] == '\0');

    enable(store, "r", NULL); /* NULL config: the defaults */
    st = stats_of(store, "r");
    CHECK(st.enabled && st.config.max_entries == 100 && strlen(st.epoch) == 12);
    for (int i = 0; i < 150; i++) CHECK_OK(record_text(store, "r", "e", "x", NULL));
    CHECK(stats_of(store, "r").entries_count == 100);
    sioh_store_free(store);
}

static void test_entries_seq_and_fields(void) {
    sioh_store *store = new_store(0);
    sioh_room_config cfg;
    sioh_room_config_init(&cfg);
    cfg.max_entries = 3;
    enable(store, "r", &cfg);
    uint64_t seq = 0;
    for (uint64_t i = 1; i <= 5; i++) {
        CHECK_OK(record_text(store, "r", "chat", "hello", &seq));
        CHECK(seq == i);
    }
    double ts = 1234.5;
    CHECK_OK(sioh_room_record(store, NULL, 0, S("r"), S("bin"), SIOH_PAYLOAD_KIND_BYTES,
                              (const uint8_t *)"\0\1\2", 3, &ts, &seq));
    CHECK(seq == 6);
    sioh_entries *e = fetch(store, "r", NULL);
    CHECK(strcmp(seqs(e), "4,5,6") == 0);
    sioh_entry first = entry_at(e, 0), last = entry_at(e, 2);
    CHECK(first.event_len == 4 && strcmp(first.event, "chat") == 0);
    CHECK(first.kind == SIOH_PAYLOAD_KIND_TEXT && first.payload_len == 5);
    CHECK(memcmp(first.payload, "hello", 5) == 0 && first.payload[5] == '\0');
    CHECK(first.timestamp > 1.7e9 && !first.truncated);
    CHECK(last.kind == SIOH_PAYLOAD_KIND_BYTES && last.payload_len == 3);
    CHECK(memcmp(last.payload, "\0\1\2", 3) == 0 && last.timestamp == 1234.5);
    sioh_entry none;
    CHECK_STATUS(sioh_entries_get(e, 3, &none), SIOH_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(sioh_last_error_message(), "out of range") != NULL);
    sioh_entries_free(e);
    CHECK(stats_of(store, "r").evictions_size == 3);
    sioh_store_free(store);
}

static void test_json_payloads(void) {
    sioh_store *store = new_store(0);
    enable(store, "r", NULL);
    const char *doc = " { \"a\" : [1, 2.5, true, null], \"s\": \"\\u00e9\" } ";
    CHECK_OK(sioh_room_record(store, NULL, 0, S("r"), S("e"), SIOH_PAYLOAD_KIND_JSON,
                              (const uint8_t *)doc, strlen(doc), NULL, NULL));
    const char *args = "[\"alice\", {\"n\": 1}]";
    CHECK_OK(sioh_room_record(store, NULL, 0, S("r"), S("e"), SIOH_PAYLOAD_KIND_JSON_ARGS,
                              (const uint8_t *)args, strlen(args), NULL, NULL));
    const char *str = "\"just text\"";
    CHECK_OK(sioh_room_record(store, NULL, 0, S("r"), S("e"), SIOH_PAYLOAD_KIND_JSON,
                              (const uint8_t *)str, strlen(str), NULL, NULL));
    sioh_entries *e = fetch(store, "r", NULL);
    sioh_entry a = entry_at(e, 0), b = entry_at(e, 1), c = entry_at(e, 2);
    CHECK(a.kind == SIOH_PAYLOAD_KIND_JSON);
    CHECK(strcmp((const char *)a.payload, "{\"a\":[1,2.5,true,null],\"s\":\"\xc3\xa9\"}") == 0);
    CHECK(b.kind == SIOH_PAYLOAD_KIND_JSON_ARGS);
    CHECK(strcmp((const char *)b.payload, "[\"alice\",{\"n\":1}]") == 0);
    CHECK(c.kind == SIOH_PAYLOAD_KIND_TEXT && strcmp((const char *)c.payload, "just text") == 0);
    sioh_entries_free(e);
    /* Size is the compact JSON length. */
    CHECK(stats_of(store, "r").bytes == strlen("{\"a\":[1,2.5,true,null],\"s\":\"\xc3\xa9\"}") +
                                            strlen("[\"alice\",{\"n\":1}]") + 9);
    sioh_store_free(store);
}

static void test_reconfigure_disable_clear(void) {
    sioh_store *store = new_store(0);
    enable(store, "r", NULL);
    for (int i = 0; i < 4; i++) CHECK_OK(record_text(store, "r", "e", "abc", NULL));
    sioh_stats before = stats_of(store, "r");
    sioh_room_config cfg;
    sioh_room_config_init(&cfg);
    cfg.max_entries = 2;
    enable(store, "r", &cfg); /* reconfigure in place */
    sioh_stats after = stats_of(store, "r");
    CHECK(after.entries_count == 2 && after.evictions_size == 2);
    CHECK(strcmp(after.epoch, before.epoch) == 0 && after.last_seq == 4);

    size_t cleared = 0;
    CHECK_OK(sioh_room_clear(store, NULL, 0, S("r"), &cleared));
    CHECK(cleared == 2);
    uint64_t seq = 0;
    CHECK_OK(record_text(store, "r", "e", "x", &seq));
    CHECK(seq == 5); /* clear keeps the lifetime */

    bool was = false;
    CHECK_OK(sioh_room_disable(store, NULL, 0, S("r"), &was));
    CHECK(was);
    CHECK_OK(sioh_room_disable(store, NULL, 0, S("r"), &was));
    CHECK(!was);
    CHECK_OK(sioh_room_disable(store, NULL, 0, S("r"), NULL));
    enable(store, "r", NULL);
    sioh_stats fresh = stats_of(store, "r");
    CHECK(fresh.last_seq == 0 && fresh.evictions_size == 0);
    CHECK(strcmp(fresh.epoch, before.epoch) != 0);
    CHECK_OK(record_text(store, "r", "e", "x", &seq));
    CHECK(seq == 1);
    sioh_store_free(store);
}

static void test_retention(void) {
    sioh_store *store = new_store(0);
    sioh_room_config cfg;
    sioh_room_config_init(&cfg);
    cfg.max_bytes = 10;
    enable(store, "bytes", &cfg);
    CHECK_OK(record_text(store, "bytes", "e", "aaaa", NULL));
    CHECK_OK(record_text(store, "bytes", "e", "bbbb", NULL));
    CHECK_OK(record_text(store, "bytes", "e", "cccc", NULL));
    CHECK_STATUS(record_text(store, "bytes", "e", "0123456789X", NULL),
                 SIOH_STATUS_PAYLOAD_TOO_LARGE);
    sioh_stats st = stats_of(store, "bytes");
    CHECK(st.entries_count == 2 && st.bytes == 8 && st.evictions_bytes == 1);
    CHECK(st.rejected_oversize == 1 && st.last_seq == 3);

    /* Age: a short real TTL. Only "expired after sleeping longer than the
     * TTL" is asserted, which no slow machine can break. */
    sioh_room_config_init(&cfg);
    cfg.retention_seconds = 0.05;
    enable(store, "ttl", &cfg);
    CHECK_OK(record_text(store, "ttl", "e", "x", NULL));
    struct timespec nap = {0, 150 * 1000 * 1000};
    nanosleep(&nap, NULL);
    sioh_entries *e = fetch(store, "ttl", NULL);
    CHECK(sioh_entries_len(e) == 0);
    sioh_entries_free(e);
    CHECK(stats_of(store, "ttl").evictions_time == 1);
    sioh_store_free(store);
}

static void test_coarse_clock(void) {
    sioh_store *store = NULL;
    CHECK_OK(sioh_store_new_with_clock(0, SIOH_CLOCK_COARSE, &store));
    enable(store, "r", NULL);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    double before = (double)now.tv_sec + now.tv_nsec * 1e-9;
    for (int i = 0; i < 100; i++) CHECK_OK(record_text(store, "r", "e", "x", NULL));
    sioh_entries *e = fetch(store, "r", NULL);
    CHECK(sioh_entries_len(e) == 100);
    double last = 0;
    for (size_t i = 0; i < 100; i++) {
        sioh_entry en = entry_at(e, i);
        CHECK(en.seq == i + 1 && en.timestamp >= last);
        last = en.timestamp;
    }
    /* Ticks of a few ms: never far from the real time. */
    CHECK(fabs(entry_at(e, 0).timestamp - before) < 0.5);
    sioh_entries_free(e);
    sioh_store_free(store);

    sioh_store *untouched = (sioh_store *)&now;
    CHECK_STATUS(sioh_store_new_with_clock(0, 7, &untouched), SIOH_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(sioh_last_error_message(), "sioh_clock") != NULL);
    CHECK(untouched == (sioh_store *)&now);
    CHECK_STATUS(sioh_store_new_with_clock(0, SIOH_CLOCK_PRECISE, NULL), SIOH_STATUS_NULL_POINTER);
    CHECK_OK(sioh_store_new_with_clock(0, SIOH_CLOCK_PRECISE, &store));
    sioh_store_free(store);
}

static void test_store_budget_and_rooms(void) {
    sioh_store *store = new_store(4096);
    enable(store, "a", NULL);
    CHECK_OK(sioh_room_enable(store, S("/chat"), S("b"), NULL));
    char text[201];
    memset(text, 'x', 200);
    text[200] = '\0';
    for (int i = 0; i < 40; i++) {
        CHECK_OK(record_text(store, "a", "e", text, NULL));
        CHECK_OK(sioh_room_record(store, S("/chat"), S("b"), S("e"), SIOH_PAYLOAD_KIND_TEXT,
                                  (const uint8_t *)text, 200, NULL, NULL));
        CHECK(sioh_store_total_bytes(store) <= 4096);
    }
    CHECK(stats_of(store, "a").evictions_bytes > 0);

    sioh_rooms *rooms = NULL;
    CHECK_OK(sioh_store_rooms(store, &rooms));
    CHECK(sioh_rooms_len(rooms) == 2);
    sioh_str ns, room;
    CHECK_OK(sioh_rooms_get(rooms, 0, &ns, &room));
    CHECK(ns.len == 1 && memcmp(ns.ptr, "/", 1) == 0 && room.len == 1 && room.ptr[0] == 'a');
    CHECK_OK(sioh_rooms_get(rooms, 1, &ns, &room));
    CHECK(ns.len == 5 && memcmp(ns.ptr, "/chat", 5) == 0);
    CHECK_STATUS(sioh_rooms_get(rooms, 2, &ns, &room), SIOH_STATUS_INVALID_ARGUMENT);
    sioh_rooms_free(rooms);
    sioh_store_free(store);
}

/* a1 b2 a3 c4 b5 a6 */
static sioh_store *six(void) {
    sioh_store *store = new_store(0);
    enable(store, "r", NULL);
    const char *events[] = {"a", "b", "a", "c", "b", "a"};
    for (int i = 0; i < 6; i++) CHECK_OK(record_text(store, "r", events[i], "payload", NULL));
    return store;
}

static void test_queries(void) {
    sioh_store *store = six();
    sioh_query q;
    sioh_entries *e;
#define EXPECT(want)                         \
    e = fetch(store, "r", &q);               \
    CHECK(strcmp(seqs(e), (want)) == 0);     \
    if (strcmp(seqs(e), (want)) != 0) fprintf(stderr, "  got %s\n", seqs(e)); \
    sioh_entries_free(e)

    sioh_query_init(&q);
    EXPECT("1,2,3,4,5,6");
    q.has_since_seq = true, q.since_seq = 2;
    EXPECT("3,4,5,6");
    q.has_before_seq = true, q.before_seq = 5;
    EXPECT("3,4");

    sioh_str inc[] = {{"a", 1}, {"b", 1}}, exc[] = {{"a", 1}};
    sioh_query_init(&q);
    q.has_include_events = true, q.include_events = inc, q.include_events_len = 1;
    EXPECT("1,3,6");
    q.include_events_len = 2, q.has_exclude_events = true, q.exclude_events = exc;
    q.exclude_events_len = 1;
    EXPECT("2,5");
    q.include_events_len = 0; /* empty include selects nothing */
    EXPECT("");
    sioh_query_init(&q);
    q.has_exclude_events = true; /* empty exclude drops nothing */
    EXPECT("1,2,3,4,5,6");

    sioh_query_init(&q);
    q.has_limit = true, q.limit = 2;
    EXPECT("5,6");
    q.limit = 0;
    EXPECT("");
    q.limit = 1, q.has_include_events = true, q.include_events = inc + 1;
    q.include_events_len = 1, q.has_before_seq = true, q.before_seq = 5;
    EXPECT("2");

    /* Time ranges: since_time inclusive, until_time exclusive. */
    sioh_room_enable(store, NULL, 0, S("t"), NULL);
    for (int i = 0; i < 4; i++) {
        double ts = 100.0 + 10 * i;
        CHECK_OK(sioh_room_record(store, NULL, 0, S("t"), S("e"), SIOH_PAYLOAD_KIND_TEXT,
                                  (const uint8_t *)"x", 1, &ts, NULL));
    }
    sioh_query_init(&q);
    q.has_since_time = true, q.since_time = 110.0, q.has_until_time = true, q.until_time = 130.0;
    e = fetch(store, "t", &q);
    CHECK(strcmp(seqs(e), "2,3") == 0);
    sioh_entries_free(e);
    q.since_time = NAN;
    sioh_entries *none = NULL;
    CHECK_STATUS(sioh_room_fetch(store, NULL, 0, S("t"), &q, &none), SIOH_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(sioh_last_error_message(), "since_time") != NULL);
#undef EXPECT
    sioh_store_free(store);
}

static void test_truncation(void) {
    sioh_store *store = new_store(0);
    sioh_room_config cfg;
    sioh_room_config_init(&cfg);
    cfg.has_payload_size_cap = true, cfg.payload_size_cap = 3;
    enable(store, "r", &cfg);
    CHECK_OK(record_text(store, "r", "e", "a\xc3\xa9\xe2\x82\xac", NULL)); /* "aé€": 6 bytes */
    const char *doc = "{\"k\":[1,2]}";
    CHECK_OK(sioh_room_record(store, NULL, 0, S("r"), S("e"), SIOH_PAYLOAD_KIND_JSON,
                              (const uint8_t *)doc, strlen(doc), NULL, NULL));
    sioh_entries *e = fetch(store, "r", NULL); /* the room's cap: 3 */
    sioh_entry t = entry_at(e, 0), j = entry_at(e, 1);
    CHECK(t.truncated && t.payload_len == 3 && memcmp(t.payload, "a\xc3\xa9", 3) == 0);
    CHECK(j.truncated && j.kind == SIOH_PAYLOAD_KIND_TEXT && strcmp((const char *)j.payload, "{\"k") == 0);
    sioh_entries_free(e);

    sioh_query q;
    sioh_query_init(&q);
    q.has_payload_size_cap = true, q.payload_size_cap = 2; /* never splits a character */
    e = fetch(store, "r", &q);
    t = entry_at(e, 0);
    CHECK(t.payload_len == 1 && t.payload[0] == 'a');
    sioh_entries_free(e);
    q.payload_size_cap = 100; /* a larger read cap overrides the room's too */
    e = fetch(store, "r", &q);
    t = entry_at(e, 0), j = entry_at(e, 1);
    CHECK(!t.truncated && t.payload_len == 6 && !j.truncated && j.kind == SIOH_PAYLOAD_KIND_JSON);
    sioh_entries_free(e);
    q.payload_size_cap = SIZE_MAX; /* whole payloads, whatever the room's default */
    e = fetch(store, "r", &q);
    t = entry_at(e, 0), j = entry_at(e, 1);
    CHECK(!t.truncated && t.payload_len == 6 && !j.truncated);
    sioh_entries_free(e);
    sioh_store_free(store);
}

static void test_page(void) {
    sioh_store *store = new_store(0);
    sioh_room_config cfg;
    sioh_room_config_init(&cfg);
    cfg.max_entries = 3;
    enable(store, "r", &cfg);
    for (int i = 0; i < 6; i++) CHECK_OK(record_text(store, "r", "e", "x", NULL));
    sioh_query q;
    sioh_query_init(&q);
    q.has_limit = true, q.limit = 2;
    sioh_entries *e = NULL;
    sioh_page_info info;
    CHECK_OK(sioh_room_page(store, NULL, 0, S("r"), &q, NULL, 0, &e, &info));
    CHECK(strcmp(seqs(e), "5,6") == 0);
    CHECK(info.has_more && !info.gap && info.has_first_seq && info.first_seq == 4);
    CHECK(info.last_seq == 6 && strlen(info.epoch) == 12);
    sioh_entries_free(e);
    char epoch[16];
    memcpy(epoch, info.epoch, sizeof epoch);

    sioh_query_init(&q);
    q.has_since_seq = true, q.since_seq = 3;
    CHECK_OK(sioh_room_page(store, NULL, 0, S("r"), &q, epoch, strlen(epoch), &e, &info));
    CHECK(!info.gap && strcmp(seqs(e), "4,5,6") == 0);
    sioh_entries_free(e);
    q.since_seq = 2; /* seq 3 was evicted */
    CHECK_OK(sioh_room_page(store, NULL, 0, S("r"), &q, epoch, strlen(epoch), &e, &info));
    CHECK(info.gap);
    sioh_entries_free(e);
    q.since_seq = 3; /* another lifetime's cursor */
    CHECK_OK(sioh_room_page(store, NULL, 0, S("r"), &q, S("other"), &e, &info));
    CHECK(info.gap);
    sioh_entries_free(e);
    q.since_seq = 7; /* ahead of last_seq */
    CHECK_OK(sioh_room_page(store, NULL, 0, S("r"), &q, NULL, 0, &e, &info));
    CHECK(info.gap);
    sioh_entries_free(e);
    sioh_store_free(store);
}

static void test_bad_input_is_refused_and_changes_nothing(void) {
    sioh_store *store = new_store(0);
    enable(store, "r", NULL);
    CHECK_OK(record_text(store, "r", "e", "x", NULL));
    sioh_stats before = stats_of(store, "r");
    sioh_room_config cfg;
    sioh_entries *e = NULL;
    sioh_stats st;

    /* NULL pointers */
    CHECK_STATUS(sioh_store_new(0, NULL), SIOH_STATUS_NULL_POINTER);
    CHECK_STATUS(sioh_room_enable(NULL, NULL, 0, S("r"), NULL), SIOH_STATUS_NULL_POINTER);
    CHECK_STATUS(sioh_room_enable(store, NULL, 0, NULL, 1, NULL), SIOH_STATUS_NULL_POINTER);
    CHECK(strstr(sioh_last_error_message(), "room") != NULL);
    CHECK_STATUS(sioh_room_record(store, NULL, 0, S("r"), NULL, 0, SIOH_PAYLOAD_KIND_TEXT,
                                  (const uint8_t *)"x", 1, NULL, NULL),
                 SIOH_STATUS_NULL_POINTER);
    CHECK_STATUS(sioh_room_record(store, NULL, 0, S("r"), S("e"), SIOH_PAYLOAD_KIND_TEXT, NULL,
                                  5, NULL, NULL),
                 SIOH_STATUS_NULL_POINTER);
    CHECK_STATUS(sioh_room_fetch(store, NULL, 0, S("r"), NULL, NULL), SIOH_STATUS_NULL_POINTER);
    CHECK_STATUS(sioh_room_stats(store, NULL, 0, S("r"), NULL), SIOH_STATUS_NULL_POINTER);
    CHECK_STATUS(sioh_room_page(store, NULL, 0, S("r"), NULL, NULL, 0, &e, NULL),
                 SIOH_STATUS_NULL_POINTER);
    CHECK_STATUS(sioh_entries_get(NULL, 0, NULL), SIOH_STATUS_NULL_POINTER);
    CHECK_STATUS(sioh_store_rooms(store, NULL), SIOH_STATUS_NULL_POINTER);
    CHECK(sioh_entries_len(NULL) == 0 && sioh_rooms_len(NULL) == 0);
    CHECK(sioh_store_total_bytes(NULL) == 0);
    sioh_store_free(NULL); /* no-ops */
    sioh_entries_free(NULL);
    sioh_rooms_free(NULL);
    sioh_room_config_init(NULL);
    sioh_query_init(NULL);

    /* Invalid UTF-8 in every string parameter */
    CHECK_STATUS(sioh_room_enable(store, NULL, 0, S("\xff"), NULL), SIOH_STATUS_INVALID_UTF8);
    CHECK_STATUS(sioh_room_enable(store, S("/\xc3"), S("r"), NULL), SIOH_STATUS_INVALID_UTF8);
    CHECK(strstr(sioh_last_error_message(), "namespace") != NULL);
    CHECK_STATUS(sioh_room_record(store, NULL, 0, S("r"), S("\xc0\xaf"), SIOH_PAYLOAD_KIND_TEXT,
                                  (const uint8_t *)"x", 1, NULL, NULL),
                 SIOH_STATUS_INVALID_UTF8);
    CHECK_STATUS(record_text(store, "r", "e", "bad \xed\xa0\x80 surrogate", NULL),
                 SIOH_STATUS_INVALID_UTF8);
    sioh_str bad_event = {"\xfe", 1};
    sioh_query q;
    sioh_query_init(&q);
    q.has_include_events = true, q.include_events = &bad_event, q.include_events_len = 1;
    CHECK_STATUS(sioh_room_fetch(store, NULL, 0, S("r"), &q, &e), SIOH_STATUS_INVALID_UTF8);
    CHECK_STATUS(sioh_room_page(store, NULL, 0, S("r"), NULL, S("\x80"), &e, NULL),
                 SIOH_STATUS_INVALID_UTF8);

    /* Invalid JSON, and JSON that is not a payload */
    const char *bad[] = {"{", "", "[1,]", "nul", "{\"a\" 1}", "NaN"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        CHECK_STATUS(sioh_room_record(store, NULL, 0, S("r"), S("e"), SIOH_PAYLOAD_KIND_JSON,
                                      (const uint8_t *)bad[i], strlen(bad[i]), NULL, NULL),
                     SIOH_STATUS_INVALID_JSON);
    }
    CHECK_STATUS(sioh_room_record(store, NULL, 0, S("r"), S("e"), SIOH_PAYLOAD_KIND_JSON_ARGS,
                                  (const uint8_t *)"{}", 2, NULL, NULL),
                 SIOH_STATUS_INVALID_PAYLOAD);
    /* 200,000 levels of nesting: refused, no stack overflow */
    static char deep[2 * 200000];
    for (int i = 0; i < 200000; i++) deep[i] = '[', deep[200000 + i] = ']';
    CHECK_STATUS(sioh_room_record(store, NULL, 0, S("r"), S("e"), SIOH_PAYLOAD_KIND_JSON,
                                  (const uint8_t *)deep, sizeof deep, NULL, NULL),
                 SIOH_STATUS_INVALID_JSON);
    CHECK(strstr(sioh_last_error_message(), "recursion limit") != NULL);
    CHECK_STATUS(sioh_room_record(store, NULL, 0, S("r"), S("e"), SIOH_PAYLOAD_KIND_JSON_ARGS,
                                  (const uint8_t *)deep, sizeof deep, NULL, NULL),
                 SIOH_STATUS_INVALID_JSON);

    /* Out-of-range arguments name the parameter */
    sioh_room_config_init(&cfg);
    cfg.max_entries = 0;
    CHECK_STATUS(sioh_room_enable(store, NULL, 0, S("r"), &cfg), SIOH_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(sioh_last_error_message(), "max_entries") != NULL);
    double bad_ttl[] = {-1.0, NAN, INFINITY};
    for (int i = 0; i < 3; i++) {
        sioh_room_config_init(&cfg);
        cfg.retention_seconds = bad_ttl[i];
        CHECK_STATUS(sioh_room_enable(store, NULL, 0, S("r"), &cfg),
                     SIOH_STATUS_INVALID_ARGUMENT);
        CHECK(strstr(sioh_last_error_message(), "retention_seconds") != NULL);
    }
    double nan_ts = NAN;
    CHECK_STATUS(sioh_room_record(store, NULL, 0, S("r"), S("e"), SIOH_PAYLOAD_KIND_TEXT,
                                  (const uint8_t *)"x", 1, &nan_ts, NULL),
                 SIOH_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(sioh_last_error_message(), "timestamp") != NULL);
    CHECK_STATUS(sioh_room_record(store, NULL, 0, S("r"), S("e"), 42, (const uint8_t *)"x", 1,
                                  NULL, NULL),
                 SIOH_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(sioh_last_error_message(), "kind") != NULL);

    /* A huge payload: refused by a byte bound, kept whole without one */
    size_t huge_len = 16u << 20;
    char *huge = malloc(huge_len);
    CHECK(huge != NULL);
    memset(huge, 'h', huge_len);
    sioh_room_config_init(&cfg);
    cfg.max_bytes = 1024;
    CHECK_OK(sioh_room_enable(store, NULL, 0, S("small"), &cfg));
    CHECK_STATUS(sioh_room_record(store, NULL, 0, S("small"), S("e"), SIOH_PAYLOAD_KIND_TEXT,
                                  (const uint8_t *)huge, huge_len, NULL, NULL),
                 SIOH_STATUS_PAYLOAD_TOO_LARGE);
    CHECK_OK(sioh_room_enable(store, NULL, 0, S("big"), NULL));
    CHECK_OK(sioh_room_record(store, NULL, 0, S("big"), S("e"), SIOH_PAYLOAD_KIND_BYTES,
                              (const uint8_t *)huge, huge_len, NULL, NULL));
    CHECK(stats_of(store, "big").bytes == huge_len);
    free(huge);
    CHECK_OK(sioh_room_disable(store, NULL, 0, S("big"), NULL));

    /* None of it changed the room */
    st = stats_of(store, "r");
    CHECK(st.entries_count == before.entries_count && st.last_seq == before.last_seq);
    CHECK(st.config.max_entries == 100 && strcmp(st.epoch, before.epoch) == 0);
    CHECK_STATUS(sioh_room_stats(store, NULL, 0, S("\xff"), &st), SIOH_STATUS_INVALID_UTF8);

    /* record_errors reported by the application */
    CHECK_OK(sioh_room_note_record_error(store, NULL, 0, S("r")));
    CHECK(stats_of(store, "r").record_errors == 1);
    sioh_store_free(store);
}

int main(void) {
    RUN(test_version_and_messages);
    RUN(test_defaults_and_opt_in);
    RUN(test_entries_seq_and_fields);
    RUN(test_json_payloads);
    RUN(test_reconfigure_disable_clear);
    RUN(test_retention);
    RUN(test_coarse_clock);
    RUN(test_store_budget_and_rooms);
    RUN(test_queries);
    RUN(test_truncation);
    RUN(test_page);
    RUN(test_bad_input_is_refused_and_changes_nothing);
    return finish("test_api");
}
