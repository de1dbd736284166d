/*
 * graph.h - one organization's location graph: its locations and groups of locations.
 *
 * A graph is built from the JSON of the location-graph export format
 * ({"locations":[…],"groups":[{"id","locations":[…]}]}), checked completely (identifier rules,
 * no duplicates, every group member a known location), and never changes afterwards: replacing
 * a graph means building a new one. Lookups are by binary search. It does no I/O except
 * oci_graph_load_file, which reads one file.
 */
#ifndef OCI_GRAPH_H
#define OCI_GRAPH_H

#include <json-c/json.h>
#include <stddef.h>

#include "common/err.h"

#define OCI_GRAPH_ERROR_MAX 256

typedef struct oci_graph_group {
    char *id;
    char **locations; /* in file order */
    size_t location_count;
} oci_graph_group;

typedef struct oci_graph {
    char **locations; /* in file order */
    size_t location_count;
    oci_graph_group *groups; /* in file order */
    size_t group_count;
    char **sorted_locations; /* borrowed strings, sorted, for lookups */
    oci_graph_group **sorted_groups;
    unsigned char *grouped; /* per sorted location: 1 when some group contains it */
} oci_graph;

/* An empty graph (no locations). Caller frees with oci_graph_free. NULL when out of memory. */
oci_graph *oci_graph_new_empty(void);

/* Builds a graph from parsed JSON. On failure *out is NULL and `error` names the field. */
cm_err oci_graph_from_json(const json_object *root, oci_graph **out, char error[OCI_GRAPH_ERROR_MAX]);

/* Reads and builds a graph from a file; `error` names the file and the problem. */
cm_err oci_graph_load_file(const char *path, oci_graph **out, char error[OCI_GRAPH_ERROR_MAX]);

int oci_graph_has_location(const oci_graph *graph, const char *location);
const oci_graph_group *oci_graph_group_find(const oci_graph *graph, const char *group_id);
/* 1 when the location belongs to at least one group. */
int oci_graph_location_grouped(const oci_graph *graph, const char *location);

/* The graph in the export format (caller puts it), or NULL when out of memory. */
json_object *oci_graph_to_json(const oci_graph *graph);

void oci_graph_free(oci_graph *graph);

#endif
