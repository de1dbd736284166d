#include "tests/support/prom_text.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FAMILIES 256

typedef struct family {
    char name[128];
    char type[16];
} family;

typedef struct reader {
    th_prom *out;
    family families[MAX_FAMILIES];
    size_t family_count;
    size_t capacity;
    int line;
} reader;

static int fail(reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(reader *r, const char *fmt, ...)
{
    char text[240];
    va_list args;
    va_start(args, fmt);
    vsnprintf(text, sizeof text, fmt, args);
    va_end(args);
    snprintf(r->out->error, sizeof r->out->error, "line %d: %s", r->line, text);
    return -1;
}

static int is_name_start(char c)
{
    return isalpha((unsigned char)c) || c == '_' || c == ':';
}

static int is_name_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == ':';
}

/* Reads a metric name at *p into out; -1 when there is none. */
static int read_name(const char **p, char *out, size_t size, int colons)
{
    const char *start = *p;
    if (!is_name_start(**p) || (!colons && **p == ':'))
        return -1;
    while (is_name_char(**p) && (colons || **p != ':'))
        (*p)++;
    size_t length = (size_t)(*p - start);
    if (length >= size)
        return -1;
    memcpy(out, start, length);
    out[length] = '\0';
    return 0;
}

static family *find_family(reader *r, const char *name)
{
    for (size_t i = 0; i < r->family_count; i++)
        if (strcmp(r->families[i].name, name) == 0)
            return &r->families[i];
    return NULL;
}

/* The family a sample name belongs to: itself, or a histogram's _bucket/_sum/_count. */
static family *family_of(reader *r, const char *name, const char **suffix)
{
    *suffix = "";
    family *f = find_family(r, name);
    if (f)
        return f;
    static const char *const suffixes[] = {"_bucket", "_sum", "_count"};
    for (size_t i = 0; i < 3; i++) {
        size_t n = strlen(name), s = strlen(suffixes[i]);
        if (n > s && strcmp(name + n - s, suffixes[i]) == 0) {
            char base[128];
            snprintf(base, sizeof base, "%.*s", (int)(n - s), name);
            f = find_family(r, base);
            if (f && (strcmp(f->type, "histogram") == 0 || strcmp(f->type, "summary") == 0)) {
                *suffix = suffixes[i];
                return f;
            }
        }
    }
    return NULL;
}

static int parse_value(const char *text, double *value)
{
    if (strcmp(text, "+Inf") == 0 || strcmp(text, "Inf") == 0) {
        *value = INFINITY;
        return 0;
    }
    if (strcmp(text, "-Inf") == 0) {
        *value = -INFINITY;
        return 0;
    }
    if (strcmp(text, "NaN") == 0) {
        *value = NAN;
        return 0;
    }
    char *end;
    *value = strtod(text, &end);
    return end != text && *end == '\0' && !strchr(text, 'n') && !strchr(text, 'N') ? 0 : -1;
}

static int comment_line(reader *r, const char *line)
{
    const char *p = line + 1;
    if (*p != ' ')
        return 0; /* a plain comment */
    p++;
    int help = strncmp(p, "HELP ", 5) == 0, type = strncmp(p, "TYPE ", 5) == 0;
    if (!help && !type)
        return 0;
    p += 5;
    char name[128];
    if (read_name(&p, name, sizeof name, 1) != 0)
        return fail(r, "%s without a valid metric name", help ? "HELP" : "TYPE");
    if (*p != ' ' && !(help && *p == '\0'))
        return fail(r, "expected a space after the name");
    if (help) {
        for (const char *c = p; *c; c++) {
            if (*c != '\\')
                continue;
            if (c[1] != '\\' && c[1] != 'n')
                return fail(r, "bad escape in HELP");
            c++;
        }
        return 0;
    }
    p++;
    static const char *const types[] = {"counter", "gauge", "histogram", "summary", "untyped"};
    int known = 0;
    for (size_t i = 0; i < 5; i++)
        known |= strcmp(p, types[i]) == 0;
    if (!known)
        return fail(r, "unknown TYPE \"%s\"", p);
    if (find_family(r, name))
        return fail(r, "TYPE of %s given twice", name);
    for (size_t i = 0; i < r->out->count; i++)
        if (strcmp(r->out->samples[i].name, name) == 0)
            return fail(r, "TYPE of %s after its samples", name);
    if (r->family_count == MAX_FAMILIES)
        return fail(r, "too many families");
    if (strcmp(p, "counter") == 0 && (strlen(name) < 6 || strcmp(name + strlen(name) - 6, "_total") != 0))
        return fail(r, "counter %s does not end in _total", name);
    family *f = &r->families[r->family_count++];
    snprintf(f->name, sizeof f->name, "%s", name);
    snprintf(f->type, sizeof f->type, "%s", p);
    return 0;
}

