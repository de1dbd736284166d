#include "oci_core/core_internal.h"

#include <stdlib.h>

static void destroy(void *data)
{
    oci_request_state *state = data;
    free(state->journal_note);
    if (state->connect && state->connect_destroy)
        state->connect_destroy(state->connect);
    free(state);
}

oci_request_state *oci_request_state_get(cm_http_request *request)
{
    oci_request_state *state = cm_http_user_data(request);
    if (state)
        return state;
    state = calloc(1, sizeof *state);
    if (state)
        cm_http_set_user_data(request, state, destroy);
    return state;
}

const oci_request_state *oci_request_state_peek(const cm_http_request *request)
{
    return cm_http_user_data(request);
}
