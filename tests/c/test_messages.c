/* Mutable messages through the C API (CONTRACT.md, "Mutable messages"): create, update with
 * keep/clear/replace patches, append with limits, delete and redaction, the
 * latest view, versions, grants, and the statuses of CONTRACT.md, "Errors" — including the
 * error-parity table shared with the Python suite (tests/error_parity.json). */
#include <stdint.h>
#include <stdlib.h>

#include "check.h"

static sioh_store *store_with_room(const sioh_room_config *cfg) {
    sioh_store *store = NULL;
    CHECK_OK(sioh_store_new(0, &store));
    CHECK_OK(sioh_room_enable(store, NULL, 0, S("r"), cfg));
    return store;
}

static sioh_status create(sioh_store *s, const char *id, const char *json, sioh_mutation *out) {
    return sioh_message_create(s, NULL, 0, S("r"), S("chat"), SIOH_PAYLOAD_KIND_JSON,
                               (const uint8_t *)json, strlen(json), id, id ? strlen(id) : 0,
                               NULL, 0, out);
}

static sioh_status append(sioh_store *s, const char *id, const char *frag, bool fin,
                          const sioh_auth *auth, sioh_mutation *out) {
    return sioh_message_append(s, NULL, 0, S("r"), id, strlen(id), frag, strlen(frag), fin,
                               auth, out);
}

static sioh_patch replace_json(const char *json) {
    sioh_patch p = {SIOH_PATCH_MODE_REPLACE, SIOH_PAYLOAD_KIND_JSON, (const uint8_t *)json,
                    strlen(json)};
    return p;
}

/* The latest data of message `id` as JSON text (static buffer). */
static const char *data_of(sioh_store *s, const char *id, sioh_message_state *state) {
    static char buf[256];
    sioh_entries *e = NULL;
    buf[0] = '\0';
    if (sioh_message_get(s, NULL, 0, S("r"), id, strlen(id), &e, state) != SIOH_STATUS_OK)
        return "(error)";
    sioh_entry one;
    CHECK_OK(sioh_entries_get(e, 0, &one));
    snprintf(buf, sizeof buf, "%.*s", (int)one.payload_len, (const char *)one.payload);
    sioh_entries_free(e);
    return buf;
}

