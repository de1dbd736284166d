#include "oci_core/graph.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json_util.h"
#include "oci_core/ids.h"
#include "oci_core/limits.h"

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int compare_groups(const void *a, const void *b)
{
    return strcmp((*(oci_graph_group *const *)a)->id, (*(oci_graph_group *const *)b)->id);
}

void oci_graph_free(oci_graph *graph)
{
    if (!graph)
        return;
    for (size_t i = 0; i < graph->location_count; i++)
        free(graph->locations[i]);
    free(graph->locations);
    for (size_t g = 0; g < graph->group_count; g++) {
        free(graph->groups[g].id);
        for (size_t i = 0; i < graph->groups[g].location_count; i++)
            free(graph->groups[g].locations[i]);
        free(graph->groups[g].locations);
    }
    free(graph->groups);
    free(graph->sorted_locations);
    free(graph->sorted_groups);
    free(graph->grouped);
    free(graph);
}

oci_graph *oci_graph_new_empty(void)
{
    return calloc(1, sizeof(oci_graph));
}

static long sorted_index(const oci_graph *graph, const char *location)
{
    size_t low = 0, high = graph->location_count;
    while (low < high) {
        size_t mid = (low + high) / 2;
        int c = strcmp(graph->sorted_locations[mid], location);
        if (c == 0)
            return (long)mid;
        if (c < 0)
            low = mid + 1;
        else
            high = mid;
    }
    return -1;
}

int oci_graph_has_location(const oci_graph *graph, const char *location)
{
    return location && sorted_index(graph, location) >= 0;
}

int oci_graph_location_grouped(const oci_graph *graph, const char *location)
{
    long index = location ? sorted_index(graph, location) : -1;
    return index >= 0 && graph->grouped[index];
}

const oci_graph_group *oci_graph_group_find(const oci_graph *graph, const char *group_id)
{
    if (!group_id)
        return NULL;
    size_t low = 0, high = graph->group_count;
    while (low < high) {
        size_t mid = (low + high) / 2;
        int c = strcmp(graph->sorted_groups[mid]->id, group_id);
        if (c == 0)
            return graph->sorted_groups[mid];
        if (c < 0)
            low = mid + 1;
        else
            high = mid;
    }
    return NULL;
}

/* Copies a JSON array of strings; `what` names it in errors. */
static cm_err copy_ids(const json_object *array, const char *what, int group_ids, char ***out,
                       size_t *count, char error[OCI_GRAPH_ERROR_MAX])
{
    size_t length = json_object_array_length(array);
    char **ids = calloc(length ? length : 1, sizeof *ids);
    if (!ids)
        return CM_ENOMEM;
    for (size_t i = 0; i < length; i++) {
        json_object *item = json_object_array_get_idx(array, i);
        const char *text = json_object_is_type(item, json_type_string) ? json_object_get_string(item) : NULL;
        if (!text || !(group_ids ? oci_valid_group_id(text) : oci_valid_location_id(text))) {
            snprintf(error, OCI_GRAPH_ERROR_MAX, "'%s[%zu]' must be a %s id (%s)", what, i,
                     group_ids ? "group" : "location",
                     group_ids ? "1..128 of a-z A-Z 0-9 - _" : "2..128 of a-z A-Z 0-9 - _");
            for (size_t j = 0; j < i; j++)
                free(ids[j]);
            free(ids);
            return CM_EINVAL;
        }
        ids[i] = strdup(text);
        if (!ids[i]) {
            for (size_t j = 0; j < i; j++)
                free(ids[j]);
            free(ids);
            return CM_ENOMEM;
        }
    }
    *out = ids;
    *count = length;
    return CM_OK;
}

