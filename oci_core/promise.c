#include "oci_core/promise.h"

#include <stdlib.h>
#include <string.h>

typedef struct scratch {
    int64_t *left;      /* per location: not yet locked */
    int64_t *remaining; /* per group: not yet allocated */
    size_t *share;      /* per location: how many groups hold it */
    size_t *order;      /* one group's members, least shared first */
    size_t *queue, *prev, *via;
    unsigned char *seen;
} scratch;

static void scratch_free(scratch *s)
{
    free(s->left);
    free(s->remaining);
    free(s->share);
    free(s->order);
    free(s->queue);
    free(s->prev);
    free(s->via);
    free(s->seen);
}

static int scratch_init(scratch *s, const oci_promise *p)
{
    memset(s, 0, sizeof *s);
    size_t locations = p->location_count ? p->location_count : 1, groups = p->group_count ? p->group_count : 1;
    s->left = calloc(locations, sizeof *s->left);
    s->share = calloc(locations, sizeof *s->share);
    s->order = calloc(locations, sizeof *s->order);
    s->remaining = calloc(groups, sizeof *s->remaining);
    s->queue = calloc(groups, sizeof *s->queue);
    s->prev = calloc(groups, sizeof *s->prev);
    s->via = calloc(groups, sizeof *s->via);
    s->seen = calloc(groups, 1);
    if (!s->left || !s->share || !s->order || !s->remaining || !s->queue || !s->prev || !s->via || !s->seen) {
        scratch_free(s);
        return -1;
    }
    return 0;
}

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

/* Finds one augmenting path for group `g` and moves as much as it carries. 1 when it moved some. */
static int augment(const oci_promise *p, scratch *s, int64_t *locked, size_t g)
{
    size_t n = p->location_count;
    memset(s->seen, 0, p->group_count);
    size_t head = 0, tail = 0, end_group = 0, end_location = 0;
    int found = 0;
    s->queue[tail++] = g;
    s->seen[g] = 1;
    while (head < tail && !found) {
        size_t h = s->queue[head++];
        const oci_promise_group *group = &p->groups[h];
        for (size_t m = 0; m < group->member_count && !found; m++) {
            size_t l = group->members[m];
            if (s->left[l] > 0) {
                found = 1;
                end_group = h;
                end_location = l;
                break;
            }
            for (size_t k = 0; k < p->group_count; k++) {
                if (!s->seen[k] && locked[k * n + l] > 0) {
                    s->seen[k] = 1;
                    s->prev[k] = h;
                    s->via[k] = l;
                    s->queue[tail++] = k;
                }
            }
        }
    }
    if (!found)
        return 0;
    int64_t delta = min64(s->remaining[g], s->left[end_location]);
    for (size_t k = end_group; k != g; k = s->prev[k])
        delta = min64(delta, locked[k * n + s->via[k]]);
    locked[end_group * n + end_location] += delta;
    s->left[end_location] -= delta;
    for (size_t k = end_group; k != g; k = s->prev[k]) {
        locked[k * n + s->via[k]] -= delta;
        locked[s->prev[k] * n + s->via[k]] += delta;
    }
    s->remaining[g] -= delta;
    return delta > 0;
}

int oci_promise_allocate(const oci_promise *p, int64_t *locked_out)
{
    size_t n = p->location_count, cells = p->group_count * n;
    int64_t *locked = locked_out ? locked_out : calloc(cells ? cells : 1, sizeof *locked);
    scratch s;
    if (!locked || scratch_init(&s, p) != 0) {
        if (!locked_out)
            free(locked);
        return -1;
    }
    memset(locked, 0, cells * sizeof *locked);
    for (size_t l = 0; l < n; l++)
        s.left[l] = p->available[l] > 0 ? p->available[l] : 0;
    for (size_t g = 0; g < p->group_count; g++)
        for (size_t m = 0; m < p->groups[g].member_count; m++)
            s.share[p->groups[g].members[m]]++;
    for (size_t g = 0; g < p->group_count; g++) {
        const oci_promise_group *group = &p->groups[g];
        /* Insertion sort by share count keeps the graph's order among equals. */
        for (size_t m = 0; m < group->member_count; m++) {
            size_t at = m;
            while (at > 0 && s.share[s.order[at - 1]] > s.share[group->members[m]]) {
                s.order[at] = s.order[at - 1];
                at--;
            }
            s.order[at] = group->members[m];
        }
        int64_t rem = group->reserved > 0 ? group->reserved : 0;
        for (size_t m = 0; m < group->member_count && rem > 0; m++) {
            size_t l = s.order[m];
            int64_t take = min64(rem, s.left[l]);
            locked[g * n + l] += take;
            s.left[l] -= take;
            rem -= take;
        }
        s.remaining[g] = rem;
    }
    int holds = 1;
    for (size_t g = 0; g < p->group_count && holds; g++)
        while (s.remaining[g] > 0 && holds)
            holds = augment(p, &s, locked, g);
    scratch_free(&s);
    if (!locked_out)
        free(locked);
    return holds;
}

int64_t oci_promise_shared(const oci_promise *p, const int64_t *locked, size_t group)
{
    int64_t shared = 0;
    size_t n = p->location_count;
    const oci_promise_group *g = &p->groups[group];
    for (size_t m = 0; m < g->member_count; m++)
        for (size_t k = 0; k < p->group_count; k++)
            if (k != group)
                shared += locked[k * n + g->members[m]];
    return shared;
}

/* Largest q in 0..limit for which holds(q) is 1, assuming holds is monotone; -1 on -1. */
static int64_t search(oci_promise *p, int64_t limit, int (*holds)(oci_promise *, size_t, int64_t), size_t index)
{
    int first = holds(p, index, 0);
    if (first <= 0)
        return first < 0 ? -1 : 0;
    int last = holds(p, index, limit);
    if (last != 0)
        return last < 0 ? -1 : limit;
    int64_t low = 0, high = limit; /* holds(low) and !holds(high) */
    while (high - low > 1) {
        int64_t middle = low + (high - low) / 2;
        int ok = holds(p, index, middle);
        if (ok < 0)
            return -1;
        if (ok)
            low = middle;
        else
            high = middle;
    }
    return low;
}

static int group_holds(oci_promise *p, size_t group, int64_t extra)
{
    int64_t saved = p->groups[group].reserved;
    p->groups[group].reserved = saved + extra;
    int holds = oci_promise_allocate(p, NULL);
    p->groups[group].reserved = saved;
    return holds;
}

static int location_holds(oci_promise *p, size_t location, int64_t taken)
{
    int64_t saved = p->available[location];
    p->available[location] = saved - taken;
    int holds = oci_promise_allocate(p, NULL);
    p->available[location] = saved;
    return holds;
}

int64_t oci_promise_group_headroom(oci_promise *p, size_t group, int64_t limit)
{
    return limit <= 0 ? 0 : search(p, limit, group_holds, group);
}

int64_t oci_promise_location_headroom(oci_promise *p, size_t location, int64_t limit)
{
    int64_t own = p->available[location] > 0 ? p->available[location] : 0;
    if (limit > own)
        limit = own;
    return limit <= 0 ? 0 : search(p, limit, location_holds, location);
}
