/* Threads recording and fetching on one store: afterwards seq is gap-free,
 * nothing is lost, and each thread's records are in the order it made them.
 *
 * `test_threads --light` does a tenth of the work: valgrind runs one thread
 * at a time, and what it checks (memory errors, leaks) does not need the
 * full load that the plain and sanitizer runs use to shake out races. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "check.h"

#define WRITERS 4
static int per_writer = 3000;

static sioh_store *store;
static atomic_bool done;
static atomic_int violations;

static void *writer(void *arg) {
    int id = (int)(intptr_t)arg;
    char own[16], text[32];
    snprintf(own, sizeof own, "own%d", id);
    for (int i = 0; i < per_writer; i++) {
        int n = snprintf(text, sizeof text, "%d:%d", id, i);
        if (sioh_room_record(store, NULL, 0, S("shared"), S("e"), SIOH_PAYLOAD_KIND_TEXT,
                             (const uint8_t *)text, (size_t)n, NULL, NULL) != SIOH_STATUS_OK ||
            sioh_room_record(store, NULL, 0, own, strlen(own), S("e"), SIOH_PAYLOAD_KIND_TEXT,
                             (const uint8_t *)text, (size_t)n, NULL, NULL) != SIOH_STATUS_OK)
            atomic_fetch_add(&violations, 1);
    }
    return NULL;
}

/* Checks one result: consecutive seqs, per-writer increasing counters. */
static int ordered(const sioh_entries *entries) {
    int last[WRITERS];
    for (int w = 0; w < WRITERS; w++) last[w] = -1;
    uint64_t prev = 0;
    for (size_t i = 0; i < sioh_entries_len(entries); i++) {
        sioh_entry e;
        if (sioh_entries_get(entries, i, &e) != SIOH_STATUS_OK) return 0;
        if (i > 0 && e.seq != prev + 1) return 0;
        prev = e.seq;
        int w = -1, n = -1;
        if (sscanf((const char *)e.payload, "%d:%d", &w, &n) != 2 || w < 0 || w >= WRITERS)
            return 0;
        if (n <= last[w]) return 0;
        last[w] = n;
    }
    return 1;
}

static void *reader(void *arg) {
    (void)arg;
    sioh_query q;
    sioh_query_init(&q);
    q.has_limit = true, q.limit = 200;
    while (!atomic_load(&done)) {
        sioh_entries *e = NULL;
        if (sioh_room_fetch(store, NULL, 0, S("shared"), &q, &e) != SIOH_STATUS_OK || !ordered(e))
            atomic_fetch_add(&violations, 1);
        sioh_entries_free(e);
    }
    return NULL;
}

static void *reconfigurer(void *arg) {
    (void)arg;
    sioh_room_config cfg;
    for (size_t i = 0; !atomic_load(&done); i++) {
        sioh_room_config_init(&cfg);
        cfg.max_entries = 1 + i % 50;
        if (sioh_room_enable(store, NULL, 0, S("churn"), &cfg) != SIOH_STATUS_OK)
            atomic_fetch_add(&violations, 1);
        uint8_t text[] = "0:0";
        sioh_room_record(store, NULL, 0, S("churn"), S("e"), SIOH_PAYLOAD_KIND_TEXT, text, 3,
                         NULL, NULL);
    }
    return NULL;
}

/* The budget under racing enables: three threads enable (with changing
 * bounds) and disable four rooms while three others record into them. Once
 * every room is disabled, nothing may stay charged against the budget. */
static sioh_store *budgeted;
static const char *const budget_rooms[] = {"a", "b", "c", "d"};
static size_t race_ops = 4000;

static void *enabler(void *arg) {
    size_t t = (size_t)(intptr_t)arg;
    sioh_room_config cfg;
    for (size_t i = 0; i < race_ops; i++) {
        const char *room = budget_rooms[(i + t) % 4];
        if (i % 5 == 0) {
            sioh_room_disable(budgeted, NULL, 0, room, 1, NULL);
            continue;
        }
        sioh_room_config_init(&cfg);
        cfg.max_entries = 1 + (i * 7 + t) % 8;
        if (sioh_room_enable(budgeted, NULL, 0, room, 1, &cfg) != SIOH_STATUS_OK)
            atomic_fetch_add(&violations, 1);
    }
    return NULL;
}

