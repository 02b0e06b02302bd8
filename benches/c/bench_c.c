/* C ABI benchmarks (make bench): record and fetch per operation through
 * libsocketio_history, and record throughput with 1 and 2 threads on
 * distinct rooms. Prints one JSON object. Medians of several rounds. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "socketio_history.h"

#define ROUNDS 7
static const char PAYLOAD[] =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyzAB";

static double now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp);
    return v[n / 2];
}

static void die(sioh_status s, const char *what) {
    if (s != SIOH_STATUS_OK) {
        fprintf(stderr, "%s: %s\n", what, sioh_last_error_message());
        exit(1);
    }
}

static void record(sioh_store *store, const char *room, size_t room_len, const char *event) {
    die(sioh_room_record(store, NULL, 0, room, room_len, event, strlen(event),
                         SIOH_PAYLOAD_KIND_TEXT, (const uint8_t *)PAYLOAD, 100, NULL, NULL),
        "record");
}

static sioh_store *room_with(const char *room, size_t max, size_t fill) {
    sioh_store *store = NULL;
    die(sioh_store_new(0, &store), "store");
    sioh_room_config cfg;
    sioh_room_config_init(&cfg);
    cfg.max_entries = max;
    die(sioh_room_enable(store, NULL, 0, room, strlen(room), &cfg), "enable");
    char event[16];
    for (size_t i = 0; i < fill; i++) {
        snprintf(event, sizeof event, "event%zu", i % 10);
        record(store, room, strlen(room), event);
    }
    return store;
}

struct job {
    sioh_store *store;
    char room[16];
    long n;
};

static void *record_many(void *arg) {
    struct job *j = arg;
    for (long i = 0; i < j->n; i++) record(j->store, j->room, strlen(j->room), "chat");
    return NULL;
}

/* Records per second with `threads` threads, each on its own room. */
static double throughput(int threads, long per_thread) {
    sioh_store *store = NULL;
    die(sioh_store_new(0, &store), "store");
    struct job jobs[2];
    pthread_t t[2];
    sioh_room_config cfg;
    sioh_room_config_init(&cfg);
    cfg.max_entries = 1000;
    for (int i = 0; i < threads; i++) {
        jobs[i].store = store;
        jobs[i].n = per_thread;
        snprintf(jobs[i].room, sizeof jobs[i].room, "room%d", i);
        die(sioh_room_enable(store, NULL, 0, jobs[i].room, strlen(jobs[i].room), &cfg), "enable");
    }
    double start = now_ns();
    for (int i = 0; i < threads; i++) pthread_create(&t[i], NULL, record_many, &jobs[i]);
    for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
    double elapsed = now_ns() - start;
    sioh_store_free(store);
    return (double)threads * (double)per_thread / (elapsed / 1e9);
}

int main(int argc, char **argv) {
    int quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
    long n = quick ? 200000 : 2000000;
    double v[ROUNDS];

    sioh_store *store = room_with("room", 1000, 1000);
    for (int r = 0; r < ROUNDS; r++) {
        double t = now_ns();
        for (long i = 0; i < n; i++) record(store, "room", 4, "event0");
        v[r] = (now_ns() - t) / (double)n;
    }
    double record_ns = median(v, ROUNDS);
    sioh_store_free(store);

    store = room_with("room", 10000, 10000);
    sioh_query q;
    sioh_str inc = {"event3", 6};
    long fetches = quick ? 2000 : 20000;
    double fetch_ns[2];
    for (int filtered = 0; filtered < 2; filtered++) {
        sioh_query_init(&q);
        q.has_limit = true, q.limit = 100;
        if (filtered) q.has_include_events = true, q.include_events = &inc, q.include_events_len = 1;
        for (int r = 0; r < ROUNDS; r++) {
            double t = now_ns();
            for (long i = 0; i < fetches; i++) {
                sioh_entries *e = NULL;
                die(sioh_room_fetch(store, NULL, 0, "room", 4, &q, &e), "fetch");
                if (sioh_entries_len(e) != 100) die(SIOH_STATUS_INTERNAL_ERROR, "fetch size");
                sioh_entries_free(e);
            }
            v[r] = (now_ns() - t) / (double)fetches;
        }
        fetch_ns[filtered] = median(v, ROUNDS);
    }
    sioh_store_free(store);

    double one[ROUNDS], two[ROUNDS], ratio[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        one[r] = throughput(1, n / 2);
        two[r] = throughput(2, n / 2);
        ratio[r] = two[r] / one[r];
    }
    printf("{\"record_ns\": %.1f, \"fetch_newest_100_ns\": %.1f, "
           "\"fetch_newest_100_filtered_ns\": %.1f, \"threads_1_per_s\": %.0f, "
           "\"threads_2_per_s\": %.0f, \"threads_2_speedup\": %.2f}\n",
           record_ns, fetch_ns[0], fetch_ns[1], median(one, ROUNDS), median(two, ROUNDS),
           median(ratio, ROUNDS));
    return 0;
}