static void test_create_update_append_delete(void) {
    sioh_store *s = store_with_room(NULL);
    sioh_mutation m;
    CHECK_OK(create(s, "m1", "{\"t\":\"hi\"}", &m));
    CHECK(m.action == SIOH_ACTION_CREATE && m.version == 1 && m.seq == 1);
    CHECK(strcmp(m.message_id, "m1") == 0);
    /* A generated id. */
    CHECK_OK(create(s, NULL, "\"\"", &m));
    CHECK(strlen(m.message_id) == 26);
    char stream[129];
    strcpy(stream, m.message_id);

    sioh_patch data = replace_json("{\"t\":\"edited\"}");
    CHECK_OK(sioh_message_update(s, NULL, 0, S("r"), S("m1"), NULL, &data, NULL, &m));
    CHECK(m.action == SIOH_ACTION_UPDATE && m.version == 2 && m.seq == 3);
    CHECK(strcmp(data_of(s, "m1", NULL), "{\"t\":\"edited\"}") == 0);
    /* Rename the event, keep the data. */
    sioh_patch ev = {SIOH_PATCH_MODE_REPLACE, 0, (const uint8_t *)"note", 4};
    CHECK_OK(sioh_message_update(s, NULL, 0, S("r"), S("m1"), &ev, NULL, NULL, &m));
    CHECK(strcmp(data_of(s, "m1", NULL), "{\"t\":\"edited\"}") == 0);

    CHECK_OK(append(s, stream, "Hel", false, NULL, &m));
    CHECK_OK(append(s, stream, "lo", true, NULL, &m));
    CHECK(m.action == SIOH_ACTION_APPEND && m.is_final && m.version == 3);
    sioh_message_state st;
    CHECK(strcmp(data_of(s, stream, &st), "Hello") == 0);
    CHECK(st.is_final && !st.streaming && st.appends == 2 && st.version == 3);

    CHECK_OK(sioh_message_delete(s, NULL, 0, S("r"), S("m1"), NULL, &m));
    CHECK(m.action == SIOH_ACTION_DELETE && m.version == 4);
    CHECK(strcmp(data_of(s, "m1", &st), "null") == 0 && st.deleted);

    /* The log: seqs gap-free, each entry's message side, redacted content. */
    sioh_entries *log = NULL;
    CHECK_OK(sioh_room_fetch_view(s, NULL, 0, S("r"), NULL, SIOH_VIEW_LOG, &log));
    CHECK(sioh_entries_len(log) == 7);
    sioh_entry_message em;
    sioh_entry e;
    CHECK_OK(sioh_entries_get_message(log, 0, &em));
    CHECK(em.action == SIOH_ACTION_CREATE && em.version == 1 && em.redacted);
    CHECK(em.message_id_len == 2 && strcmp(em.message_id, "m1") == 0);
    CHECK_OK(sioh_entries_get(log, 0, &e));
    CHECK(e.payload_len == 4 && memcmp(e.payload, "null", 4) == 0);
    CHECK_OK(sioh_entries_get_message(log, 4, &em));
    CHECK(em.action == SIOH_ACTION_APPEND && !em.redacted);
    CHECK_OK(sioh_entries_get(log, 4, &e));
    CHECK(e.payload_len == 3 && memcmp(e.payload, "Hel", 3) == 0);
    sioh_entries_free(log);

    /* The latest view: each message once, at its create's place. */
    sioh_entries *latest = NULL;
    CHECK_OK(sioh_room_fetch_view(s, NULL, 0, S("r"), NULL, SIOH_VIEW_LATEST, &latest));
    CHECK(sioh_entries_len(latest) == 2);
    CHECK_OK(sioh_entries_get_message(latest, 0, &em));
    CHECK(em.deleted && em.version == 4);
    CHECK_OK(sioh_entries_get(latest, 1, &e));
    CHECK(e.seq == 2 && memcmp(e.payload, "Hello", 5) == 0);
    sioh_entries_free(latest);
    CHECK_STATUS(sioh_room_fetch_view(s, NULL, 0, S("r"), NULL, 7, &latest),
                 SIOH_STATUS_INVALID_ARGUMENT);
    /* A page of the latest view: the limit counts messages. */
    sioh_query q;
    sioh_query_init(&q);
    q.has_limit = true, q.limit = 1;
    sioh_page_info info;
    CHECK_OK(sioh_room_page_view(s, NULL, 0, S("r"), &q, SIOH_VIEW_LATEST, NULL, 0, &latest,
                                 &info));
    CHECK(sioh_entries_len(latest) == 1 && info.has_more && info.last_seq == 7);
    CHECK_OK(sioh_entries_get(latest, 0, &e));
    CHECK(e.seq == 2);
    sioh_entries_free(latest);
    CHECK_STATUS(sioh_room_page_view(s, NULL, 0, S("r"), &q, 2, NULL, 0, &latest, &info),
                 SIOH_STATUS_INVALID_ARGUMENT);

    sioh_entries *v = NULL;
    CHECK_OK(sioh_message_versions(s, NULL, 0, S("r"), S("m1"), 2, &v));
    CHECK(sioh_entries_len(v) == 2);
    CHECK_OK(sioh_entries_get_message(v, 0, &em));
    CHECK(em.version == 4);
    sioh_entries_free(v);

    sioh_stats stats;
    CHECK_OK(sioh_room_stats(s, NULL, 0, S("r"), &stats));
    CHECK(stats.messages == 2 && stats.config.max_appends == 4096);
    sioh_store_free(s);
}

static void test_grants(void) {
    sioh_store *s = store_with_room(NULL);
    sioh_mutation m;
    CHECK_OK(sioh_message_create(s, NULL, 0, S("r"), S("chat"), SIOH_PAYLOAD_KIND_TEXT,
                                 (const uint8_t *)"", 0, S("m"), S("alice"), &m));
    sioh_grant own = {SIOH_GRANT_KIND_MESSAGE_APPEND_OWN, S("*")};
    sioh_auth alice = {S("alice"), &own, 1};
    sioh_auth bob = {S("bob"), &own, 1};
    CHECK_OK(append(s, "m", "a", false, &alice, &m));
    CHECK_STATUS(append(s, "m", "b", false, &bob, &m), SIOH_STATUS_FORBIDDEN);
    sioh_grant any = {SIOH_GRANT_KIND_MESSAGE_APPEND_ANY, S("r")};
    sioh_auth mod = {S("mod"), &any, 1};
    CHECK_OK(append(s, "m", "c", false, &mod, &m));
    sioh_auth nogrants = {S("eve"), NULL, 0};
    CHECK_STATUS(append(s, "m", "d", false, &nogrants, &m), SIOH_STATUS_FORBIDDEN);
    sioh_grant bad = {99, S("*")};
    sioh_auth badkind = {S("eve"), &bad, 1};
    CHECK_STATUS(append(s, "m", "d", false, &badkind, &m), SIOH_STATUS_INVALID_ARGUMENT);
    CHECK(strcmp(data_of(s, "m", NULL), "ac") == 0);
    sioh_store_free(s);
}