static void *recorder(void *arg) {
    size_t t = (size_t)(intptr_t)arg;
    const uint8_t text[] = "0123456789abcdef";
    for (size_t i = 0; i < race_ops; i++) {
        sioh_status s = sioh_room_record(budgeted, NULL, 0, budget_rooms[(i * 3 + t) % 4], 1,
                                         S("e"), SIOH_PAYLOAD_KIND_TEXT, text, 16, NULL, NULL);
        if (s != SIOH_STATUS_OK && s != SIOH_STATUS_NOT_ENABLED) atomic_fetch_add(&violations, 1);
    }
    return NULL;
}

static void test_racing_enables_keep_the_budget(void) {
    CHECK_OK(sioh_store_new((size_t)1 << 30, &budgeted));
    pthread_t threads[6];
    for (int t = 0; t < 3; t++) {
        CHECK(pthread_create(&threads[t], NULL, enabler, (void *)(intptr_t)t) == 0);
        CHECK(pthread_create(&threads[3 + t], NULL, recorder, (void *)(intptr_t)t) == 0);
    }
    for (int t = 0; t < 6; t++) pthread_join(threads[t], NULL);
    CHECK(atomic_load(&violations) == 0);
    for (int r = 0; r < 4; r++) sioh_room_disable(budgeted, NULL, 0, budget_rooms[r], 1, NULL);
    CHECK(sioh_store_total_bytes(budgeted) == 0);
    sioh_store_free(budgeted);
}

static void test_writers_readers_and_reconfigurers(void) {
    CHECK_OK(sioh_store_new(0, &store));
    sioh_room_config big;
    sioh_room_config_init(&big);
    big.max_entries = WRITERS * per_writer;
    CHECK_OK(sioh_room_enable(store, NULL, 0, S("shared"), &big));
    for (int w = 0; w < WRITERS; w++) {
        char own[16];
        snprintf(own, sizeof own, "own%d", w);
        CHECK_OK(sioh_room_enable(store, NULL, 0, own, strlen(own), &big));
    }
    pthread_t writers[WRITERS], r, c;
    CHECK(pthread_create(&r, NULL, reader, NULL) == 0);
    CHECK(pthread_create(&c, NULL, reconfigurer, NULL) == 0);
    for (int w = 0; w < WRITERS; w++)
        CHECK(pthread_create(&writers[w], NULL, writer, (void *)(intptr_t)w) == 0);
    for (int w = 0; w < WRITERS; w++) pthread_join(writers[w], NULL);
    atomic_store(&done, true);
    pthread_join(r, NULL);
    pthread_join(c, NULL);
    CHECK(atomic_load(&violations) == 0);

    sioh_entries *all = NULL;
    CHECK_OK(sioh_room_fetch(store, NULL, 0, S("shared"), NULL, &all));
    CHECK(sioh_entries_len(all) == (size_t)(WRITERS * per_writer));
    CHECK(ordered(all));
    sioh_entry first;
    CHECK_OK(sioh_entries_get(all, 0, &first));
    CHECK(first.seq == 1);
    sioh_entries_free(all);
    for (int w = 0; w < WRITERS; w++) {
        char own[16];
        snprintf(own, sizeof own, "own%d", w);
        sioh_entries *mine = NULL;
        CHECK_OK(sioh_room_fetch(store, NULL, 0, own, strlen(own), NULL, &mine));
        CHECK(sioh_entries_len(mine) == (size_t)per_writer && ordered(mine));
        sioh_entries_free(mine);
    }
    sioh_store_free(store);
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--light") == 0) {
        per_writer /= 10;
        race_ops /= 10;
    }
    RUN(test_racing_enables_keep_the_budget);
    RUN(test_writers_readers_and_reconfigurers);
    return finish("test_threads");
}