/* Reads {a="x",b="y"} at *p; copies the inside (minus any le label) into labels and le. */
static int read_labels(reader *r, const char **p, char *labels, size_t size, char *le, size_t le_size)
{
    size_t used = 0;
    labels[0] = '\0';
    le[0] = '\0';
    (*p)++; /* '{' */
    while (**p != '}') {
        char name[128];
        if (read_name(p, name, sizeof name, 0) != 0)
            return fail(r, "bad label name");
        if (**p != '=' || (*p)[1] != '"')
            return fail(r, "label %s: expected =\"", name);
        *p += 2;
        char value[256];
        size_t length = 0;
        while (**p != '"') {
            if (**p == '\0' || **p == '\n')
                return fail(r, "label %s: unterminated value", name);
            if (**p == '\\') {
                (*p)++;
                if (**p != '\\' && **p != '"' && **p != 'n')
                    return fail(r, "label %s: bad escape", name);
            }
            if (length + 1 < sizeof value)
                value[length++] = **p;
            (*p)++;
        }
        value[length] = '\0';
        (*p)++;
        if (strcmp(name, "le") == 0) {
            if (length >= le_size)
                return fail(r, "le value too long");
            memcpy(le, value, length + 1);
        } else {
            int n = snprintf(labels + used, size - used, "%s%s=\"%s\"", used ? "," : "", name, value);
            if (n < 0 || (size_t)n >= size - used)
                return fail(r, "labels too long");
            used += (size_t)n;
        }
        if (**p == ',')
            (*p)++;
        else if (**p != '}')
            return fail(r, "expected , or } in labels");
    }
    (*p)++;
    return 0;
}

static int sample_line(reader *r, const char *line)
{
    th_prom_sample sample;
    memset(&sample, 0, sizeof sample);
    const char *p = line;
    if (read_name(&p, sample.name, sizeof sample.name, 1) != 0)
        return fail(r, "a sample line must start with a metric name");
    const char *suffix;
    family *f = family_of(r, sample.name, &suffix);
    if (!f)
        return fail(r, "sample %s has no TYPE line before it", sample.name);
    snprintf(sample.family, sizeof sample.family, "%s", f->name);
    if (*p == '{' && read_labels(r, &p, sample.labels, sizeof sample.labels, sample.le, sizeof sample.le) != 0)
        return -1;
    if (*p != ' ')
        return fail(r, "expected a space before the value");
    p++;
    char value_text[64];
    size_t length = strcspn(p, " ");
    if (length == 0 || length >= sizeof value_text)
        return fail(r, "missing value");
    memcpy(value_text, p, length);
    value_text[length] = '\0';
    if (parse_value(value_text, &sample.value) != 0)
        return fail(r, "bad value \"%s\"", value_text);
    p += length;
    if (*p == ' ') {
        p++;
        if (!*p || strspn(p, "-0123456789") != strlen(p))
            return fail(r, "bad timestamp");
    }
    if (strcmp(suffix, "_bucket") == 0 && !sample.le[0])
        return fail(r, "bucket without le");
    if (strcmp(f->type, "counter") == 0 && (sample.value < 0 || isnan(sample.value)))
        return fail(r, "counter %s is negative", sample.name);
    if (r->out->count == r->capacity) {
        size_t grown = r->capacity ? r->capacity * 2 : 64;
        th_prom_sample *bigger = realloc(r->out->samples, grown * sizeof *bigger);
        if (!bigger)
            return fail(r, "out of memory");
        r->out->samples = bigger;
        r->capacity = grown;
    }
    r->out->samples[r->out->count++] = sample;
    return 0;
}