static cm_err build_index(oci_graph *graph, char error[OCI_GRAPH_ERROR_MAX])
{
    size_t n = graph->location_count;
    graph->sorted_locations = calloc(n ? n : 1, sizeof(char *));
    graph->grouped = calloc(n ? n : 1, 1);
    graph->sorted_groups = calloc(graph->group_count ? graph->group_count : 1, sizeof(oci_graph_group *));
    if (!graph->sorted_locations || !graph->grouped || !graph->sorted_groups)
        return CM_ENOMEM;
    memcpy(graph->sorted_locations, graph->locations, n * sizeof(char *));
    qsort(graph->sorted_locations, n, sizeof(char *), compare_strings);
    for (size_t i = 1; i < n; i++) {
        if (strcmp(graph->sorted_locations[i - 1], graph->sorted_locations[i]) == 0) {
            snprintf(error, OCI_GRAPH_ERROR_MAX, "'locations' lists \"%s\" twice",
                     graph->sorted_locations[i]);
            return CM_EINVAL;
        }
    }
    for (size_t g = 0; g < graph->group_count; g++)
        graph->sorted_groups[g] = &graph->groups[g];
    qsort(graph->sorted_groups, graph->group_count, sizeof(oci_graph_group *), compare_groups);
    for (size_t g = 1; g < graph->group_count; g++) {
        if (strcmp(graph->sorted_groups[g - 1]->id, graph->sorted_groups[g]->id) == 0) {
            snprintf(error, OCI_GRAPH_ERROR_MAX, "'groups' lists the group \"%s\" twice",
                     graph->sorted_groups[g]->id);
            return CM_EINVAL;
        }
    }
    for (size_t g = 0; g < graph->group_count; g++) {
        const oci_graph_group *group = &graph->groups[g];
        for (size_t i = 0; i < group->location_count; i++) {
            long index = sorted_index(graph, group->locations[i]);
            if (index < 0) {
                snprintf(error, OCI_GRAPH_ERROR_MAX,
                         "'groups[%zu].locations[%zu]' names \"%s\", which is not in 'locations'", g, i,
                         group->locations[i]);
                return CM_EINVAL;
            }
            graph->grouped[index] = 1;
            for (size_t j = 0; j < i; j++) {
                if (strcmp(group->locations[j], group->locations[i]) == 0) {
                    snprintf(error, OCI_GRAPH_ERROR_MAX, "'groups[%zu].locations' lists \"%s\" twice", g,
                             group->locations[i]);
                    return CM_EINVAL;
                }
            }
        }
    }
    return CM_OK;
}

cm_err oci_graph_from_json(const json_object *root, oci_graph **out, char error[OCI_GRAPH_ERROR_MAX])
{
    *out = NULL;
    snprintf(error, OCI_GRAPH_ERROR_MAX, "out of memory");
    if (!json_object_is_type(root, json_type_object)) {
        snprintf(error, OCI_GRAPH_ERROR_MAX, "the location graph must be a JSON object");
        return CM_EINVAL;
    }
    json_object *locations = NULL, *groups = NULL;
    if (cm_json_array(root, "locations", &locations) != CM_JSON_OK) {
        snprintf(error, OCI_GRAPH_ERROR_MAX, "'locations' must be an array of location ids");
        return CM_EINVAL;
    }
    cm_json_get groups_rc = cm_json_array(root, "groups", &groups);
    if (groups_rc != CM_JSON_OK && groups_rc != CM_JSON_ABSENT) {
        snprintf(error, OCI_GRAPH_ERROR_MAX, "'groups' must be an array of {\"id\",\"locations\"}");
        return CM_EINVAL;
    }
    oci_graph *graph = calloc(1, sizeof *graph);
    if (!graph)
        return CM_ENOMEM;
    cm_err rc = copy_ids(locations, "locations", 0, &graph->locations, &graph->location_count, error);
    size_t group_count = groups ? json_object_array_length(groups) : 0;
    if (rc == CM_OK && group_count) {
        graph->groups = calloc(group_count, sizeof *graph->groups);
        if (!graph->groups)
            rc = CM_ENOMEM;
    }
    for (size_t g = 0; rc == CM_OK && g < group_count; g++) {
        json_object *item = json_object_array_get_idx(groups, g);
        const char *id = NULL;
        json_object *members = NULL;
        if (!json_object_is_type(item, json_type_object) || cm_json_string(item, "id", &id) != CM_JSON_OK ||
            !oci_valid_group_id(id)) {
            snprintf(error, OCI_GRAPH_ERROR_MAX, "'groups[%zu].id' must be a group id (1..128 of a-z A-Z 0-9 - _)", g);
            rc = CM_EINVAL;
            break;
        }
        if (cm_json_array(item, "locations", &members) != CM_JSON_OK) {
            snprintf(error, OCI_GRAPH_ERROR_MAX, "'groups[%zu].locations' must be an array of location ids", g);
            rc = CM_EINVAL;
            break;
        }
        graph->groups[g].id = strdup(id);
        graph->group_count = g + 1;
        if (!graph->groups[g].id) {
            rc = CM_ENOMEM;
            break;
        }
        char what[48];
        snprintf(what, sizeof what, "groups[%zu].locations", g);
        rc = copy_ids(members, what, 0, &graph->groups[g].locations, &graph->groups[g].location_count, error);
    }
    if (rc == CM_OK)
        rc = build_index(graph, error);
    if (rc != CM_OK) {
        if (rc == CM_ENOMEM)
            snprintf(error, OCI_GRAPH_ERROR_MAX, "out of memory");
        oci_graph_free(graph);
        return rc;
    }
    *out = graph;
    return CM_OK;
}

