/* Built with only `pkg-config --cflags --libs socketio_history` against an
 * installed copy: the install, the .pc file and the header work together. */
#include <socketio_history.h>
#include <stdio.h>
#include <string.h>

int main(void) {
    sioh_store *store = NULL;
    int ok = sioh_store_new(0, &store) == SIOH_STATUS_OK &&
             sioh_room_enable(store, NULL, 0, "r", 1, NULL) == SIOH_STATUS_OK &&
             strcmp(sioh_version(), SIOH_VERSION_STRING) == 0;
    sioh_store_free(store);
    printf("test_pkgconfig: %d passed, %d failed\n", ok, !ok);
    return ok ? 0 : 1;
}