/* For every histogram series: buckets ascending, counts cumulative, +Inf == _count, a _sum. */
static int check_histograms(reader *r)
{
    th_prom *prom = r->out;
    r->line = 0;
    for (size_t i = 0; i < prom->count; i++) {
        const th_prom_sample *first = &prom->samples[i];
        family *f = find_family(r, first->family);
        if (!f || strcmp(f->type, "histogram") != 0 || !first->le[0])
            continue;
        /* The first bucket of a series: no earlier bucket with the same labels. */
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = prom->samples[j].le[0] && strcmp(prom->samples[j].family, first->family) == 0 &&
                   strcmp(prom->samples[j].labels, first->labels) == 0;
        if (seen)
            continue;
        double last_le = -INFINITY, last_count = 0, inf_count = -1, count = -1;
        int has_sum = 0;
        for (size_t j = i; j < prom->count; j++) {
            const th_prom_sample *s = &prom->samples[j];
            if (strcmp(s->family, first->family) != 0 || strcmp(s->labels, first->labels) != 0)
                continue;
            if (s->le[0]) {
                double le;
                if (parse_value(s->le, &le) != 0)
                    return fail(r, "%s{%s}: bad le \"%s\"", s->name, s->labels, s->le);
                if (le <= last_le)
                    return fail(r, "%s{%s}: le %s out of order", s->name, s->labels, s->le);
                if (s->value < last_count)
                    return fail(r, "%s{%s}: bucket le=%s is not cumulative", s->name, s->labels, s->le);
                last_le = le;
                last_count = s->value;
                if (isinf(le))
                    inf_count = s->value;
            } else if (strstr(s->name, "_count") && strcmp(s->name + strlen(s->name) - 6, "_count") == 0) {
                count = s->value;
            } else if (strcmp(s->name + strlen(s->name) - 4, "_sum") == 0) {
                has_sum = 1;
            }
        }
        if (inf_count < 0)
            return fail(r, "%s{%s}: no +Inf bucket", first->family, first->labels);
        if (count != inf_count)
            return fail(r, "%s{%s}: _count %g differs from the +Inf bucket %g", first->family, first->labels, count,
                        inf_count);
        if (!has_sum)
            return fail(r, "%s{%s}: no _sum", first->family, first->labels);
    }
    return 0;
}

int th_prom_parse(const char *text, th_prom *out)
{
    memset(out, 0, sizeof *out);
    reader *r = calloc(1, sizeof *r);
    if (!r)
        return -1;
    r->out = out;
    int rc = 0;
    const char *line = text;
    if (!*text)
        rc = fail(r, "empty exposition");
    while (!rc && *line) {
        r->line++;
        const char *end = strchr(line, '\n');
        if (!end) {
            rc = fail(r, "the last line does not end with a newline");
            break;
        }
        size_t length = (size_t)(end - line);
        char *copy = malloc(length + 1);
        if (!copy) {
            rc = -1;
            break;
        }
        memcpy(copy, line, length);
        copy[length] = '\0';
        if (strchr(copy, '\r'))
            rc = fail(r, "carriage return in a line");
        else if (length == 0)
            rc = 0;
        else if (copy[0] == '#')
            rc = comment_line(r, copy);
        else
            rc = sample_line(r, copy);
        free(copy);
        line = end + 1;
    }
    if (!rc)
        rc = check_histograms(r);
    free(r);
    return rc;
}

static int labels_match(const char *labels, const char *match)
{
    if (!match || !*match)
        return 1;
    char copy[512];
    snprintf(copy, sizeof copy, "%s", match);
    for (char *part = strtok(copy, ","); part; part = strtok(NULL, ",")) {
        /* whole label="value" pairs: the part must start the string or follow a comma */
        const char *at = labels;
        int found = 0;
        size_t n = strlen(part);
        while ((at = strstr(at, part)) != NULL) {
            if ((at == labels || at[-1] == ',') && (at[n] == '\0' || at[n] == ',')) {
                found = 1;
                break;
            }
            at++;
        }
        if (!found)
            return 0;
    }
    return 1;
}

double th_prom_sum(const th_prom *prom, const char *name, const char *match)
{
    double total = 0;
    for (size_t i = 0; i < prom->count; i++)
        if (strcmp(prom->samples[i].name, name) == 0 && labels_match(prom->samples[i].labels, match))
            total += prom->samples[i].value;
    return total;
}

int th_prom_has(const th_prom *prom, const char *name)
{
    for (size_t i = 0; i < prom->count; i++)
        if (strcmp(prom->samples[i].name, name) == 0)
            return 1;
    return 0;
}

void th_prom_free(th_prom *prom)
{
    free(prom->samples);
    memset(prom, 0, sizeof *prom);
}