/* One row of tests/error_parity.json, applied through C. */
static sioh_status apply(sioh_store *s, const char *op, const char *a, const char *b) {
    sioh_mutation m;
    if (strcmp(op, "create") == 0) return create(s, a, b, &m);
    if (strcmp(op, "create_in") == 0)
        return sioh_message_create(s, NULL, 0, a, strlen(a), S("chat"), SIOH_PAYLOAD_KIND_TEXT,
                                   (const uint8_t *)"x", 1, NULL, 0, NULL, 0, &m);
    if (strcmp(op, "append") == 0) return append(s, a, b, false, NULL, &m);
    if (strcmp(op, "update_data") == 0) {
        sioh_patch d = replace_json(b);
        return sioh_message_update(s, NULL, 0, S("r"), a, strlen(a), NULL, &d, NULL, &m);
    }
    if (strcmp(op, "update_keep") == 0)
        return sioh_message_update(s, NULL, 0, S("r"), a, strlen(a), NULL, NULL, NULL, &m);
    if (strcmp(op, "delete") == 0)
        return sioh_message_delete(s, NULL, 0, S("r"), a, strlen(a), NULL, &m);
    if (strcmp(op, "delete_as") == 0) {
        sioh_grant own = {SIOH_GRANT_KIND_MESSAGE_DELETE_OWN, S("*")};
        sioh_auth who = {b, strlen(b), &own, 1};
        return sioh_message_delete(s, NULL, 0, S("r"), a, strlen(a), &who, &m);
    }
    fprintf(stderr, "unknown op %s\n", op);
    return SIOH_STATUS_INTERNAL_ERROR;
}

static sioh_status status_named(const char *name) {
    static const struct { const char *name; sioh_status status; } names[] = {
        {"OK", SIOH_STATUS_OK},
        {"INVALID_ARGUMENT", SIOH_STATUS_INVALID_ARGUMENT},
        {"NOT_ENABLED", SIOH_STATUS_NOT_ENABLED},
        {"NOT_FOUND", SIOH_STATUS_NOT_FOUND},
        {"PAYLOAD_TOO_LARGE", SIOH_STATUS_PAYLOAD_TOO_LARGE},
        {"FORBIDDEN", SIOH_STATUS_FORBIDDEN},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(names[i].name, name) == 0) return names[i].status;
    return SIOH_STATUS_INTERNAL_ERROR;
}

/* The table is one line per case: OP<TAB>A<TAB>B<TAB>STATUS (the JSON file's
 * "rows", flattened by the Makefile-free reader below: a line-oriented copy
 * tests/error_parity.tsv kept beside it). */
static void test_error_parity(void) {
    FILE *f = fopen("tests/error_parity.tsv", "r");
    CHECK(f != NULL);
    if (f == NULL) return;
    sioh_room_config cfg;
    sioh_room_config_init(&cfg);
    cfg.max_message_bytes = 8;
    sioh_store *s = store_with_room(&cfg);
    sioh_mutation m;
    CHECK_OK(sioh_message_create(s, NULL, 0, S("r"), S("chat"), SIOH_PAYLOAD_KIND_TEXT,
                                 (const uint8_t *)"", 0, S("mine"), S("alice"), &m));
    CHECK_OK(create(s, "obj", "[1]", &m));
    char line[512];
    int rows = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n') continue;
        line[strcspn(line, "\n")] = '\0';
        char *op = strtok(line, "\t"), *a = strtok(NULL, "\t"), *b = strtok(NULL, "\t"),
             *want = strtok(NULL, "\t");
        CHECK(op && a && b && want);
        if (!(op && a && b && want)) continue;
        if (strcmp(b, "-") == 0) b = "";
        sioh_status got = apply(s, op, a, b);
        if (got != status_named(want))
            fprintf(stderr, "parity row %s %s %s: got %s\n", op, a, b, sioh_status_message(got));
        CHECK(got == status_named(want));
        rows++;
    }
    CHECK(rows >= 10);
    fclose(f);
    sioh_store_free(s);
}

int main(void) {
    RUN(test_create_update_append_delete);
    RUN(test_grants);
    RUN(test_error_parity);
    return finish("test_messages");
}