cm_err oci_graph_load_file(const char *path, oci_graph **out, char error[OCI_GRAPH_ERROR_MAX])
{
    *out = NULL;
    FILE *file = fopen(path, "rb");
    if (!file) {
        snprintf(error, OCI_GRAPH_ERROR_MAX, "cannot open the location graph %s", path);
        return CM_EIO;
    }
    char *text = malloc(OCI_GRAPH_BODY_MAX + 1);
    size_t length = text ? fread(text, 1, OCI_GRAPH_BODY_MAX + 1, file) : 0;
    int failed = ferror(file);
    fclose(file);
    if (!text || failed || length > OCI_GRAPH_BODY_MAX) {
        snprintf(error, OCI_GRAPH_ERROR_MAX, "cannot read the location graph %s%s", path,
                 length > OCI_GRAPH_BODY_MAX ? " (larger than 16 MB)" : "");
        free(text);
        return text ? CM_EIO : CM_ENOMEM;
    }
    json_object *root = NULL;
    char parse_error[CM_JSON_ERROR_MAX];
    cm_err rc = cm_json_parse(text, length, CM_JSON_MAX_DEPTH, &root, parse_error);
    free(text);
    if (rc != CM_OK) {
        snprintf(error, OCI_GRAPH_ERROR_MAX, "%s: %s", path, parse_error);
        return rc;
    }
    char graph_error[OCI_GRAPH_ERROR_MAX];
    rc = oci_graph_from_json(root, out, graph_error);
    json_object_put(root);
    if (rc != CM_OK)
        snprintf(error, OCI_GRAPH_ERROR_MAX, "%.80s: %.170s", path, graph_error);
    return rc;
}

json_object *oci_graph_to_json(const oci_graph *graph)
{
    json_object *root = json_object_new_object();
    json_object *locations = json_object_new_array();
    json_object *groups = json_object_new_array();
    if (!root || !locations || !groups) {
        json_object_put(root);
        json_object_put(locations);
        json_object_put(groups);
        return NULL;
    }
    json_object_object_add(root, "locations", locations);
    json_object_object_add(root, "groups", groups);
    for (size_t i = 0; i < graph->location_count; i++)
        json_object_array_add(locations, json_object_new_string(graph->locations[i]));
    for (size_t g = 0; g < graph->group_count; g++) {
        json_object *group = json_object_new_object();
        json_object *members = json_object_new_array();
        if (!group || !members) {
            json_object_put(group);
            json_object_put(members);
            json_object_put(root);
            return NULL;
        }
        json_object_object_add(group, "id", json_object_new_string(graph->groups[g].id));
        for (size_t i = 0; i < graph->groups[g].location_count; i++)
            json_object_array_add(members, json_object_new_string(graph->groups[g].locations[i]));
        json_object_object_add(group, "locations", members);
        json_object_array_add(groups, group);
    }
    return root;
}
