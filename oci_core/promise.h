/*
 * promise.h - group reservations as promises (oci-api.md §4.6), pure arithmetic.
 *
 * A group reservation is not placed at a location; it is a promise that the group's locations can
 * cover it. For one SKU, given what each location can still give (its ATO, or ATF for fulfil-only
 * reservations) and each group's own unallocated reservations, this module:
 * - allocates the promises: each group locks its least-shared locations first (a location shared by
 *   fewer groups before one shared by more, then the graph's order), and when that greedy pass leaves
 *   a group short, moves other groups' locks along augmenting paths, so a set of promises that can be
 *   kept is always found (the allocation is a maximum flow);
 * - reports sharedGroupReserved: what other groups lock at a group's locations;
 * - answers how much more a group, or a location, can reserve without breaking any promise.
 * Quantities are int64 thousandths. Only oci_promise_allocate allocates (scratch, freed before it
 * returns); nothing does I/O. Limits: group_count * location_count must fit in memory.
 */
#ifndef OCI_PROMISE_H
#define OCI_PROMISE_H

#include <stddef.h>
#include <stdint.h>

typedef struct oci_promise_group {
    const size_t *members; /* indexes into the problem's locations, borrowed */
    size_t member_count;
    int64_t reserved; /* the group's own unallocated reservations, >= 0 */
} oci_promise_group;

typedef struct oci_promise {
    size_t location_count;
    int64_t *available; /* per location: what promises may lock there (a negative value counts as 0) */
    size_t group_count;
    oci_promise_group *groups;
} oci_promise;

/*
 * Allocates every group's reservations. `locked` (may be NULL) receives group_count rows of
 * location_count quantities. Returns 1 when every promise fits, 0 when not (then `locked` holds the
 * best partial allocation found), -1 when out of memory.
 */
int oci_promise_allocate(const oci_promise *problem, int64_t *locked);

/* sharedGroupReserved of `group`: what the other groups lock at its locations under `locked`. */
int64_t oci_promise_shared(const oci_promise *problem, const int64_t *locked, size_t group);

/*
 * The largest quantity in 0..limit that `group` can add to its reservations with every promise
 * still kept (0 when the promises are already broken). -1 when out of memory. The problem is
 * changed during the call and restored before it returns.
 */
int64_t oci_promise_group_headroom(oci_promise *problem, size_t group, int64_t limit);

/*
 * The largest quantity in 0..limit that `location` can reserve for itself: at most its own
 * available quantity, and no more than leaves every group promise kept. -1 when out of memory.
 */
int64_t oci_promise_location_headroom(oci_promise *problem, size_t location, int64_t limit);

#endif
